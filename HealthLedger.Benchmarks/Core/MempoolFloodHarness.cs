using System.Diagnostics;
using System.Globalization;
using HealthLedger.Consensus.Engines;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Mempool;
using HealthLedger.Core.Storage;
using HealthLedger.Core.Transactions;
using HealthLedger.Core.Validation;

namespace HealthLedger.Benchmarks.Core;

/// <summary>
/// Issue 10 symptom 6 measured: a flood of free patient registrations from fresh keys, interleaved with honest device
/// anchors (one per 100 registrations, from 10 registered devices) and attestations (one per 5,000), submitted to one
/// <see cref="TransactionPool"/> as peers would. Reports what got in, what was refused with which code, and the
/// admission time per transaction by kind, for the default policy and for an eviction stress (a 5,000 pool whose
/// newcomers may take all the free room, so identified transactions must evict them).
/// </summary>
/// <remarks>Run: <c>dotnet run -c Release --project HealthLedger.Benchmarks -- mempool-flood [--registrations 100000]</c>.
/// Transactions are signed before timing starts; the timed part is <see cref="TransactionPool.Submit"/> alone.</remarks>
internal static class MempoolFloodHarness
{
    private const uint ChainId = 43;

    public static int Run(string[] args)
    {
        var index = Array.IndexOf(args, "--registrations");
        var registrations = index >= 0 ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : 100_000;
        Console.WriteLine($"load before: {File.ReadAllText("/proc/loadavg").Trim()}; {Environment.ProcessorCount} cores");
        var setup = Stopwatch.StartNew();
        var scenario = new Scenario(registrations);
        Console.WriteLine($"signed {scenario.Stream.Count:N0} transactions in {setup.Elapsed.TotalSeconds:F1} s");

        Measure("default policy", scenario, new MempoolOptions());
        Measure("eviction stress (pool of 5,000, newcomer share 100 %)", scenario, new MempoolOptions { MaxTransactions = 5_000, NewcomerSharePercent = 100 });
        Console.WriteLine($"load after: {File.ReadAllText("/proc/loadavg").Trim()}");
        return 0;
    }

    private static void Measure(string title, Scenario scenario, MempoolOptions options)
    {
        var chain = scenario.OpenChain();
        var pool = new TransactionPool(chain, TimeProvider.System, options);
        var outcomes = new Dictionary<(TransactionKind Kind, RejectionCode Code), int>();
        var times = scenario.Stream.GroupBy(t => t.Kind).ToDictionary(g => g.Key, _ => new List<double>());
        var total = Stopwatch.StartNew();
        foreach (var tx in scenario.Stream)
        {
            var start = Stopwatch.GetTimestamp();
            var result = pool.Submit(tx, TransactionOrigin.Peer);
            times[tx.Kind].Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
            var key = (tx.Kind, result.Validation.Code);
            outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
        }

        total.Stop();
        Console.WriteLine();
        Console.WriteLine($"== {title}: {scenario.Stream.Count:N0} submissions in {total.Elapsed.TotalSeconds:F2} s; pool holds {pool.Count:N0}");
        Console.WriteLine("| kind | outcome | count |");
        Console.WriteLine("|---|---|---|");
        foreach (var ((kind, code), count) in outcomes.OrderBy(o => o.Key.Kind).ThenBy(o => o.Key.Code))
        {
            Console.WriteLine($"| {kind} | {(code == RejectionCode.None ? "admitted" : code.ToString())} | {count:N0} |");
        }

        Console.WriteLine("| kind | mean µs | p50 µs | p99 µs | max µs |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var (kind, list) in times.OrderBy(t => t.Key))
        {
            list.Sort();
            Console.WriteLine($"| {kind} | {list.Average():F1} | {list[list.Count / 2]:F1} | {list[(int)(list.Count * 0.99)]:F1} | {list[^1]:F1} |");
        }

        foreach (var usage in pool.GetUsage())
        {
            Console.WriteLine($"  {usage.Class}: {usage.Count:N0} of {usage.CountLimit:N0} transactions, {usage.Bytes:N0} of {usage.ByteLimit:N0} bytes");
        }

        var template = Stopwatch.StartNew();
        var selected = pool.SelectForBlock(500);
        Console.WriteLine($"  block template of {selected.Count}: {string.Join(", ", selected.GroupBy(t => t.Kind).Select(g => $"{g.Count()} {g.Key}"))} in {template.Elapsed.TotalMilliseconds:F1} ms");
    }

    private sealed class Scenario
    {
        private readonly KeyPair _authority = KeyPair.FromLabel("flood-authority");
        private readonly KeyPair _provider = KeyPair.FromLabel("flood-provider");
        private readonly KeyPair _patient = KeyPair.FromLabel("flood-patient");
        private readonly KeyPair[] _validators = [.. Enumerable.Range(0, 5).Select(i => KeyPair.FromLabel($"flood-validator-{i}"))];
        private readonly KeyPair[] _devices = [.. Enumerable.Range(0, 10).Select(i => KeyPair.FromLabel($"flood-device-{i}"))];
        private readonly GenesisConfig _genesis;
        private readonly List<Block> _blocks = [];

        private Hash256 GenesisHash => Blockchain.CreateGenesisBlock(_genesis).Hash;

        public Scenario(int registrations)
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            _genesis = new GenesisConfig
            {
                ChainId = ChainId,
                TimestampMs = now - 3_600_000,
                Authorities = [_authority.PublicKey],
                InitialNodes =
                [
                    .. _validators.Select((v, i) => new GenesisNode(v.PublicKey, NodeRoles.Validator, $"validator-{i}")),
                    new GenesisNode(_provider.PublicKey, NodeRoles.Provider, "provider"),
                ],
                Engine = ConsensusEngineId.ProofOfWork,
                Consensus = new ConsensusParameters { InitialTargetBits = CompactTarget.FromDifficultyLevel(1), FixedDifficulty = true, MaxFutureDriftMs = long.MaxValue / 4 },
            };

            // On-chain: the patient, ten devices, then four empty blocks for the validators to attest.
            var chain = new Blockchain(_genesis, ProofOfWorkEngine.Instance, new InMemoryBlockStore());
            var setup = new List<Transaction> { Transaction.Create(_patient, ChainId, 0, now, new PatientRegistration(Hash256.Sha256("flood-patient"u8))) };
            setup.AddRange(_devices.Select((d, i) => Transaction.Create(_provider, ChainId, (ulong)i, now, new DeviceRegistration(
                d.PublicKey, _patient.Address, DeviceClass.Wearable, d.Sign(DeviceRegistration.ProofOfPossessionMessage(ChainId, d.PublicKey, _patient.Address, _provider.Address))))));
            AddBlock(chain, setup);
            for (var i = 0; i < 4; i++)
            {
                AddBlock(chain, []);
            }

            var fresh = Enumerable.Range(0, registrations).AsParallel().AsOrdered().Select(i =>
            {
                using var key = KeyPair.FromLabel($"flood-fresh-{i}");
                return Transaction.Create(key, ChainId, 0, now, new PatientRegistration(Hash256.Sha256(BitConverter.GetBytes(i))));
            }).ToList();

            var deviceSequences = new ulong[_devices.Length];
            var attestations = new Queue<Transaction>(
                from height in Enumerable.Range(1, 4)
                from v in Enumerable.Range(0, _validators.Length)
                select Transaction.Create(_validators[v], ChainId, 0, now, new Attestation(_blocks[height - 1].Hash, (ulong)height, GenesisHash, 0)));
            var stream = new List<Transaction>(registrations + (registrations / 100) + attestations.Count);
            for (var i = 0; i < fresh.Count; i++)
            {
                stream.Add(fresh[i]);
                if (i % 100 == 99)
                {
                    var d = i / 100 % _devices.Length;
                    var label = $"reading-{i}";
                    stream.Add(Transaction.Create(_devices[d], ChainId, deviceSequences[d]++, now, new RecordAnchor(
                        "bafy" + label, Hash256.Sha256(System.Text.Encoding.UTF8.GetBytes(label)), RecordType.Vitals, now - 1000)));
                }

                if (i % 5_000 == 4_999 && attestations.Count > 0)
                {
                    stream.Add(attestations.Dequeue());
                }
            }

            Stream = stream;
        }

        public List<Transaction> Stream { get; }

        public Blockchain OpenChain()
        {
            var chain = new Blockchain(_genesis, ProofOfWorkEngine.Instance, new InMemoryBlockStore());
            foreach (var block in _blocks)
            {
                var r = chain.AddBlock(block);
                if (r.Status != BlockStatus.Connected)
                {
                    throw new InvalidOperationException(r.Validation.ToString());
                }
            }

            return chain;
        }

        private void AddBlock(Blockchain chain, IReadOnlyList<Transaction> txs)
        {
            var parent = chain.Tip;
            var root = MerkleTree.ComputeRoot(txs.Select(t => t.Id).ToArray());
            var template = new BlockHeader(BlockHeader.CurrentVersion, ChainId, parent.Height + 1, parent.Header.TimestampMs + 1000, parent.Hash, root,
                _genesis.Consensus.InitialTargetBits, 1, ConsensusEngineId.ProofOfWork, PublicKey.Empty, 0, Signature.Empty);
            var sealed_ = ProofOfWorkEngine.Instance.CreateSealer().Seal(template, CompactTarget.Decode(template.TargetBits), null);
            var block = new Block(sealed_.Header!, txs);
            var r = chain.AddBlock(block);
            if (r.Status != BlockStatus.Connected)
            {
                throw new InvalidOperationException(r.Validation.ToString());
            }

            _blocks.Add(block);
        }
    }
}
