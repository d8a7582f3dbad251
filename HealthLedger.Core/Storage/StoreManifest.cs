using System.Buffers.Binary;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Core.Storage;

/// <summary>
/// The <c>MANIFEST</c> file: which chain a block store belongs to (all integers little-endian, 52 bytes):
/// magic "HLBLKMAN" (8) | format version u32 = 1 (4) | reserved u32 = 0 (4) | genesis hash (32) | CRC-32C of bytes 0..47 (4).
/// Written once, atomically (temporary file, fsync, rename, directory fsync), never modified.
/// </summary>
internal static class StoreManifest
{
    public const string FileName = "MANIFEST";
    public const string TemporaryFileName = "MANIFEST.tmp";
    public const uint Version = 1;
    public const int Size = 52;
    private const int Checked = 48;

    public static ReadOnlySpan<byte> Magic => "HLBLKMAN"u8;

    public static void Encode(Span<byte> destination, Hash256 genesisHash)
    {
        destination[..Size].Clear();
        Magic.CopyTo(destination);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], Version);
        genesisHash.WriteTo(destination[16..]);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[Checked..], Crc32C.Compute(destination[..Checked]));
    }

    /// <summary>Decodes a manifest; returns a description of what is wrong, or null.</summary>
    public static string? TryDecode(ReadOnlySpan<byte> bytes, out Hash256 genesisHash)
    {
        genesisHash = default;
        if (bytes.Length != Size)
        {
            return $"the manifest is {bytes.Length} bytes, expected {Size}";
        }

        if (!bytes[..8].SequenceEqual(Magic))
        {
            return "the manifest does not start with HLBLKMAN";
        }

        if (Crc32C.Compute(bytes[..Checked]) != BinaryPrimitives.ReadUInt32LittleEndian(bytes[Checked..]))
        {
            return "the manifest fails its checksum";
        }

        var version = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
        if (version != Version || BinaryPrimitives.ReadUInt32LittleEndian(bytes[12..]) != 0)
        {
            return $"manifest version {version} (reserved field {BinaryPrimitives.ReadUInt32LittleEndian(bytes[12..])}) is not supported";
        }

        genesisHash = new Hash256(bytes.Slice(16, Hash256.Length));
        return null;
    }

    /// <summary>Reads the manifest of <paramref name="directory"/>; null when there is none.</summary>
    /// <exception cref="BlockStoreCorruptedException">The manifest is a link (<see cref="BlockStoreDamage.SymbolicLink"/>) or damaged (<see cref="BlockStoreDamage.BadManifest"/>).</exception>
    public static Hash256? Read(string directory)
    {
        var path = Path.Combine(directory, FileName);
        Microsoft.Win32.SafeHandles.SafeFileHandle handle;
        try
        {
            handle = StoreFiles.OpenExisting(path, write: false, segment: -1);
        }
        catch (FileNotFoundException)
        {
            return null;
        }

        using (handle)
        {
            var length = RandomAccess.GetLength(handle);
            Span<byte> buffer = stackalloc byte[Size];
            Hash256 hash = default;
            var error = length == Size && RandomAccess.Read(handle, buffer, 0) == Size
                ? TryDecode(buffer, out hash)
                : $"the manifest is {length} bytes, expected {Size}";
            return error is null ? hash : throw new BlockStoreCorruptedException(path, BlockStoreDamage.BadManifest, error + ".");
        }
    }

    /// <summary>Writes the manifest atomically: a reader sees either no manifest or the whole of it.</summary>
    public static void Write(string directory, Hash256 genesisHash)
    {
        var temporary = Path.Combine(directory, TemporaryFileName);
        StoreFiles.RefuseLink(temporary);
        File.Delete(temporary); // a leftover of an interrupted creation (deleting a name never touches a link's target)
        Span<byte> bytes = stackalloc byte[Size];
        Encode(bytes, genesisHash);
        using (var handle = File.OpenHandle(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            RandomAccess.Write(handle, bytes, 0);
            RandomAccess.FlushToDisk(handle);
        }

        File.Move(temporary, Path.Combine(directory, FileName), overwrite: false);
        DirectorySync.TrySync(directory);
    }
}
