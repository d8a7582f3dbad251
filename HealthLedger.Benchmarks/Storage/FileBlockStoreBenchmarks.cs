using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Storage;

namespace HealthLedger.Benchmarks.Storage;

/// <summary>Where the benchmark stores live: <c>HEALTHLEDGER_BENCH_DIR</c> or the temp directory (a real disk, not tmpfs, to measure fsync).</summary>
internal static class BenchDirectory
{
    public static string Create(string name)
    {
        var root = Environment.GetEnvironmentVariable("HEALTHLEDGER_BENCH_DIR") ?? Path.GetTempPath();
        var path = Path.Combine(root, $"hl-bench-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    public static void Delete(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }

    /// <summary>A distinct hash per counter value (the store never checks hashes against payloads).</summary>
    public static Hash256 HashFor(long counter)
    {
        Span<byte> bytes = stackalloc byte[Hash256.Length];
        bytes.Clear();
        BinaryPrimitives.WriteInt64LittleEndian(bytes, counter);
        return new Hash256(bytes);
    }
}

/// <summary>
/// Append throughput of <see cref="FileBlockStore"/>: fsync on every append (the default, durable when
/// <c>Append</c> returns) versus <see cref="FsyncPolicy.Batched"/> with one <c>Flush</c> per 100 appends.
/// Reported per appended block.
/// </summary>
[MemoryDiagnoser]
#pragma warning disable CA1515 // BenchmarkDotNet needs public benchmark classes.
public class FileBlockStoreAppendBenchmarks
#pragma warning restore CA1515
{
    private const int BatchSize = 100;
    private string _everyAppendDirectory = "";
    private string _batchedDirectory = "";
    private FileBlockStore _everyAppend = null!;
    private FileBlockStore _batched = null!;
    private byte[] _payload = [];
    private long _counter;

    /// <summary>Encoded block size: ~1 KB (a few transactions) and ~100 KB (a full block).</summary>
    [Params(1024, 100 * 1024)]
    public int PayloadSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = new byte[PayloadSize];
        new Random(1).NextBytes(_payload);
        _everyAppendDirectory = BenchDirectory.Create("fsync");
        _batchedDirectory = BenchDirectory.Create("batched");
        _everyAppend = FileBlockStore.Open(_everyAppendDirectory, new FileBlockStoreOptions { Fsync = FsyncPolicy.EveryAppend });
        _batched = FileBlockStore.Open(_batchedDirectory, new FileBlockStoreOptions { Fsync = FsyncPolicy.Batched });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _everyAppend.Dispose();
        _batched.Dispose();
        BenchDirectory.Delete(_everyAppendDirectory);
        BenchDirectory.Delete(_batchedDirectory);
    }

    [Benchmark(Baseline = true, Description = "Append, fsync each")]
    public void AppendFsyncEach() => _everyAppend.Append(BenchDirectory.HashFor(_counter++), _payload);

    [Benchmark(OperationsPerInvoke = BatchSize, Description = "Append batched, Flush per 100")]
    public void AppendBatched()
    {
        for (var i = 0; i < BatchSize; i++)
        {
            _batched.Append(BenchDirectory.HashFor(_counter++), _payload);
        }

        _batched.Flush();
    }
}

/// <summary>Reopening a store of 10,000 ~1 KB blocks: the open scan (verifies every checksum, rebuilds the index) and a full <c>ReadAll</c> replay.</summary>
[MemoryDiagnoser]
#pragma warning disable CA1515 // BenchmarkDotNet needs public benchmark classes.
public class FileBlockStoreReplayBenchmarks
#pragma warning restore CA1515
{
    private const int Blocks = 10_000;
    private string _directory = "";

    [GlobalSetup]
    public void Setup()
    {
        _directory = BenchDirectory.Create("replay");
        var random = new Random(2);
        using var store = FileBlockStore.Open(_directory, new FileBlockStoreOptions { Fsync = FsyncPolicy.Batched });
        for (var i = 0; i < Blocks; i++)
        {
            var payload = new byte[random.Next(768, 1280)];
            random.NextBytes(payload);
            store.Append(Hash256.Sha256(payload), payload);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => BenchDirectory.Delete(_directory);

    [Benchmark(Baseline = true, Description = "Open (scan + index) 10k blocks")]
    public long Open()
    {
        using var store = FileBlockStore.Open(_directory);
        return store.Count;
    }

    [Benchmark(Description = "Open + ReadAll 10k blocks")]
    public long OpenAndReplay()
    {
        using var store = FileBlockStore.Open(_directory);
        long bytes = 0;
        foreach (var block in store.ReadAll())
        {
            bytes += block.Encoded.Length;
        }

        return bytes;
    }
}
