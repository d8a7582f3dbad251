using System.Buffers.Text;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Core.State;

/// <summary>The block the ledger index reflects: every block up to and including it on its branch is indexed.</summary>
/// <param name="Height">The block's height.</param>
/// <param name="Hash">The block's hash.</param>
public readonly record struct IndexTip(ulong Height, Hash256 Hash)
{
    /// <inheritdoc />
    public override string ToString() => $"#{Height} {Hash.ToShortString()}";
}

/// <summary>Where a transaction is on the indexed (best) chain.</summary>
/// <param name="TransactionId">The transaction's id.</param>
/// <param name="Height">The height of the block that holds it.</param>
/// <param name="Index">Its position in that block (the leaf of its Merkle proof).</param>
public sealed record TransactionLocation(Hash256 TransactionId, ulong Height, int Index);

/// <summary>One page of a query's results, in the query's order, and where the next page starts.</summary>
/// <typeparam name="T">The item type.</typeparam>
/// <param name="Items">At most the requested page size of items.</param>
/// <param name="Next">Pass to the same query for the next page; null when this page is the last.</param>
/// <param name="At">The index tip the whole page was read at (one consistent snapshot).</param>
public sealed record IndexPage<T>(IReadOnlyList<T> Items, PageToken? Next, IndexTip At);

/// <summary>Which query a <see cref="PageToken"/> continues. Numbers are part of the token format.</summary>
public enum PageKind : byte
{
    /// <summary>A patient's records by measurement time.</summary>
    PatientRecords = 1,
    /// <summary>A device's records by measurement time.</summary>
    DeviceRecords = 2,
    /// <summary>All records by measurement time.</summary>
    RecordsByTime = 3,
    /// <summary>A patient's grants by provider, then record type.</summary>
    PatientGrants = 4,
    /// <summary>A provider's grants by patient, then record type.</summary>
    ProviderGrants = 5,
    /// <summary>A patient's records of some record types by measurement time.</summary>
    PatientRecordsOfTypes = 6,
    /// <summary>The key releases of a patient's records, in chain order.</summary>
    PatientReleases = 7,
}

/// <summary>
/// Where the next page of a query starts: the query kind and the position of the last item returned (its sort key).
/// Opaque to callers; safe to hand to and take back from an untrusted client, since it only names a position:
/// <see cref="TryParse"/> checks the shape, and a query refuses a token of another kind.
/// </summary>
public sealed class PageToken : IEquatable<PageToken>
{
    private readonly byte[] _position;

    internal PageToken(PageKind kind, ReadOnlySpan<byte> position)
    {
        Kind = kind;
        _position = position.ToArray();
    }

    /// <summary>The query this token continues.</summary>
    public PageKind Kind { get; }

    internal ReadOnlySpan<byte> Position => _position;

    /// <summary>Length in bytes of the position of a kind of query.</summary>
    internal static int PositionLength(PageKind kind) => kind switch
    {
        PageKind.PatientRecords or PageKind.DeviceRecords or PageKind.RecordsByTime or PageKind.PatientRecordsOfTypes => IndexLayout.RecordPositionLength,
        PageKind.PatientGrants or PageKind.ProviderGrants => IndexLayout.GrantPositionLength,
        PageKind.PatientReleases => IndexLayout.ReleasePositionLength,
        _ => -1,
    };

    /// <summary>Parses a token made by <see cref="ToString"/>; false for anything else.</summary>
    public static bool TryParse(string? text, out PageToken? token)
    {
        token = null;
        if (text is null || text.Length > 128)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[96];
        if (Base64Url.DecodeFromChars(text, bytes, out var consumed, out var written) != System.Buffers.OperationStatus.Done || consumed != text.Length || written < 1)
        {
            return false;
        }

        var kind = (PageKind)bytes[0];
        if (PositionLength(kind) != written - 1)
        {
            return false;
        }

        token = new PageToken(kind, bytes[1..written]);
        return true;
    }

    /// <summary>The token as URL-safe base64 (kind byte, then position).</summary>
    public override string ToString() => Base64Url.EncodeToString([(byte)Kind, .. _position]);

    /// <inheritdoc />
    public bool Equals(PageToken? other) => other is not null && Kind == other.Kind && _position.AsSpan().SequenceEqual(other._position);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as PageToken);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Kind);
        hash.AddBytes(_position);
        return hash.ToHashCode();
    }
}

/// <summary>A key release recorded on-chain (<see cref="Transactions.KeyRelease"/>), as the index lists it per patient.</summary>
/// <param name="Patient">Whose record.</param>
/// <param name="Recipient">Who received the key (the patient or a grantee).</param>
/// <param name="Releaser">The node that released it (the transaction's sender).</param>
/// <param name="CiphertextHash">The record.</param>
/// <param name="RecordType">The record's type.</param>
/// <param name="ReleasedAtMs">When it was released, UTC ms.</param>
/// <param name="GrantHeight">The height of the grant it was released under; 0 for the patient.</param>
/// <param name="RequestId">SHA-256 of the recipient's signed request.</param>
/// <param name="Height">Height of the block that records it.</param>
/// <param name="TransactionId">The release transaction.</param>
public sealed record KeyReleaseInfo(Address Patient, Address Recipient, Address Releaser, Hash256 CiphertextHash, Transactions.RecordType RecordType, long ReleasedAtMs, ulong GrantHeight, Hash256 RequestId, ulong Height, Hash256 TransactionId);

/// <summary>What opening a ledger index had to do to match the chain.</summary>
/// <param name="Found">The tip recorded in the index when it was opened (null for a new index).</param>
/// <param name="RolledBack">Blocks undone because the index was ahead of the chain or on another branch.</param>
/// <param name="Applied">Blocks indexed because the index was behind.</param>
/// <param name="Rebuilt">True when the index was cleared and rebuilt from genesis (undo data no longer reached the fork, or a rebuild was interrupted).</param>
/// <param name="Tip">The tip after opening: the chain's tip.</param>
public sealed record LedgerIndexOpenReport(IndexTip? Found, int RolledBack, int Applied, bool Rebuilt, IndexTip Tip);

/// <summary>The index's bytes do not match their layout, or contradict the chain it follows (docs/storage.md, "Ledger index").</summary>
public sealed class LedgerIndexCorruptedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LedgerIndexCorruptedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public LedgerIndexCorruptedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public LedgerIndexCorruptedException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>The index was written for another chain (another genesis block) or by an unknown format version; nothing was changed.</summary>
public sealed class LedgerIndexMismatchException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LedgerIndexMismatchException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public LedgerIndexMismatchException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public LedgerIndexMismatchException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
