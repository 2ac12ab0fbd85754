using System.Buffers.Binary;
using System.Text;

namespace Mesh.Transport.Zmtp;

/// <summary>
/// One ZMTP 3.1 stream (a connected Unix or TCP socket): the greeting and NULL handshake, frame
/// parsing into whole messages, and writing. Everything happens on the calling thread: reads
/// when the owner asks (non-blocking), writes at once, waiting for room only when the socket
/// buffer is full — and reading meanwhile, so two managed peers writing large messages to each
/// other never both wait.
/// </summary>
internal sealed unsafe class ZmtpConnection : IDisposable
{
    /// <summary>Frames up to this size are parsed out of the read buffer; larger ones are read straight into their own array.</summary>
    private const int InlineFrameLimit = ReceivedFrame.InlineLimit;
    /// <summary>A message with more frames is kept truncated (its extra frames dropped) and flagged.</summary>
    private const int MaxFramesKept = 1024;
    private const int MaxCommandBytes = 64 * 1024;

    private enum Phase { Greeting, Handshake, Ready, Closed }

    private readonly ZmtpSocket _owner;
    private Phase _phase = Phase.Greeting;
    private byte[] _in = new byte[64 * 1024];
    private int _inStart, _inEnd;
    // A large frame is read into native memory of its own, as libzmq keeps it: no large-object
    // heap allocation (and the gen-2 collections they bring) per message; the decoder copies it
    // once, into its final typed array, and the frame frees it when disposed.
    private byte* _big;
    private int _bigLength, _bigFilled;
    private bool _bigMore;
    private List<ReceivedFrame> _current = new(5);
    private bool _currentTruncated;
    private readonly Queue<(List<ReceivedFrame> Frames, bool Truncated)> _messages = new();
    private byte[] _out = new byte[16 * 1024];
    private byte[]? _spareOut;
    private int _outLength;
    private bool _writing;
    private byte[]? _pendingPong;
    // Message frames wait here until the peer's READY has been read: libzmq's NULL mechanism
    // takes a frame that arrives before it has sent its own READY for a second handshake
    // command and drops the connection.
    private byte[]? _held;
    private int _heldLength;
    private bool _holding = true;

    public ZmtpConnection(ZmtpSocket owner, int fd, ulong id)
    {
        OpenedAt = Environment.TickCount64;
        _owner = owner;
        Fd = fd;
        Id = id;
        Append(ZmtpWire.Greeting);
        Append(ZmtpWire.ReadyCommand(owner.Type, owner.Identity));
    }

    /// <summary>The socket descriptor (−1 once closed).</summary>
    public int Fd { get; private set; }

    /// <summary>When the stream was opened (<see cref="Environment.TickCount64"/>).</summary>
    public long OpenedAt { get; }

    /// <summary>The key under which the owner's epoll reports this connection.</summary>
    public ulong Id { get; }

    /// <summary>The routing identity a ROUTER uses for this peer.</summary>
    public byte[] RoutingId { get; set; } = [];

    /// <summary>The identity the peer announced in READY (empty if none).</summary>
    public byte[] PeerIdentity { get; private set; } = [];

    /// <summary>True once the peer's READY has been read.</summary>
    public bool IsReady => _phase == Phase.Ready;

    public bool IsClosed => _phase == Phase.Closed;

    /// <summary>Why the connection was closed (for diagnostics), null while open or after a clean end.</summary>
    public string? CloseReason { get; private set; }

    public bool HasMessages => _messages.Count > 0;

    public bool TryDequeue(out List<ReceivedFrame> frames, out bool truncated)
    {
        if (_messages.TryDequeue(out var m))
        {
            frames = m.Frames;
            truncated = m.Truncated;
            return true;
        }
        frames = null!;
        truncated = false;
        return false;
    }

    // ------------------------------------------------------------------ reading

    /// <summary>
    /// Reads what the socket holds now (never blocks) and parses it. Returns false when the
    /// connection has ended (peer closed, error, protocol violation); the owner then removes it.
    /// </summary>
    public bool Fill()
    {
        if (_phase == Phase.Closed) return false;
        for (int reads = 0; reads < 64; reads++)
        {
            nint n;
            int asked;
            if (_big != null && _inStart == _inEnd)
            {
                asked = _bigLength - _bigFilled;
                n = Libc.recv(Fd, _big + _bigFilled, (nuint)asked, Libc.MSG_DONTWAIT);
                if (n > 0)
                {
                    _bigFilled += (int)n;
                    if (_bigFilled == _bigLength) CompleteBigFrame();
                    if (_phase == Phase.Closed) return false;
                    continue;
                }
            }
            else
            {
                if (_inStart == _inEnd) _inStart = _inEnd = 0;
                if (_inEnd == _in.Length) MakeRoom(_inEnd - _inStart + 1);
                asked = _in.Length - _inEnd;
                fixed (byte* p = &_in[_inEnd]) n = Libc.recv(Fd, p, (nuint)asked, Libc.MSG_DONTWAIT);
                if (n > 0)
                {
                    _inEnd += (int)n;
                    Parse();
                    if (_phase == Phase.Closed) return false;
                    if (n < asked) return true; // the socket is very likely empty: save a system call
                    continue;
                }
            }
            if (n == 0) return Close(_phase == Phase.Ready ? null : "the peer closed the connection during the handshake");
            int e = Libc.Errno;
            if (e == Libc.EINTR) continue;
            if (e == Libc.EAGAIN) return true;
            return Close($"read failed: {Libc.ErrorText(e)}");
        }
        return true;
    }

    private void Parse()
    {
        while (_phase != Phase.Closed)
        {
            if (_big != null)
            {
                int take = Math.Min(_inEnd - _inStart, _bigLength - _bigFilled);
                if (take > 0)
                {
                    _in.AsSpan(_inStart, take).CopyTo(new Span<byte>(_big + _bigFilled, take));
                    _inStart += take;
                    _bigFilled += take;
                }
                if (_bigFilled < _bigLength) return;
                CompleteBigFrame();
                continue;
            }
            int available = _inEnd - _inStart;
            if (_phase == Phase.Greeting)
            {
                if (available < ZmtpWire.GreetingLength) return;
                if (ZmtpWire.CheckGreeting(_in.AsSpan(_inStart, ZmtpWire.GreetingLength)) is { } problem) { Close(problem); return; }
                _inStart += ZmtpWire.GreetingLength;
                _phase = Phase.Handshake;
                continue;
            }
            if (available < 2) return;
            byte flags = _in[_inStart];
            if ((flags & 0xF8) != 0) { Close($"frame flags 0x{flags:X2} set reserved bits"); return; }
            int headerLength = (flags & ZmtpWire.FlagLong) != 0 ? 9 : 2;
            if (available < headerLength) return;
            ulong size = headerLength == 9 ? BinaryPrimitives.ReadUInt64BigEndian(_in.AsSpan(_inStart + 1, 8)) : _in[_inStart + 1];
            if ((flags & ZmtpWire.FlagCommand) != 0)
            {
                if (size > MaxCommandBytes) { Close($"a command of {size} bytes"); return; }
                if ((ulong)available < (ulong)headerLength + size) { MakeRoom(headerLength + (int)size); return; }
                // Consume the command before acting on it: READY and PING may write, a write
                // that waits for room reads this connection again, and that nested parse must
                // find the buffer in a consistent state.
                var command = _in.AsSpan(_inStart + headerLength, (int)size).ToArray();
                _inStart += headerLength + (int)size;
                HandleCommand(command);
                continue;
            }
            if (_phase != Phase.Ready) { Close("a message frame arrived before the peer's READY"); return; }
            long max = _owner.MaxFrameBytes;
            if (max >= 0 && size > (ulong)max) { Close($"a frame of {size} bytes exceeds the limit of {max}"); return; }
            if (size > int.MaxValue - 64) { Close($"a frame of {size} bytes is larger than one array can hold"); return; }
            bool more = (flags & ZmtpWire.FlagMore) != 0;
            int length = (int)size;
            if (length <= InlineFrameLimit)
            {
                if (available < headerLength + length) { MakeRoom(headerLength + length); return; }
                AddFrame(new ReceivedFrame(_in.AsSpan(_inStart + headerLength, length).ToArray()), more);
                _inStart += headerLength + length;
            }
            else
            {
                _inStart += headerLength;
                _big = (byte*)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)length);
                _bigLength = length;
                _bigFilled = 0;
                _bigMore = more;
            }
        }
    }

    private void CompleteBigFrame()
    {
        var frame = ReceivedFrame.FromNative(_big, _bigLength);
        _big = null;
        AddFrame(frame, _bigMore);
    }

    private void AddFrame(ReceivedFrame frame, bool more)
    {
        if (_current.Count < MaxFramesKept) _current.Add(frame);
        else
        {
            frame.Dispose();
            _currentTruncated = true;
        }
        if (more) return;
        _messages.Enqueue((_current, _currentTruncated));
        _current = new List<ReceivedFrame>(5);
        _currentTruncated = false;
        _owner.NoteMessages(this);
    }

    private void HandleCommand(ReadOnlySpan<byte> body)
    {
        if (!ZmtpWire.TryReadCommand(body, out string name, out var data)) { Close("a malformed command"); return; }
        switch (name)
        {
            case "READY" when _phase == Phase.Handshake:
                var props = ZmtpWire.ReadProperties(data);
                if (props is null) { Close("READY with malformed properties"); return; }
                if (!props.TryGetValue("Socket-Type", out var typeBytes)) { Close("READY without Socket-Type"); return; }
                string peerType = Encoding.ASCII.GetString(typeBytes);
                if (!ZmtpWire.Compatible(_owner.Type, peerType)) { Close($"a {peerType} peer cannot talk to a {ZmtpWire.SocketTypeName(_owner.Type)} socket"); return; }
                PeerIdentity = props.TryGetValue("Identity", out var id) ? id : [];
                _phase = Phase.Ready;
                _owner.NotePeerReady(this);
                break;
            case "READY":
                Close("a second READY");
                break;
            case "ERROR":
                Close(data.Length >= 1 && data.Length >= 1 + data[0] ? $"the peer sent ERROR: {Encoding.ASCII.GetString(data.Slice(1, data[0]))}" : "the peer sent ERROR");
                break;
            case "PING":
                // TTL (2 bytes), then up to 16 bytes of context that PONG echoes.
                // Sent at the next message boundary (never inside a multipart message).
                _pendingPong = ZmtpWire.PongCommand(data.Length > 2 ? data[2..Math.Min(data.Length, 18)] : default);
                if (!_owner.IsSendingTo(this)) Flush(atMessageBoundary: true);
                break;
            default:
                break; // PONG, SUBSCRIBE and unknown commands mean nothing to a DEALER or ROUTER
        }
    }

    private void MakeRoom(int needed)
    {
        int used = _inEnd - _inStart;
        if (_inStart > 0)
        {
            Buffer.BlockCopy(_in, _inStart, _in, 0, used);
            _inStart = 0;
            _inEnd = used;
        }
        if (_in.Length < needed || _in.Length == used)
            Array.Resize(ref _in, Math.Max(needed, _in.Length * 2));
    }

    // ------------------------------------------------------------------ writing

    /// <summary>Queues raw bytes (already framed).</summary>
    public void Append(ReadOnlySpan<byte> bytes)
    {
        EnsureOut(bytes.Length);
        bytes.CopyTo(_out.AsSpan(_outLength));
        _outLength += bytes.Length;
    }

    /// <summary>Queues one message frame.</summary>
    public void AppendFrame(ReadOnlySpan<byte> data, bool more)
    {
        Span<byte> header = stackalloc byte[9];
        int h = ZmtpWire.WriteFrameHeader(header, data.Length, more ? ZmtpWire.FlagMore : (byte)0);
        if (_holding)
        {
            Hold(header[..h]);
            Hold(data);
            return;
        }
        EnsureOut(h + data.Length);
        header[..h].CopyTo(_out.AsSpan(_outLength));
        _outLength += h;
        data.CopyTo(_out.AsSpan(_outLength));
        _outLength += data.Length;
    }

    /// <summary>Queues a frame header only; the caller writes the body with <see cref="WriteDirect"/>.</summary>
    public void AppendFrameHeader(long size, bool more)
    {
        Span<byte> header = stackalloc byte[9];
        int h = ZmtpWire.WriteFrameHeader(header, size, more ? ZmtpWire.FlagMore : (byte)0);
        if (_holding) Hold(header[..h]);
        else Append(header[..h]);
    }

    private void Hold(ReadOnlySpan<byte> bytes)
    {
        _held ??= new byte[Math.Max(256, bytes.Length)];
        if (_heldLength + bytes.Length > _held.Length) Array.Resize(ref _held, Math.Max(_heldLength + bytes.Length, _held.Length * 2));
        bytes.CopyTo(_held.AsSpan(_heldLength));
        _heldLength += bytes.Length;
    }

    /// <summary>Queues whole framed messages (a DEALER's backlog), held back until the peer is ready.</summary>
    public void HoldFramed(ReadOnlySpan<byte> framed)
    {
        if (_holding) Hold(framed);
        else Append(framed);
    }

    /// <summary>Takes the message bytes held back for the handshake (the connection ended before it completed).</summary>
    public ReadOnlySpan<byte> TakeHeld()
    {
        var held = _held.AsSpan(0, _heldLength);
        _held = null;
        _heldLength = 0;
        return held;
    }

    private void EnsureOut(int extra)
    {
        if (_outLength + extra > _out.Length) Array.Resize(ref _out, Math.Max(_outLength + extra, _out.Length * 2));
    }

    /// <summary>
    /// Writes everything queued, waiting for room if needed. <paramref name="atMessageBoundary"/>
    /// (no message of the owner half-queued) lets a pending PONG go and, once the peer is ready,
    /// the messages held back for the handshake. Returns false if the connection ended.
    /// </summary>
    public bool Flush(bool atMessageBoundary = false)
    {
        if (_writing) return !IsClosed; // called while reading during a write: that write sends it
        _writing = true;
        try
        {
            // Swap buffers so that anything queued while this write waits (and reads) is not
            // lost or written twice; it goes in the next round.
            while (!IsClosed)
            {
                if (atMessageBoundary)
                {
                    if (_holding && _phase == Phase.Ready)
                    {
                        _holding = false;
                        if (_heldLength > 0) Append(TakeHeld());
                    }
                    if (_pendingPong is { } pong)
                    {
                        _pendingPong = null;
                        Append(pong);
                    }
                }
                if (_outLength == 0) break;
                var buffer = _out;
                int length = _outLength;
                _out = _spareOut ?? new byte[16 * 1024];
                _spareOut = null;
                _outLength = 0;
                bool ok;
                fixed (byte* p = buffer) ok = WriteAll(p, length);
                if (buffer.Length <= 1 << 20) _spareOut = buffer; // do not keep a large message's buffer
                if (!ok) return false;
            }
        }
        finally { _writing = false; }
        return !IsClosed;
    }

    /// <summary>Flushes what is queued, then writes <paramref name="data"/> straight from the caller's memory.</summary>
    public bool WriteDirect(ReadOnlySpan<byte> data)
    {
        if (_holding)
        {
            Hold(data);
            return true;
        }
        if (!Flush()) return false;
        _writing = true;
        try
        {
            fixed (byte* p = data) return WriteAll(p, data.Length);
        }
        finally { _writing = false; }
    }

    private bool WriteAll(byte* data, long length)
    {
        long written = 0;
        while (written < length)
        {
            if (_phase == Phase.Closed) return false;
            nint n = Libc.send(Fd, data + written, (nuint)(length - written), Libc.MSG_DONTWAIT | Libc.MSG_NOSIGNAL);
            if (n > 0) { written += n; continue; }
            int e = Libc.Errno;
            if (e == Libc.EINTR) continue;
            if (e != Libc.EAGAIN) return Close($"write failed: {Libc.ErrorText(e)}");
            // Full: wait for room, reading meanwhile (this peer's and the owner group's input),
            // so a peer that is itself blocked writing to us can finish and go on to read.
            _owner.WaitWritable(this);
        }
        return true;
    }

    // ------------------------------------------------------------------ ending

    /// <summary>Marks the connection ended and closes the descriptor. Always returns false (for tail calls).</summary>
    public bool Close(string? reason)
    {
        if (_phase == Phase.Closed) return false;
        _phase = Phase.Closed;
        CloseReason = reason;
        _owner.NoteClosed(this);
        if (Fd >= 0) Libc.close(Fd);
        Fd = -1;
        foreach (var f in _current) f.Dispose();
        _current.Clear();
        if (_big != null) System.Runtime.InteropServices.NativeMemory.Free(_big);
        _big = null;
        _outLength = 0;
        return false;
    }

    public void Dispose()
    {
        Close(null);
        while (_messages.TryDequeue(out var m)) foreach (var f in m.Frames) f.Dispose();
    }
}
