using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace HealthLedger.Core.Storage;

/// <summary>
/// Opens the store's own files without ever following a symbolic link, so a link planted in the store directory
/// (pointing at another file) can neither be read as a segment nor be truncated or overwritten by a repair.
/// </summary>
/// <remarks>
/// On Linux the file is opened with <c>O_NOFOLLOW</c> (the kernel refuses a link as the last path component with
/// <c>ELOOP</c>, with no window between a check and the open). Elsewhere the path is checked with <c>lstat</c> before
/// and after opening. New files are always created with <see cref="FileMode.CreateNew"/> (<c>O_CREAT|O_EXCL</c>), which
/// fails on any existing name, a dangling link included.
/// </remarks>
internal static partial class StoreFiles
{
    private const int ORdOnly = 0;
    private const int ORdWr = 2;
    private const int ELoop = 40;
    private const int ENoEnt = 2;

    /// <summary>Throws when <paramref name="path"/> itself (not its parents) is a symbolic link or other reparse point.</summary>
    /// <exception cref="BlockStoreCorruptedException">With <see cref="BlockStoreDamage.SymbolicLink"/>.</exception>
    public static void RefuseLink(string path, int segment = -1)
    {
        // "dir/" would make lstat resolve a link named dir: judge the name itself.
        path = Path.TrimEndingDirectorySeparator(path);
        FileSystemInfo info = System.IO.Directory.Exists(path) ? new DirectoryInfo(path) : new FileInfo(path);
        if (info.LinkTarget is not null || (info.Exists && info.Attributes.HasFlag(FileAttributes.ReparsePoint)))
        {
            throw Link(path, segment, info.LinkTarget);
        }
    }

    /// <summary>Opens an existing store file for reading (and writing when <paramref name="write"/>), refusing links.</summary>
    /// <exception cref="BlockStoreCorruptedException">The path is a symbolic link (<see cref="BlockStoreDamage.SymbolicLink"/>).</exception>
    public static SafeFileHandle OpenExisting(string path, bool write, int segment)
    {
        if (OperatingSystem.IsLinux() && IsKnownLinuxAbi)
        {
            var fd = Open(path, (write ? ORdWr : ORdOnly) | LinuxNoFollow | LinuxCloseOnExec);
            if (fd >= 0)
            {
                return new SafeFileHandle((IntPtr)fd, ownsHandle: true);
            }

            var errno = Marshal.GetLastPInvokeError();
            throw errno switch
            {
                ELoop => Link(path, segment, null),
                ENoEnt => new FileNotFoundException($"The store file {path} does not exist.", path),
                _ => new IOException($"Opening {path} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})."),
            };
        }

        RefuseLink(path, segment);
        var handle = File.OpenHandle(path, FileMode.Open, write ? FileAccess.ReadWrite : FileAccess.Read, FileShare.Read);
        try
        {
            RefuseLink(path, segment);
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static bool IsKnownLinuxAbi => RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.X86 or Architecture.Arm64 or Architecture.Arm;

    // O_NOFOLLOW and O_CLOEXEC differ between Linux architectures (asm-generic vs. arm).
    private static int LinuxNoFollow => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x8000 : 0x20000;

    private const int LinuxCloseOnExec = 0x80000;

    private static BlockStoreCorruptedException Link(string path, int segment, string? target)
    {
        var detail = $"{path} is a symbolic link{(target is null ? string.Empty : $" to {target}")}; the store never follows links (it could read or overwrite a file outside its directory).";
        return segment >= 0 ? new(path, segment, 0, BlockStoreDamage.SymbolicLink, detail) : new(path, BlockStoreDamage.SymbolicLink, detail);
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);
}
