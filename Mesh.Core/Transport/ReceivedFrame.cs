using System.Runtime.InteropServices;

namespace Mesh.Transport;

/// <summary>
/// One received frame. Small frames are copied into a managed array; large frames stay in the
/// libzmq message they arrived in (no copy) until disposed, so a 80 MB array is copied once, into
/// its final typed array, by the decoder.
/// </summary>
public sealed unsafe class ReceivedFrame : IDisposable
{
    internal const int InlineLimit = 64 * 1024;
    private readonly byte[]? _managed;
    private ZmqMsg* _msg;
    private byte* _native; // NativeMemory owned by this frame (managed ZMTP sockets' large frames)
    private readonly int _length;

    internal ReceivedFrame(byte[] managed) { _managed = managed; _length = managed.Length; }

    internal ReceivedFrame(ZmqMsg* msg, int length) { _msg = msg; _length = length; }

    private ReceivedFrame(byte* native, int length) { _native = native; _length = length; }

    /// <summary>A frame owning <paramref name="native"/> (from <see cref="NativeMemory.Alloc(nuint)"/>), freed on dispose.</summary>
    internal static ReceivedFrame FromNative(byte* native, int length) => new(native, length);

    /// <summary>The frame's length in bytes.</summary>
    public int Length => _length;

    /// <summary>The frame's bytes; valid until <see cref="Dispose"/>.</summary>
    public ReadOnlySpan<byte> Span
    {
        get
        {
            if (_managed is not null) return _managed;
            if (_native != null) return new ReadOnlySpan<byte>(_native, _length);
            if (_msg == null) throw new ObjectDisposedException(nameof(ReceivedFrame));
            return new ReadOnlySpan<byte>(ZmqNative.zmq_msg_data(_msg), _length);
        }
    }

    /// <summary>The bytes as a new array (a copy for large frames).</summary>
    public byte[] ToArray() => _managed ?? Span.ToArray();

    /// <summary>Releases the native message of a large frame.</summary>
    public void Dispose()
    {
        var n = _native;
        _native = null;
        if (n != null) NativeMemory.Free(n);
        var m = _msg;
        _msg = null;
        if (m != null)
        {
            ZmqNative.zmq_msg_close(m);
            NativeMemory.Free(m);
        }
    }
}
