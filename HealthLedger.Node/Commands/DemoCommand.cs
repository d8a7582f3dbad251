using System.CommandLine;

namespace HealthLedger.Node.Commands;

/// <summary>The `demo` command (being built: see the open issues).</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var command = new Command("demo", "Not available yet in this build.");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("'demo' is not available yet in this build.");
            return 2;
        });
        return command;
    }
}
