using System.CommandLine;

namespace HealthLedger.Node.Commands;

/// <summary>Hidden commands used by tests (for example the crash-safety torture writer).</summary>
internal static class InternalCommands
{
    public static IEnumerable<Command> Create()
    {
        yield break;
    }
}
