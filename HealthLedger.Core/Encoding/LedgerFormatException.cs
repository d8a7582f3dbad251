namespace HealthLedger.Core.Encoding;

/// <summary>
/// Thrown when bytes from outside (a peer, a file, a user) are not a valid canonical encoding:
/// truncated, oversized, of the wrong type, out of range, or not byte-for-byte the canonical form.
/// The only exception a decoder raises for bad input.
/// </summary>
public sealed class LedgerFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public LedgerFormatException(string field, string reason)
        : base($"Invalid encoding at '{field}': {reason}")
    {
        Field = field;
        Reason = reason;
    }

    /// <summary>Creates the exception with an inner cause.</summary>
    public LedgerFormatException(string field, string reason, Exception inner)
        : base($"Invalid encoding at '{field}': {reason}", inner)
    {
        Field = field;
        Reason = reason;
    }

    /// <summary>Creates the exception (serialization constructor shape).</summary>
    public LedgerFormatException()
        : this("?", "invalid encoding")
    {
    }

    /// <summary>Creates the exception (message only).</summary>
    public LedgerFormatException(string message)
        : this("?", message)
    {
    }

    /// <summary>Creates the exception (message and inner).</summary>
    public LedgerFormatException(string message, Exception innerException)
        : this("?", message, innerException)
    {
    }

    /// <summary>The field being decoded when the problem was found.</summary>
    public string Field { get; }

    /// <summary>What was wrong.</summary>
    public string Reason { get; }
}
