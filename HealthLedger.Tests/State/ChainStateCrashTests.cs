using System.Globalization;
using System.Text.RegularExpressions;
using HealthLedger.Benchmarks.Core;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Storage;
using HealthLedger.Storage.RocksDb;
using HealthLedger.Tests.Storage;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.State;

/// <summary>
/// The chain state on disk under real crashes: a child process (<c>HealthLedger.Benchmarks scale crash-child</c>)
/// appends blocks to a chain kept in a <see cref="FileBlockStore"/> with its state in RocksDB (a node's durable
/// settings) and prints <c>ACK height hash</c> after each block is accepted; the test kills it with SIGKILL at random
/// moments, reusing the directory, and after every kill reopens the chain and checks that every acknowledged block is
/// still on it and that the state equals what replaying the stored blocks from genesis into memory gives (or, when
/// old bodies are pruned, what the chain's construction implies at its tip).
/// </summary>
[Category("Slow")]
public sealed partial class ChainStateCrashTests
{
    private const int Kills = 10;
    private const int AnchorsPerBlock = 5;

    [Test]
    public void After_every_SIGKILL_the_state_on_disk_equals_a_replay_of_the_stored_chain()
    {
        using var directory = TempDirectory.Create();
        var random = new Random(20261201);
        var acknowledged = new Dictionary<ulong, Hash256>();
        ulong tip = 0;
        for (var round = 0; round < Kills; round++)
        {
            var run = RunAndKill(directory.Path, round, random, []);
            Record(run, acknowledged, round);
            using var store = FileBlockStore.Open(Path.Combine(directory.Path, "blocks"));
            using var kv = RocksDbKeyValueStore.Open(Path.Combine(directory.Path, "state"));
            var chain = ChainScaleHarness.OpenChain(store, kv);
            AssertAcknowledgedBlocksSurvived(chain, acknowledged, round);
            Assert.That(chain.Tip.Height, Is.GreaterThanOrEqualTo(tip), $"round {round}: the tip never moves back");
            tip = chain.Tip.Height;

            // The oracle: every stored block replayed from genesis into a chain kept wholly in memory.
            var copy = new InMemoryBlockStore();
            foreach (var stored in store.ReadAll())
            {
                copy.Append(stored.Hash, stored.Encoded.Span);
            }

            var oracle = ChainScaleHarness.OpenChain(copy, state: null);
            Assert.That(chain.Tip.Hash, Is.EqualTo(oracle.Tip.Hash), $"round {round}: tip");
            Assert.That(chain.LastFinal.Hash, Is.EqualTo(oracle.LastFinal.Hash), $"round {round}: last final block");
            // The restart replays from the final block the state store recorded; a kill between a block's append and
            // its state batch leaves that marker one finality step behind, and the replay catches up.
            Assert.That(chain.LastReplay.FromHeight, Is.LessThanOrEqualTo(chain.LastFinal.Height), $"round {round}: replay starts at or below the last final block");
            Assert.That(chain.LastReplay.Blocks, Is.LessThanOrEqualTo((long)(chain.Tip.Height - chain.LastReplay.FromHeight)), $"round {round}: the restart replayed only the blocks above the stored final block");
            if (chain.Tip.Height > 10)
            {
                Assert.That(chain.LastReplay.FromHeight, Is.GreaterThan(0UL), $"round {round}: the restart did not replay from genesis");
            }

            ChainStateWorld.AssertSameLookups(oracle, chain, ChainScaleHarness.DeviceKeys.Concat(ChainScaleHarness.PatientKeys).Select(k => k.ToAddress()), $"round {round}: ");
        }

        TestContext.Out.WriteLine($"{Kills} kills, {acknowledged.Count} blocks acknowledged, tip #{tip}");
        Assert.That(tip, Is.GreaterThan(10UL), "the children made progress between kills");
    }

    [Test]
    public void After_every_SIGKILL_a_pruning_node_reopens_with_the_state_its_tip_implies()
    {
        using var directory = TempDirectory.Create();
        var random = new Random(20261202);
        var acknowledged = new Dictionary<ulong, Hash256>();
        ulong tip = 0;
        string[] pruning = ["--keep-bodies", "8", "--segment-size", "16384"];
        var pruned = false;
        for (var round = 0; round < Kills; round++)
        {
            var run = RunAndKill(directory.Path, round, random, pruning);
            Record(run, acknowledged, round);
            using var store = FileBlockStore.Open(Path.Combine(directory.Path, "blocks"), new FileBlockStoreOptions { SegmentSizeLimit = 16384 });
            using var kv = RocksDbKeyValueStore.Open(Path.Combine(directory.Path, "state"));
            var chain = ChainScaleHarness.OpenChain(store, kv, keepBodies: 8);
            pruned |= store.FirstRetainedSequence > 0;
            AssertAcknowledgedBlocksSurvived(chain, acknowledged, round);
            Assert.That(chain.Tip.Height, Is.GreaterThanOrEqualTo(tip), $"round {round}: the tip never moves back");
            tip = chain.Tip.Height;

            // The chain is linear and deterministic: its tip fixes every anchor, sequence and registration.
            var state = chain.State;
            Assert.That(state.RecordTotal, Is.EqualTo(ChainScaleHarness.ScaleBlockSource.AnchorsBefore(tip + 1, AnchorsPerBlock)), $"round {round}: record count at #{tip}");
            var anchors = ChainScaleHarness.ScaleBlockSource.AnchorsBefore(tip + 1, AnchorsPerBlock);
            for (var d = 0; d < ChainScaleHarness.DeviceKeys.Count && tip >= 2; d++)
            {
                var address = ChainScaleHarness.DeviceKeys[d].ToAddress();
                var expected = (ulong)((anchors / ChainScaleHarness.DeviceKeys.Count) + (d < anchors % ChainScaleHarness.DeviceKeys.Count ? 1 : 0));
                Assert.That(state.GetNextSequence(address), Is.EqualTo(expected), $"round {round}: sequence of device {d}");
                Assert.That(state.GetDevice(address), Is.Not.Null, $"round {round}: device {d} registered");
            }

            foreach (var n in new[] { 0L, anchors / 2, anchors - 1 }.Where(n => n >= 0 && n < anchors))
            {
                Assert.That(state.GetRecord(ChainScaleHarness.ScaleBlockSource.AnchorHash(n)), Is.Not.Null, $"round {round}: anchor {n} of {anchors}");
            }

            Assert.That(state.GetRecord(ChainScaleHarness.ScaleBlockSource.AnchorHash(anchors)), Is.Null, $"round {round}: no anchor beyond the tip");
        }

        TestContext.Out.WriteLine($"{Kills} kills, {acknowledged.Count} blocks acknowledged, tip #{tip}, bodies pruned: {pruned}");
        Assert.That(pruned, Is.True, "bodies were pruned during the run, so the crashes hit a pruning node");
    }

    private static void Record(List<(ulong Height, Hash256 Hash)> acks, Dictionary<ulong, Hash256> acknowledged, int round)
    {
        foreach (var (height, hash) in acks)
        {
            if (acknowledged.TryGetValue(height, out var earlier))
            {
                Assert.That(hash, Is.EqualTo(earlier), $"round {round}: #{height} acknowledged twice with different hashes");
            }

            acknowledged[height] = hash;
        }
    }

    private static void AssertAcknowledgedBlocksSurvived(Blockchain chain, Dictionary<ulong, Hash256> acknowledged, int round)
    {
        foreach (var (height, hash) in acknowledged)
        {
            Assert.That(height, Is.LessThanOrEqualTo(chain.Tip.Height), $"round {round}: acknowledged #{height} is on the chain");
            Assert.That(chain.GetBestAt(height)?.Hash, Is.EqualTo(hash), $"round {round}: acknowledged #{height} is on the chain");
        }
    }

    private static List<(ulong Height, Hash256 Hash)> RunAndKill(string directory, int round, Random random, string[] extra)
    {
        using var child = KillableChild.Start(
            new[] { Path.Combine(AppContext.BaseDirectory, "HealthLedger.Benchmarks.dll"), "scale", "crash-child", directory, "--anchors", AnchorsPerBlock.ToString(CultureInfo.InvariantCulture) }.Concat(extra),
            countedPrefix: "ACK ");
        if (round % 4 == 3)
        {
            // Sometimes at a random moment from launch: during start-up, recovery or the first blocks.
            Thread.Sleep(random.Next(0, 1500));
        }
        else
        {
            // After a random number of acknowledged blocks (the kill lands inside a later append or finality step).
            Assert.That(child.WaitForCounted(random.Next(3, 25), TimeSpan.FromSeconds(60)), Is.True, $"round {round}: the child stopped acknowledging; stderr: {child.Errors}");
            Thread.Sleep(random.Next(0, 30));
        }

        Assert.That(child.HasExited, Is.False, $"round {round}: the child is still running when killed; stderr: {child.Errors}");
        child.Kill();

        return [.. child.Lines.Select(l => AckLine().Match(l)).Where(m => m.Success)
            .Select(m => (ulong.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), Hash256.Parse(m.Groups[2].Value)))];
    }

    [GeneratedRegex("^ACK ([0-9]+) ([0-9a-f]{64})$")]
    private static partial Regex AckLine();
}
