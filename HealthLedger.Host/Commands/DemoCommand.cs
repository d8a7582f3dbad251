using System.CommandLine;
using HealthLedger.Host.Demo;

namespace HealthLedger.Host.Commands;

/// <summary>The <c>demo</c> command: a local multi-node consortium run end to end.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var dir = new Option<string>("--dir") { Description = "Where the nodes keep their block stores and off-chain records.", DefaultValueFactory = _ => Path.Combine(Path.GetTempPath(), "healthledger-demo") };
        var difficulty = new Option<int>("--difficulty") { Description = "Difficulty level (leading zero hex digits) of the ePoW base target.", DefaultValueFactory = _ => 4 };
        var rounds = new Option<int>("--rounds") { Description = "Blocks mined in each of the three phases.", DefaultValueFactory = _ => 5 };
        var command = new Command("demo", "Run a local five-node ePoW consortium: patient, device, encrypted records, attestations and finality under node failures.") { dir, difficulty, rounds };
        command.SetAction((parseResult, cancellationToken) =>
        {
            var runner = new DemoRunner(Console.Out, parseResult.GetValue(dir)!, parseResult.GetValue(difficulty), parseResult.GetValue(rounds));
            return Task.FromResult(runner.Run(cancellationToken));
        });
        return command;
    }
}
