using System.CommandLine;
using System.Globalization;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Storage;

namespace HealthLedger.Host.Commands;

/// <summary>Hidden commands used by tests (for example the crash-safety torture writer).</summary>
internal static class InternalCommands
{
    public static IEnumerable<Command> Create()
    {
        yield return CreateStoreTorture();
    }

    /// <summary>
    /// <c>store-torture --dir D --count N --seed S</c>: opens a <see cref="FileBlockStore"/> (fsync on every append),
    /// prints <c>OPEN &lt;records&gt; &lt;bytesTruncated&gt; &lt;damage&gt;</c>, then appends N random payloads
    /// (hash = SHA-256 of the payload) and after each <c>Append</c> returns prints <c>ACK &lt;index&gt; &lt;hashhex&gt;</c>
    /// and flushes stdout. Crash tests kill it with SIGKILL at random moments and check every ACKed record survives.
    /// </summary>
    private static Command CreateStoreTorture()
    {
        var dir = new Option<string>("--dir") { Description = "Store directory.", Required = true };
        var count = new Option<int>("--count") { Description = "Number of blocks to append.", DefaultValueFactory = _ => 1000 };
        var seed = new Option<int>("--seed") { Description = "Random seed (mixed with the number of records already stored).", DefaultValueFactory = _ => 1 };
        var maxSize = new Option<int>("--max-size") { Description = "Largest random payload in bytes.", DefaultValueFactory = _ => 16 * 1024 };
        var segmentSize = new Option<long>("--segment-size") { Description = "Segment size limit in bytes.", DefaultValueFactory = _ => FileBlockStoreOptions.DefaultSegmentSizeLimit };
        var batched = new Option<bool>("--batched") { Description = "Use FsyncPolicy.Batched instead of EveryAppend." };

        var command = new Command("store-torture", "Internal: append random blocks and ACK each one (crash-safety tests).")
        {
            Hidden = true,
        };
        command.Options.Add(dir);
        command.Options.Add(count);
        command.Options.Add(seed);
        command.Options.Add(maxSize);
        command.Options.Add(segmentSize);
        command.Options.Add(batched);
        command.SetAction(parseResult =>
        {
            var options = new FileBlockStoreOptions
            {
                SegmentSizeLimit = parseResult.GetValue(segmentSize),
                Fsync = parseResult.GetValue(batched) ? FsyncPolicy.Batched : FsyncPolicy.EveryAppend,
            };
            var output = Console.Out;
            using var store = FileBlockStore.Open(parseResult.GetValue(dir)!, options);
            var report = store.OpenReport;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"OPEN {report.RecordsRecovered} {report.BytesTruncated} {report.Damage}"));
            output.Flush();

            var random = new Random(unchecked(parseResult.GetValue(seed) * 7919 + (int)store.Count));
            var largest = Math.Clamp(parseResult.GetValue(maxSize), 0, options.MaxRecordSize);
            var n = parseResult.GetValue(count);
            for (var i = 0; i < n; i++)
            {
                var payload = new byte[random.Next(largest + 1)];
                random.NextBytes(payload);
                var hash = Hash256.Sha256(payload);
                if (store.Contains(hash))
                {
                    continue;
                }

                store.Append(hash, payload);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ACK {store.Count - 1} {hash}"));
                output.Flush();
            }

            return 0;
        });
        return command;
    }
}
