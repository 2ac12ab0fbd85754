using System.Runtime.InteropServices;

namespace Mesh.Transport;

/// <summary>The few Linux system calls the poller and the managed ZMTP sockets need, without the runtime's socket layer.</summary>
internal static unsafe partial class Libc
{
    public const int AF_UNIX = 1, AF_INET = 2;
    public const int SOCK_STREAM = 1, SOCK_NONBLOCK = 0x800, SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1, SO_ERROR = 4, SO_REUSEADDR = 2, SO_SNDBUF = 7, SO_RCVBUF = 8, IPPROTO_TCP = 6, TCP_NODELAY = 1;
    public const int MSG_DONTWAIT = 0x40, MSG_NOSIGNAL = 0x4000;
    public const int EINTR = 4, EAGAIN = 11, EINPROGRESS = 115, ENOENT = 2;
    public const short POLLIN = 1, POLLOUT = 4, POLLERR = 8, POLLHUP = 16;
    public const uint EPOLLIN = 1, EPOLLERR = 8, EPOLLHUP = 16;
    public const int EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CLOEXEC = 0x80000;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    /// <summary>struct epoll_event is packed on x86-64 (12 bytes) and naturally aligned elsewhere (16).</summary>
    public static readonly int EpollEventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    private static readonly int EpollDataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    public static void WriteEpollEvent(byte* at, uint events, ulong data)
    {
        *(uint*)at = events;
        *(ulong*)(at + EpollDataOffset) = data; // unaligned on x86-64, which allows it
    }

    public static (uint Events, ulong Data) ReadEpollEvent(byte* at) => (*(uint*)at, *(ulong*)(at + EpollDataOffset));

    public static int Errno => Marshal.GetLastPInvokeError();

    [LibraryImport("libc", SetLastError = true)] public static partial int socket(int domain, int type, int protocol);
    [LibraryImport("libc", SetLastError = true)] public static partial int connect(int fd, byte* addr, int len);
    [LibraryImport("libc", SetLastError = true)] public static partial int bind(int fd, byte* addr, int len);
    [LibraryImport("libc", SetLastError = true)] public static partial int listen(int fd, int backlog);
    [LibraryImport("libc", SetLastError = true)] public static partial int accept4(int fd, byte* addr, int* len, int flags);
    [LibraryImport("libc", SetLastError = true)] public static partial int getsockname(int fd, byte* addr, int* len);
    [LibraryImport("libc", SetLastError = true)] public static partial int setsockopt(int fd, int level, int name, void* value, int len);
    [LibraryImport("libc", SetLastError = true)] public static partial int getsockopt(int fd, int level, int name, void* value, int* len);
    [LibraryImport("libc", SetLastError = true)] public static partial nint recv(int fd, byte* buf, nuint len, int flags);
    [LibraryImport("libc", SetLastError = true)] public static partial nint send(int fd, byte* buf, nuint len, int flags);
    [LibraryImport("libc", SetLastError = true)] public static partial int close(int fd);
    [LibraryImport("libc", SetLastError = true)] public static partial int poll(PollFd* fds, nuint nfds, int timeout);
    [LibraryImport("libc", SetLastError = true)] public static partial int epoll_create1(int flags);
    [LibraryImport("libc", SetLastError = true)] public static partial int epoll_ctl(int epfd, int op, int fd, byte* ev);
    [LibraryImport("libc", SetLastError = true)] public static partial int epoll_wait(int epfd, byte* events, int max, int timeout);
    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)] public static partial int unlink(string path);

    /// <summary>The text of an errno value, e.g. "Connection refused".</summary>
    public static string ErrorText(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
