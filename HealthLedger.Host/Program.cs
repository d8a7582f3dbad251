using System.CommandLine;
using HealthLedger.Host.Commands;

namespace HealthLedger.Host;

/// <summary>Entry point of the <c>healthledger</c> command.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        var root = new RootCommand("HealthLedger: a blockchain node for medical IoT data.");
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(HashrateCommand.Create());
        root.Subcommands.Add(DetectCommand.Create());
        foreach (var command in NetworkCommands.Create())
        {
            root.Subcommands.Add(command);
        }

        foreach (var command in InternalCommands.Create())
        {
            root.Subcommands.Add(command);
        }

        return root.Parse(args).Invoke();
    }
}
