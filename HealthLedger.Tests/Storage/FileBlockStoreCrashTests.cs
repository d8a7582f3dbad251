using System.Globalization;
using System.Text.RegularExpressions;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Storage;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.Storage;

/// <summary>
/// Crash safety: a child process (<c>healthledger store-torture</c>) appends random blocks and prints
/// <c>ACK &lt;index&gt; &lt;hash&gt;</c> after each <c>Append</c> returns; the test kills it with SIGKILL at random
/// moments, reusing the same directory, and after every kill checks the store opens, every record is intact
/// (hash = SHA-256 of payload, in sequence) and every ACKed record is there.
/// </summary>
[Category("Slow")]
public partial class FileBlockStoreCrashTests
{
    private const int Kills = 24;

    [TestCase(false, TestName = "Every_acknowledged_block_survives_repeated_SIGKILL_with_fsync_on_every_append")]
    [TestCase(true, TestName = "Every_acknowledged_block_survives_repeated_SIGKILL_with_batched_fsync")]
    public void Every_acknowledged_block_survives_repeated_SIGKILL(bool batched)
    {
        using var directory = TempDirectory.Create();
        var random = new Random(20261124);
        var acknowledged = new Dictionary<long, Hash256>();
        var killedWhileWriting = 0;
        var repairs = new List<string>();
        long stored = 0;

        for (var round = 0; round < Kills; round++)
        {
            var run = RunAndKill(directory.Path, round, random, batched, checkLock: round == 0);
            if (run.Opened is { } opened)
            {
                Assert.That(opened, Is.EqualTo((stored, 0L, "None")), $"round {round}: the child finds the store this test left");
            }

            var expectedIndex = stored;
            foreach (var (index, hash) in run.Acks)
            {
                Assert.That(index, Is.EqualTo(expectedIndex++), $"round {round}: ACKs are consecutive");
                acknowledged[index] = hash;
            }

            if (run.Acks.Count > 0)
            {
                killedWhileWriting++;
            }

            using var store = FileBlockStore.Open(directory.Path);
            if (store.OpenReport.WasRepaired)
            {
                repairs.Add($"round {round}: {store.OpenReport}");
            }

            var all = store.ReadAll().ToList();
            for (var i = 0; i < all.Count; i++)
            {
                Assert.That(all[i].Sequence, Is.EqualTo(i));
                Assert.That(Hash256.Sha256(all[i].Encoded.Span), Is.EqualTo(all[i].Hash), $"round {round}: record {i} is intact");
            }

            foreach (var (index, hash) in acknowledged)
            {
                Assert.That(index, Is.LessThan(all.Count), $"round {round}: ACKed record {index} survived");
                Assert.That(all[(int)index].Hash, Is.EqualTo(hash), $"round {round}: ACKed record {index} survived");
            }

            stored = all.Count;
        }

        TestContext.Out.WriteLine($"{Kills} kills, {killedWhileWriting} while appending, {acknowledged.Count} ACKed, {stored} stored, {repairs.Count} torn tails repaired:");
        foreach (var repair in repairs)
        {
            TestContext.Out.WriteLine(repair);
        }

        Assert.That(killedWhileWriting, Is.GreaterThanOrEqualTo(Kills / 2), "most kills land while the child is appending");
    }

    private static RunResult RunAndKill(string directory, int round, Random random, bool batched, bool checkLock)
    {
        string[] arguments =
        [
            Path.Combine(AppContext.BaseDirectory, "healthledger.dll"), "store-torture",
            "--dir", directory, "--count", "1000000", "--seed", round.ToString(CultureInfo.InvariantCulture),
            "--max-size", "32768", "--segment-size", "262144",
        ];

        // A kill (unlike a power loss) leaves the page cache intact, so Batched must keep every ACK too.
        using var child = KillableChild.Start(batched ? [.. arguments, "--batched"] : arguments, countedPrefix: "ACK ");
        if (round % 4 == 3)
        {
            // Sometimes kill at a random moment from launch: during start-up, open/recovery or the first appends.
            Thread.Sleep(random.Next(0, 400));
        }
        else
        {
            Assert.That(child.WaitForCounted(1, TimeSpan.FromSeconds(60)), Is.True, $"round {round}: the child never appended; stderr: {child.Errors}");
            if (checkLock)
            {
                Assert.Throws<BlockStoreLockedException>(() => FileBlockStore.Open(directory).Dispose(), "a second process cannot open the directory for writing");
            }

            Thread.Sleep(random.Next(0, 150));
        }

        Assert.That(child.HasExited, Is.False, $"round {round}: the child is still running when killed; stderr: {child.Errors}");
        child.Kill();

        (long, long, string)? openLine = null;
        var acks = new List<(long, Hash256)>();
        foreach (var line in child.Lines)
        {
            var open = OpenLine().Match(line);
            if (open.Success)
            {
                openLine = (long.Parse(open.Groups[1].Value, CultureInfo.InvariantCulture), long.Parse(open.Groups[2].Value, CultureInfo.InvariantCulture), open.Groups[3].Value);
                continue;
            }

            var ack = AckLine().Match(line);
            if (ack.Success)
            {
                acks.Add((long.Parse(ack.Groups[1].Value, CultureInfo.InvariantCulture), Hash256.Parse(ack.Groups[2].Value)));
            }
        }

        return new RunResult(openLine, acks);
    }

    [GeneratedRegex("^OPEN ([0-9]+) ([0-9]+) ([A-Za-z]+)$")]
    private static partial Regex OpenLine();

    [GeneratedRegex("^ACK ([0-9]+) ([0-9a-f]{64})$")]
    private static partial Regex AckLine();

    private sealed record RunResult((long Records, long Truncated, string Damage)? Opened, List<(long Index, Hash256 Hash)> Acks);
}
