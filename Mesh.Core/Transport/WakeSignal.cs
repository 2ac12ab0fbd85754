using System.Runtime.InteropServices;

namespace Mesh.Transport;

/// <summary>
/// A Linux eventfd that any thread may set and one I/O thread polls beside its sockets, so work
/// queued by other threads wakes the I/O thread without sharing a socket between threads.
/// </summary>
internal sealed unsafe partial class WakeSignal : IDisposable
{
    private const int EFD_CLOEXEC = 0x80000, EFD_NONBLOCK = 0x800;
    private int _fd;
    private int _armed;

    public WakeSignal()
    {
        _fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (_fd < 0) throw new InvalidOperationException($"eventfd failed (errno {Marshal.GetLastPInvokeError()})");
    }

    public int FileDescriptor => _fd;

    /// <summary>Wakes the poller. Cheap when already set: at most one write until the next <see cref="Reset"/>.</summary>
    public void Set()
    {
        if (Interlocked.Exchange(ref _armed, 1) == 1) return;
        ulong one = 1;
        write(_fd, &one, 8);
    }

    /// <summary>Clears the signal; call before draining the work queue.</summary>
    public void Reset()
    {
        // Consume first, then disarm: a Set racing with us either sees the flag still armed (its
        // item is queued before we drain) or writes again after we disarm (and wakes the next poll).
        ulong value;
        read(_fd, &value, 8);
        Volatile.Write(ref _armed, 0);
    }

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0) close(fd);
    }

    [LibraryImport("libc", SetLastError = true)] private static partial int eventfd(uint initval, int flags);
    [LibraryImport("libc")] private static partial nint write(int fd, void* buf, nuint count);
    [LibraryImport("libc")] private static partial nint read(int fd, void* buf, nuint count);
    [LibraryImport("libc")] private static partial int close(int fd);
}
