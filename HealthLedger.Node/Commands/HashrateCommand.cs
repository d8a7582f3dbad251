using System.CommandLine;

namespace HealthLedger.Node.Commands;

/// <summary>The `hashrate` command (being built: see the open issues).</summary>
internal static class HashrateCommand
{
    public static Command Create()
    {
        var command = new Command("hashrate", "Not available yet in this build.");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("'hashrate' is not available yet in this build.");
            return 2;
        });
        return command;
    }
}
