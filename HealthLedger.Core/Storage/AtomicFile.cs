namespace HealthLedger.Core.Storage;

/// <summary>Replaces a store file atomically: temporary file, fsync, rename over the old one, directory fsync.</summary>
internal static class AtomicFile
{
    public static void Write(string directory, string fileName, ReadOnlySpan<byte> bytes, bool syncDirectory)
    {
        var path = Path.Combine(directory, fileName);
        var temporary = path + ".tmp";
        StoreFiles.RefuseLink(temporary);
        StoreFiles.RefuseLink(path);
        File.Delete(temporary); // a leftover of an interrupted write (deleting a name never touches a link's target)
        using (var handle = File.OpenHandle(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            RandomAccess.Write(handle, bytes, 0);
            RandomAccess.FlushToDisk(handle);
        }

        File.Move(temporary, path, overwrite: true);
        if (syncDirectory)
        {
            DirectorySync.TrySync(directory);
        }
    }
}
