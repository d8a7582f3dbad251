using System.CommandLine;
using HealthLedger.Host.Demo;
using HealthLedger.Host.Demo.Processes;

namespace HealthLedger.Host.Commands;

/// <summary>
/// The <c>demo</c> command: by default a real network of node processes on loopback (<see cref="ProcessDemoRunner"/>);
/// with <c>--in-process</c>, the scripted five-node consortium inside this process (<see cref="DemoRunner"/>).
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var nodes = new Option<int>("--nodes") { Description = "Node processes to start.", DefaultValueFactory = _ => 4 };
        var records = new Option<int>("--records") { Description = "Device records to replay from the WUSTL-EHMS-2020 test split (at most 3000, the whole split).", DefaultValueFactory = _ => 3_000 };
        var consensus = new Option<string>("--consensus") { Description = "pow or epow.", DefaultValueFactory = _ => "epow" };
        consensus.AcceptOnlyFromAmong("pow", "epow");
        var json = new Option<string?>("--json") { Description = "Write the summary as JSON to this file." };
        var rate = new Option<double>("--rate") { Description = "Records per second each device sends (0 = as fast as the API answers).", DefaultValueFactory = _ => 10 };
        var keep = new Option<bool>("--keep") { Description = "Keep the network's directory (keys, stores, logs) in the temporary folder after the run." };
        var inProcess = new Option<bool>("--in-process") { Description = "Run the scripted five-node consortium inside this process instead (in-memory transport; --dir, --difficulty, --rounds)." };
        var dir = new Option<string?>("--dir") { Description = "Directory for the network (must not exist; kept after the run). Default: a new temporary directory, removed afterwards." };
        var difficulty = new Option<int?>("--difficulty") { Description = "Initial difficulty level (leading zero hex digits); default 5 (4 with --in-process)." };
        var ipfs = new Option<string?>("--ipfs") { Description = "Kubo RPC endpoint of an IPFS node (e.g. http://127.0.0.1:5001) for the encrypted records; default: each node's local store." };
        var rounds = new Option<int>("--rounds") { Description = "--in-process: blocks mined in each of the four phases.", DefaultValueFactory = _ => 5 };
        var command = new Command("demo", "Run a local network: N node processes over TLS on loopback, WUSTL-EHMS-2020 device records as encrypted FHIR records through the ingestion gate, key releases, one node killed and restarted, a summary. --in-process: the scripted five-node consortium in one process.")
        {
            nodes, records, consensus, json, rate, keep, inProcess, dir, difficulty, rounds, ipfs,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(inProcess))
            {
                var runner = new DemoRunner(Console.Out, parse.GetValue(dir) ?? Path.Combine(Path.GetTempPath(), "healthledger-demo"), parse.GetValue(difficulty) ?? 4, parse.GetValue(rounds));
                return runner.Run(cancellationToken);
            }

            var options = new ProcessDemoOptions
            {
                Nodes = parse.GetValue(nodes),
                Records = parse.GetValue(records),
                Consensus = parse.GetValue(consensus)!,
                Json = parse.GetValue(json),
                Directory = parse.GetValue(dir),
                Rate = parse.GetValue(rate),
                Difficulty = parse.GetValue(difficulty) ?? 5,
                Keep = parse.GetValue(keep),
                Ipfs = parse.GetValue(ipfs),
            };
            try
            {
                return await new ProcessDemoRunner(Console.Out, options).RunAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (DemoFailedException e)
            {
                await Console.Error.WriteLineAsync($"Demo FAILED: {e.Message}").ConfigureAwait(false);
                return 1;
            }
            catch (OperationCanceledException)
            {
                await Console.Error.WriteLineAsync("Demo interrupted; the node processes were stopped.").ConfigureAwait(false);
                return 130;
            }
        });
        return command;
    }
}
