using HealthLedger.Core.Crypto;
using HealthLedger.Core.Storage;

namespace HealthLedger.Tests.Storage;

/// <summary>A temporary directory deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    private TempDirectory(string path) => Path = path;

    public string Path { get; }

    /// <summary>Creates a directory, on tmpfs (/dev/shm) when <paramref name="inMemory"/> and available (fsync is free there).</summary>
    public static TempDirectory Create(bool inMemory = false)
    {
        var root = inMemory && Directory.Exists("/dev/shm") ? "/dev/shm" : System.IO.Path.GetTempPath();
        var path = System.IO.Path.Combine(root, "hl-store-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return new TempDirectory(path);
    }

    public string Segment(int n) => System.IO.Path.Combine(Path, SegmentFormat.FileName(n));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Deterministic test blocks: random payloads whose hash is their SHA-256.</summary>
internal static class TestBlocks
{
    public static (Hash256 Hash, byte[] Payload) Make(Random random, int size)
    {
        var payload = new byte[size];
        random.NextBytes(payload);
        return (Hash256.Sha256(payload), payload);
    }

    public static List<(Hash256 Hash, byte[] Payload)> Make(int seed, params int[] sizes)
    {
        var random = new Random(seed);
        return [.. sizes.Select(size => Make(random, size))];
    }

    /// <summary>Writes the blocks to a fresh store in <paramref name="directory"/> and returns each record's (segment, offset).</summary>
    public static List<(int Segment, long Offset)> Write(string directory, IEnumerable<(Hash256 Hash, byte[] Payload)> blocks, FileBlockStoreOptions? options = null, bool fresh = true)
    {
        if (!fresh)
        {
            using var existing = FileBlockStore.Open(directory, options);
            foreach (var (hash, payload) in blocks)
            {
                existing.Append(hash, payload);
            }

            return [];
        }

        var locations = new List<(int, long)>();
        var segment = 0;
        long offset = SegmentFormat.HeaderSize;
        var limit = (options ?? FileBlockStoreOptions.Default).SegmentSizeLimit;
        using var store = FileBlockStore.Open(directory, options);
        foreach (var (hash, payload) in blocks)
        {
            var length = SegmentFormat.RecordOverhead + payload.Length;
            if (offset > SegmentFormat.HeaderSize && offset + length > limit)
            {
                segment++;
                offset = SegmentFormat.HeaderSize;
            }

            locations.Add((segment, offset));
            store.Append(hash, payload);
            offset += length;
        }

        return locations;
    }

    public static void AssertContents(IBlockStore store, IReadOnlyList<(Hash256 Hash, byte[] Payload)> expected)
    {
        var all = store.ReadAll().ToList();
        Assert.That(store.Count, Is.EqualTo(expected.Count));
        Assert.That(all, Has.Count.EqualTo(expected.Count));
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.That(all[i].Sequence, Is.EqualTo(i));
            Assert.That(all[i].Hash, Is.EqualTo(expected[i].Hash));
            Assert.That(all[i].Encoded.ToArray(), Is.EqualTo(expected[i].Payload));
        }
    }
}
