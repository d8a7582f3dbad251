using System.Buffers.Binary;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Storage;

namespace HealthLedger.Tests.Storage;

/// <summary>
/// Random and mutated segment files only ever produce the documented outcomes: a successful open (possibly
/// with a repaired tail) whose contents are a prefix of what was written, or a <see cref="BlockStoreCorruptedException"/>.
/// Any other exception fails the test; every open must allocate less than <see cref="AllocationLimit"/>.
/// </summary>
public class FileBlockStoreHostileBytesTests
{
    private const long AllocationLimit = 1024 * 1024;
    private static readonly FileBlockStoreOptions Options = new() { SegmentSizeLimit = 1024 };

    private TempDirectory _directory = null!;

    [SetUp]
    public void CreateDirectory() => _directory = TempDirectory.Create(inMemory: true);

    [TearDown]
    public void DeleteDirectory() => _directory.Dispose();

    [TestCase(1, 1500)]
    public void Random_segment_files_give_only_documented_outcomes(int seed, int cases)
    {
        var random = new Random(seed);
        var outcomes = new Dictionary<string, int>();
        for (var i = 0; i < cases; i++)
        {
            var length = random.Next(0, 3000);
            var bytes = new byte[length];
            switch (i % 3)
            {
                case 0:
                    random.NextBytes(bytes);
                    break;
                case 1:
                    random.NextBytes(bytes);
                    WriteValidHeader(bytes, 0);
                    break;
                default:
                    // Mostly zeros and small values: length fields that look plausible.
                    for (var k = 0; k < bytes.Length; k++)
                    {
                        bytes[k] = random.Next(4) == 0 ? (byte)random.Next(4) : (byte)0;
                    }

                    WriteValidHeader(bytes, 0);
                    break;
            }

            ReplaceSegments([bytes]);
            var outcome = OpenAndCheck(Array.Empty<(Hash256, byte[])>(), $"case {i}");
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        TestContext.Out.WriteLine(string.Join(", ", outcomes.OrderBy(o => o.Key).Select(o => $"{o.Key}: {o.Value}")));
        Assert.That(outcomes.Keys, Has.Some.StartsWith("error"));
        Assert.That(outcomes.Keys, Has.Some.StartsWith("opened"));
    }

    [TestCase(2, 3000)]
    [Category("Slow")]
    public void Mutated_segment_files_give_only_documented_outcomes(int seed, int cases)
    {
        var random = new Random(seed);
        var blocks = TestBlocks.Make(seed, [.. Enumerable.Range(0, 12).Select(_ => random.Next(0, 400))]);
        var locations = TestBlocks.Write(_directory.Path, blocks, Options);
        var segmentCount = locations[^1].Segment + 1;
        var originals = Enumerable.Range(0, segmentCount).Select(n => File.ReadAllBytes(_directory.Segment(n))).ToArray();
        Assert.That(segmentCount, Is.GreaterThanOrEqualTo(3), "the base store spans several segments");

        var outcomes = new Dictionary<string, int>();
        for (var i = 0; i < cases; i++)
        {
            var files = originals.Select(f => (byte[])f.Clone()).ToArray();
            var target = random.Next(segmentCount);
            var mutations = random.Next(1, 4);
            var applied = new List<string>();
            for (var m = 0; m < mutations; m++)
            {
                var recordOffsets = locations.Where(l => l.Segment == target).Select(l => l.Offset).ToList();
                files[target] = Mutate(random, files[target], recordOffsets, applied);
            }

            ReplaceSegments(files);
            var outcome = OpenAndCheck(blocks, $"case {i}: segment {target}, {string.Join(", ", applied)}");
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;

            // Now and then, check a repaired store takes new blocks and reopens cleanly.
            if (outcome.StartsWith("opened", StringComparison.Ordinal) && i % 10 == 0)
            {
                AppendAndReopen(random);
            }
        }

        TestContext.Out.WriteLine(string.Join(", ", outcomes.OrderBy(o => o.Key).Select(o => $"{o.Key}: {o.Value}")));
        Assert.That(outcomes.Keys, Has.Some.StartsWith("error"));
        Assert.That(outcomes.Keys, Has.Some.StartsWith("opened repaired"));
    }

    private string OpenAndCheck(IReadOnlyList<(Hash256 Hash, byte[] Payload)> written, string description)
    {
        FileBlockStore store;
        var before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            store = FileBlockStore.Open(_directory.Path, Options);
        }
        catch (BlockStoreCorruptedException e)
        {
            Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(AllocationLimit), description);
            Assert.That(e.Damage, Is.Not.EqualTo(BlockStoreDamage.None), description);
            return "error " + e.Damage;
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(AllocationLimit), description);
        using (store)
        {
            var report = store.OpenReport;
            Assert.That(report.RecordsRecovered, Is.EqualTo(store.Count), description);
            Assert.That(store.Count, Is.LessThanOrEqualTo(written.Count), description);
            List<StoredBlock> all;
            try
            {
                all = store.ReadAll().ToList();
            }
            catch (BlockStoreCorruptedException e)
            {
                // Open reads only the last segment; damage inside a sealed one is found when its records are read.
                Assert.That(e.Damage, Is.EqualTo(BlockStoreDamage.ChangedAfterOpen), description);
                Assert.That(e.Segment, Is.LessThan(report.SegmentCount - 1), description);
                return "read error " + e.Damage;
            }

            for (var k = 0; k < all.Count; k++)
            {
                Assert.That(all[k].Hash, Is.EqualTo(written[k].Hash), description);
                Assert.That(all[k].Encoded.ToArray(), Is.EqualTo(written[k].Payload), description);
            }

            return report.WasRepaired ? "opened repaired " + report.Damage : "opened clean";
        }
    }

    private void AppendAndReopen(Random random)
    {
        List<StoredBlock> before;
        var (hash, payload) = TestBlocks.Make(random, random.Next(0, 300));
        using (var store = FileBlockStore.Open(_directory.Path, Options))
        {
            before = [.. store.ReadAll()];
            store.Append(hash, payload);
        }

        using var reopened = FileBlockStore.Open(_directory.Path, Options);
        Assert.That(reopened.OpenReport.WasRepaired, Is.False);
        var after = reopened.ReadAll().ToList();
        Assert.That(after.Select(b => b.Hash), Is.EqualTo(before.Select(b => b.Hash).Append(hash)));
    }

    private static byte[] Mutate(Random random, byte[] file, List<long> recordOffsets, List<string> applied)
    {
        if (file.Length == 0)
        {
            applied.Add("append");
            var extra = new byte[random.Next(1, 100)];
            random.NextBytes(extra);
            return extra;
        }

        var at = random.Next(file.Length);
        switch (random.Next(9))
        {
            case 0:
                applied.Add($"flip bit at {at}");
                file[at] ^= (byte)(1 << random.Next(8));
                return file;
            case 1:
                applied.Add($"set byte at {at}");
                file[at] = (byte)random.Next(256);
                return file;
            case 2:
                applied.Add($"truncate to {at}");
                return file[..at];
            case 3:
            {
                var inserted = new byte[random.Next(1, 65)];
                random.NextBytes(inserted);
                applied.Add($"insert {inserted.Length} at {at}");
                return [.. file[..at], .. inserted, .. file[at..]];
            }

            case 4:
            {
                var count = Math.Min(random.Next(1, 200), file.Length - at);
                applied.Add($"delete {count} at {at}");
                return [.. file[..at], .. file[(at + count)..]];
            }

            case 5:
            {
                if (recordOffsets.Count == 0)
                {
                    goto case 0;
                }

                // A huge length field, with or without a matching header checksum.
                var record = (int)recordOffsets[random.Next(recordOffsets.Count)];
                if (record + SegmentFormat.RecordHeaderSize > file.Length)
                {
                    goto case 0;
                }

                BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(record), (uint)random.Next(FileBlockStoreOptions.DefaultMaxRecordSize, int.MaxValue));
                var fixChecksum = random.Next(2) == 0;
                if (fixChecksum)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(record + 44), Crc32C.Compute(file.AsSpan(record, 44)));
                }

                applied.Add($"huge length at {record} (checksum fixed: {fixChecksum})");
                return file;
            }

            case 6:
            {
                var count = Math.Min(random.Next(1, 400), file.Length - at);
                var to = random.Next(file.Length);
                applied.Add($"copy {count} from {at} to {to}");
                return [.. file[..to], .. file.AsSpan(at, count), .. file[to..]];
            }

            case 7:
            {
                var count = Math.Min(random.Next(1, 300), file.Length - at);
                applied.Add($"zero {count} at {at}");
                file.AsSpan(at, count).Clear();
                return file;
            }

            default:
            {
                var extra = new byte[random.Next(1, 100)];
                random.NextBytes(extra);
                applied.Add($"append {extra.Length}");
                return [.. file, .. extra];
            }
        }
    }

    private void ReplaceSegments(byte[][] files)
    {
        foreach (var path in Directory.EnumerateFiles(_directory.Path, "blocks-*.dat"))
        {
            File.Delete(path);
        }

        for (var n = 0; n < files.Length; n++)
        {
            File.WriteAllBytes(_directory.Segment(n), files[n]);
        }
    }

    private static void WriteValidHeader(byte[] bytes, int segment)
    {
        if (bytes.Length >= SegmentFormat.HeaderSize)
        {
            SegmentFormat.WriteHeader(bytes, segment);
        }
    }
}
