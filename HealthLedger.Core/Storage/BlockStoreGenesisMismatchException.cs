namespace HealthLedger.Core.Storage;

/// <summary>
/// The block store belongs to another chain: its <c>MANIFEST</c> names a genesis hash other than the one the caller
/// expects, or it holds blocks but no manifest at all (a store written before manifests existed).
/// </summary>
public sealed class BlockStoreGenesisMismatchException : Exception
{
    /// <summary>Creates an exception without details.</summary>
    public BlockStoreGenesisMismatchException()
        : base("The block store belongs to another chain.")
    {
    }

    /// <summary>Creates an exception with a message only.</summary>
    public BlockStoreGenesisMismatchException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    public BlockStoreGenesisMismatchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception naming both hashes.</summary>
    /// <param name="directory">The store directory.</param>
    /// <param name="expected">The genesis hash the caller opened the store for.</param>
    /// <param name="found">The genesis hash recorded in the store, or null when it holds blocks but records none.</param>
    public BlockStoreGenesisMismatchException(string directory, Crypto.Hash256 expected, Crypto.Hash256? found)
        : base(found is { } f
            ? $"The block store in {directory} belongs to genesis {f}, not {expected}."
            : $"The block store in {directory} holds blocks but records no genesis hash, so it cannot be shown to belong to genesis {expected}. Set FileBlockStoreOptions.AdoptStoreWithoutManifest to adopt it.")
    {
        Directory = directory;
        Expected = expected;
        Found = found;
    }

    /// <summary>The store directory ("" when unknown).</summary>
    public string Directory { get; } = string.Empty;

    /// <summary>The genesis hash the caller expected.</summary>
    public Crypto.Hash256 Expected { get; }

    /// <summary>The genesis hash the store records, or null when it records none.</summary>
    public Crypto.Hash256? Found { get; }
}
