using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.State;
using HealthLedger.Core.Transactions;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.State;

/// <summary>
/// A consortium for index tests: three patients, four devices (device j bound to patient j mod 3), two providers,
/// and a generator of random valid blocks on any parent (each transaction checked against the parent's state).
/// </summary>
internal sealed class IndexWorld
{
    private long _counter;

    public IndexWorld()
    {
        Ledger = new TestLedger(configure: g => g with { InitialNodes = [.. g.InitialNodes, new GenesisNode(SecondProvider.PublicKey, NodeRoles.Provider, "st-john")] });
    }

    public TestLedger Ledger { get; }

    public KeyPair SecondProvider { get; } = KeyPair.FromLabel("provider-2");

    public KeyPair[] Patients { get; } = [.. Enumerable.Range(0, 3).Select(i => KeyPair.FromLabel($"index-patient-{i}"))];

    public KeyPair[] Devices { get; } = [.. Enumerable.Range(0, 4).Select(i => KeyPair.FromLabel($"index-device-{i}"))];

    public KeyPair[] Providers => [Ledger.Provider, SecondProvider];

    public KeyPair PatientOf(int device) => Patients[device % Patients.Length];

    /// <summary>Ids of every transaction this world built (any branch).</summary>
    public HashSet<Hash256> Issued { get; } = [];

    public Transaction Tx(KeyPair signer, LedgerState state, TransactionPayload payload)
    {
        var tx = Ledger.Tx(signer, state.GetNextSequence(signer.Address), payload);
        Issued.Add(tx.Id);
        return tx;
    }

    public Transaction RegisterPatient(int i, LedgerState state) =>
        Tx(Patients[i], state, new PatientRegistration(Hash256.Sha256(System.Text.Encoding.UTF8.GetBytes($"mrn-{i}"))));

    public Transaction RegisterDevice(int j, LedgerState state, KeyPair? provider = null)
    {
        provider ??= Ledger.Provider;
        var device = Devices[j];
        var patient = PatientOf(j).Address;
        var pop = device.Sign(DeviceRegistration.ProofOfPossessionMessage(TestLedger.ChainId, device.PublicKey, patient, provider.Address));
        return Tx(provider, state, new DeviceRegistration(device.PublicKey, patient, DeviceClass.Wearable, pop));
    }

    public Transaction Anchor(int j, LedgerState state, long measuredAtMs, RecordType type = RecordType.Vitals, long? reuse = null)
    {
        var n = reuse ?? Interlocked.Increment(ref _counter);
        var hash = Hash256.Sha256(System.Text.Encoding.UTF8.GetBytes($"ciphertext-{n}"));
        return Tx(Devices[j], state, new RecordAnchor($"bafy-{n}", hash, type, measuredAtMs));
    }

    public Transaction Grant(int patient, KeyPair provider, RecordScope scope, long expiresAtMs, LedgerState state) =>
        Tx(Patients[patient], state, new AccessGrant(provider.Address, scope, expiresAtMs));

    public Transaction Revoke(int patient, KeyPair provider, RecordScope scope, LedgerState state) =>
        Tx(Patients[patient], state, new AccessRevoke(provider.Address, scope));

    /// <summary>Adds a block of the given transactions (built in order on the parent's state) and returns its entry.</summary>
    public ChainEntry Add(Blockchain chain, ChainEntry parent, params Func<LedgerState, Transaction>[] makers)
    {
        var block = Build(parent, makers, nonce: (ulong)Interlocked.Increment(ref _counter) + 1);
        var result = chain.AddBlock(block);
        Assert.That(result.IsAccepted, Is.True, result.Validation.ToString());
        return chain.GetEntry(block.Hash)!;
    }

    /// <summary>A block on <paramref name="parent"/> whose transactions each see the state left by the previous ones.</summary>
    public Block Build(ChainEntry parent, IReadOnlyList<Func<LedgerState, Transaction>> makers, ulong nonce)
    {
        var timestamp = NextTimestamp(parent);
        var context = new BlockContext(parent.Height + 1, timestamp, TestLedger.ChainId, _ => null);
        var state = parent.State;
        var txs = new List<Transaction>();
        foreach (var make in makers)
        {
            var tx = make(state);
            var (next, result) = state.ApplyTransaction(tx, context);
            Assert.That(next, Is.Not.Null, result.ToString());
            state = next!;
            txs.Add(tx);
        }

        return Ledger.MakeBlock(parent, txs, timestampMs: timestamp, nonce: nonce == TestEngine.BadNonce ? nonce + 1 : nonce);
    }

    /// <summary>A block of up to four random transactions valid on <paramref name="parent"/>'s state.</summary>
    public Block RandomBlock(ChainEntry parent, Random rng)
    {
        var timestamp = NextTimestamp(parent);
        var context = new BlockContext(parent.Height + 1, timestamp, TestLedger.ChainId, _ => null);
        var state = parent.State;
        var txs = new List<Transaction>();
        var wanted = rng.Next(0, 5);
        for (var attempt = 0; attempt < wanted * 4 && txs.Count < wanted; attempt++)
        {
            var tx = RandomTransaction(state, rng, timestamp);
            if (tx is not null && state.ApplyTransaction(tx, context) is ({ } next, _))
            {
                state = next;
                txs.Add(tx);
            }
        }

        var nonce = (ulong)rng.NextInt64(1, long.MaxValue);
        return Ledger.MakeBlock(parent, txs, timestampMs: timestamp, nonce: nonce == TestEngine.BadNonce ? nonce + 1 : nonce);
    }

    private Transaction? RandomTransaction(LedgerState state, Random rng, long timestamp)
    {
        var patient = rng.Next(Patients.Length);
        var device = rng.Next(Devices.Length);
        var provider = Providers[rng.Next(Providers.Length)];
        switch (rng.Next(7))
        {
            case 0:
                return state.GetPatient(Patients[patient].Address) is null ? RegisterPatient(patient, state) : null;
            case 1:
                return state.GetDevice(Devices[device].Address) is null && state.GetPatient(PatientOf(device).Address) is not null
                    ? RegisterDevice(device, state, provider)
                    : null;
            case 2:
            case 3:
            case 4:
                // Few distinct times, so records often share a measurement time and order by hash.
                return state.GetDevice(Devices[device].Address) is not null
                    ? Anchor(
                        device,
                        state,
                        rng.Next(25) == 0 ? long.MaxValue : 1_000 + (rng.Next(40) * 1_000),
                        (RecordType)rng.Next(1, 8),
                        rng.Next(3) == 0 ? rng.NextInt64(Math.Max(1, _counter - 12), _counter + 1) : null) // a recent ciphertext again: anchored once per branch, so on two branches
                    : null;
            case 5:
                return state.GetPatient(Patients[patient].Address) is not null
                    ? Grant(patient, provider, (RecordScope)rng.Next(1, 128), timestamp + 1 + rng.Next(100_000), state)
                    : null;
            default:
                return state.GetPatient(Patients[patient].Address) is not null
                    ? Revoke(patient, provider, (RecordScope)rng.Next(1, 128), state)
                    : null;
        }
    }

    private long NextTimestamp(ChainEntry parent)
    {
        var timestamp = parent.Header.TimestampMs + 1000;
        while (timestamp > Ledger.Time.NowMs)
        {
            Ledger.Time.Advance(TimeSpan.FromSeconds(1));
        }

        return timestamp;
    }
}

/// <summary>Compares every query of a <see cref="LedgerIndex"/> with a brute-force scan of a <see cref="LedgerState"/>.</summary>
internal static class IndexOracle
{
    public static void AssertMatches(LedgerIndex index, ChainEntry tip, IndexWorld world, int pageSize = 3, Random? rng = null)
    {
        rng ??= new Random(1);
        var state = tip.State;
        var at = new IndexTip(tip.Height, tip.Hash);
        Assert.That(index.Tip, Is.EqualTo(at), "index tip");

        // Every transaction of the branch ending at the tip is located at its height and position; none of another branch is.
        var onBranch = new HashSet<Hash256>();
        for (var e = tip; e is not null; e = e.Parent)
        {
            for (var i = 0; i < e.Block.Transactions.Count; i++)
            {
                var id = e.Block.Transactions[i].Id;
                onBranch.Add(id);
                Assert.That(index.GetTransaction(id), Is.EqualTo(new TransactionLocation(id, e.Height, i)), $"location of {id.ToShortString()}");
            }
        }

        foreach (var id in world.Issued.Where(id => !onBranch.Contains(id)))
        {
            Assert.That(index.GetTransaction(id), Is.Null, $"{id.ToShortString()} is not on the indexed branch");
        }

        var all = state.Records.Values.ToList();
        foreach (var record in all)
        {
            Assert.That(index.GetRecord(record.CiphertextHash), Is.EqualTo(record));
        }

        foreach (var patient in world.Patients.Select(p => p.Address))
        {
            var expected = Sorted(all.Where(r => r.Patient == patient));
            Assert.That(Collect((size, token) => index.GetPatientRecords(patient, size, token), pageSize, at), Is.EqualTo(expected), $"records of patient {patient}");
            var (from, to) = RandomRange(rng);
            Assert.That(
                Collect((size, token) => index.GetPatientRecords(patient, size, token, from, to), pageSize, at),
                Is.EqualTo(expected.Where(r => r.MeasuredAtMs >= from && r.MeasuredAtMs < to)),
                $"records of patient {patient} in [{from}, {to})");
            Assert.That(Collect((size, token) => index.GetPatientGrants(patient, size, token), pageSize, at), Is.EqualTo(state.GetGrants(patient).ToList()), $"grants of patient {patient}");
            var types = (RecordScope)rng.Next(0, 128);
            Assert.That(
                Collect((size, token) => index.GetPatientRecordsOfTypes(patient, types, size, token, from, to), pageSize, at),
                Is.EqualTo(expected.Where(r => types.Covers(r.RecordType) && r.MeasuredAtMs >= from && r.MeasuredAtMs < to)),
                $"records of patient {patient} of types {types} in [{from}, {to})");
        }

        foreach (var device in world.Devices.Select(d => d.Address))
        {
            var expected = Sorted(all.Where(r => r.Device == device));
            Assert.That(Collect((size, token) => index.GetDeviceRecords(device, size, token), pageSize, at), Is.EqualTo(expected), $"records of device {device}");
        }

        foreach (var provider in world.Providers.Select(p => p.Address))
        {
            var expected = state.Grants.Values.SelectMany(g => g.Values).Where(g => g.Grantee == provider)
                .OrderBy(g => g.Patient).ThenBy(g => g.RecordType).ToList();
            Assert.That(Collect((size, token) => index.GetProviderGrants(provider, size, token), pageSize, at), Is.EqualTo(expected), $"grants of provider {provider}");
        }

        var (start, end) = RandomRange(rng);
        Assert.That(
            Collect((size, token) => index.GetRecordsInTimeRange(start, end, size, token), pageSize, at),
            Is.EqualTo(Sorted(all.Where(r => r.MeasuredAtMs >= start && r.MeasuredAtMs < end))),
            $"records in [{start}, {end})");
        Assert.That(Collect((size, token) => index.GetRecordsInTimeRange(null, null, size, token), pageSize, at), Is.EqualTo(Sorted(all)), "all records");
        Assert.That(Collect((size, token) => index.GetRecordsInTimeRange(start, null, size, token), pageSize, at), Is.EqualTo(Sorted(all.Where(r => r.MeasuredAtMs >= start))), $"records from {start}");
    }

    public static List<RecordInfo> Sorted(IEnumerable<RecordInfo> records) =>
        [.. records.OrderBy(r => r.MeasuredAtMs).ThenBy(r => r.CiphertextHash)];

    /// <summary>Reads every page of a query, checking each is full but the last and read at <paramref name="at"/>.</summary>
    public static List<T> Collect<T>(Func<int, PageToken?, IndexPage<T>> query, int pageSize, IndexTip at)
    {
        var items = new List<T>();
        PageToken? token = null;
        for (var pages = 0; ; pages++)
        {
            Assert.That(pages, Is.LessThan(100_000), "paging does not end");
            var page = query(pageSize, token);
            Assert.That(page.At, Is.EqualTo(at), "page read at the index tip");
            Assert.That(page.Items, Has.Count.LessThanOrEqualTo(pageSize));
            if (page.Next is not null)
            {
                Assert.That(page.Items, Has.Count.EqualTo(pageSize), "a page before the last is full");
                Assert.That(PageToken.TryParse(page.Next.ToString(), out var parsed) && parsed!.Equals(page.Next), Is.True, "token round-trips");
            }

            items.AddRange(page.Items);
            token = page.Next;
            if (token is null)
            {
                return items;
            }
        }
    }

    private static (long From, long To) RandomRange(Random rng)
    {
        var a = rng.Next(0, 45_000);
        var b = rng.Next(0, 45_000);
        return (Math.Min(a, b), Math.Max(a, b));
    }
}

/// <summary>An <see cref="IKeyValueStore"/> that fails one chosen write: before it reaches the inner store, or after.</summary>
internal sealed class FaultyKeyValueStore(IKeyValueStore inner) : IKeyValueStore
{
    public int Writes { get; private set; }

    /// <summary>The 1-based write to fail (0: none).</summary>
    public int FailAt { get; set; }

    /// <summary>True: the failing write lands in the inner store, then throws (a crash after the batch).</summary>
    public bool FailAfterWriting { get; set; }

    public byte[]? Get(ReadOnlySpan<byte> key) => inner.Get(key);

    public IEnumerable<KeyValueEntry> Scan(byte[] startInclusive, byte[] endExclusive) => inner.Scan(startInclusive, endExclusive);

    public IKeyValueSnapshot CreateSnapshot() => inner.CreateSnapshot();

    /// <summary>True: after the failure every write fails too, as if the process had died there.</summary>
    public bool DieAtFailure { get; set; }

    /// <summary>True once a batch started a rebuild (wrote the rebuilding marker).</summary>
    public bool SawRebuild { get; private set; }

    public void Write(KeyValueBatch batch)
    {
        Writes++;
        if (DieAtFailure && FailAt > 0 && Writes > FailAt)
        {
            throw new IOException($"write {Writes} after the simulated crash at write {FailAt}");
        }

        SawRebuild |= batch.Operations.Any(o => o.Key.AsSpan().SequenceEqual(new byte[] { 0x00, (byte)'r' }) && o.Value is not null);
        if (Writes != FailAt)
        {
            inner.Write(batch);
            return;
        }

        if (FailAfterWriting)
        {
            inner.Write(batch);
        }

        throw new IOException($"simulated failure of write {Writes} ({(FailAfterWriting ? "after" : "before")} the batch)");
    }

    public void Dispose()
    {
    }
}
