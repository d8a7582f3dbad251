using System.CommandLine;

namespace HealthLedger.Node.Commands;

/// <summary>The `detect` command (being built: see the open issues).</summary>
internal static class DetectCommand
{
    public static Command Create()
    {
        var command = new Command("detect", "Not available yet in this build.");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("'detect' is not available yet in this build.");
            return 2;
        });
        return command;
    }
}
