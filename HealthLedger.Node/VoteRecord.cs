using System.Buffers.Binary;
using HealthLedger.Core.Chain;
using System.Security.Cryptography;

namespace HealthLedger.Node;

/// <summary>
/// The validator's record of its own votes on disk (<c>votes.dat</c>: u64 LE last target height, u64 LE last source
/// height, u32 LE checksum = the first four bytes of SHA-256 of the 16 bytes), written atomically (temporary file, flush to disk, rename), so a restarted
/// validator never signs a vote that conflicts with one it signed before it crashed. A damaged file fails the start
/// instead of being ignored (forgetting one's votes is how an honest validator equivocates by accident).
/// </summary>
internal sealed class VoteRecord
{
    private const int Size = 20;
    private readonly string _path;
    private readonly object _gate = new();

    private VoteRecord(string path, VoteGuard guard)
    {
        _path = path;
        Guard = guard;
    }

    public VoteGuard Guard { get; }

    private static uint Checksum(byte[] bytes) => BinaryPrimitives.ReadUInt32LittleEndian(SHA256.HashData(bytes.AsSpan(0, 16)));

    public static VoteRecord Open(string directory)
    {
        var path = Path.Combine(directory, "votes.dat");
        if (!File.Exists(path))
        {
            return new VoteRecord(path, new VoteGuard());
        }

        var bytes = File.ReadAllBytes(path);
        if (bytes.Length != Size || Checksum(bytes) != BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(16)))
        {
            throw new InvalidDataException($"The vote record {path} is damaged; refusing to vote without knowing this validator's earlier votes.");
        }

        return new VoteRecord(path, new VoteGuard(BinaryPrimitives.ReadUInt64LittleEndian(bytes), BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(8))));
    }

    /// <summary>Lets the vote through the guard and persists the new heights before the caller signs; false when the guard refuses.</summary>
    public bool TryAllow(Core.Transactions.Attestation vote)
    {
        lock (_gate)
        {
            if (!Guard.TryAllow(vote))
            {
                return false;
            }

            var bytes = new byte[Size];
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, Guard.LastTargetHeight);
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), Guard.LastSourceHeight);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(16), Checksum(bytes));
            var temp = _path + ".tmp";
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                file.Write(bytes);
                file.Flush(flushToDisk: true);
            }

            File.Move(temp, _path, overwrite: true);
            return true;
        }
    }
}
