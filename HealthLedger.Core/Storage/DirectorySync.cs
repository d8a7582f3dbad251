using System.Runtime.InteropServices;

namespace HealthLedger.Core.Storage;

/// <summary>fsync of a directory, so that a newly created file's name is durable (POSIX only; a no-op elsewhere).</summary>
internal static partial class DirectorySync
{
    /// <summary>Best effort: returns false when the platform or file system does not support it.</summary>
    public static bool TrySync(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD())
        {
            return false;
        }

        var fd = Open(directory, 0);
        if (fd < 0)
        {
            return false;
        }

        try
        {
            return Fsync(fd) == 0;
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
