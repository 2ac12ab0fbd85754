namespace Mesh.Transport;

/// <summary>
/// A ZeroMQ socket as Mesh's transport uses it: multipart messages in and out, a descriptor to
/// sleep on, one owning thread at a time. Two implementations speak the same wire protocol
/// (ZMTP 3): <see cref="ZmqSocket"/> (libzmq, with its I/O threads) and
/// <see cref="Zmtp.ZmtpSocket"/> (managed, reading and writing on the owner's thread).
/// </summary>
public interface IMessageSocket : IDisposable
{
    /// <summary>Binds and returns the endpoint actually bound (the real port for <c>tcp://host:*</c>).</summary>
    string Bind(string endpoint);

    /// <summary>Connects to an endpoint.</summary>
    void Connect(string endpoint);

    /// <summary>
    /// Sends one frame of a message (<paramref name="more"/>: more frames follow). On a ROUTER the
    /// first frame names the peer. Returns false if the frame could not be queued (only with
    /// <paramref name="dontWait"/>, or a ROUTER's unknown peer).
    /// </summary>
    bool Send(ReadOnlySpan<byte> frame, bool more, bool dontWait = false);

    /// <summary>Sends the bytes of a primitive array without an intermediate copy.</summary>
    bool SendZeroCopy(Array array, long byteOffset, long byteLength, bool more);

    /// <summary>
    /// Receives one whole multipart message into <paramref name="frames"/> (cleared first).
    /// Returns false when nothing is waiting (only with dontWait). A message with more than
    /// <paramref name="maxFrames"/> parts is drained and reported with <paramref name="truncated"/>.
    /// </summary>
    bool TryReceive(List<ReceivedFrame> frames, bool dontWait, int maxFrames, out bool truncated);

    /// <summary>Sets the maximum inbound frame size; a peer that sends a larger one is disconnected.</summary>
    long MaxMessageSize { set; }

    /// <summary>Sets both high-water marks (0 = unbounded).</summary>
    int HighWaterMark { set; }

    /// <summary>The routing identity this socket announces to ROUTER peers.</summary>
    void SetIdentity(ReadOnlySpan<byte> identity);

    /// <summary>A descriptor that is readable when the socket may have new input (see <see cref="SocketPoller"/>).</summary>
    int NotificationFd { get; }

    /// <summary>True if a message can be received now; whoever asks must act on a true answer.</summary>
    bool HasInput { get; }

    /// <summary>
    /// True if a send on this socket may hide arrived input from <see cref="NotificationFd"/>, so
    /// the poller must look again after each send: libzmq (a send processes pending commands,
    /// which may consume the signal of an arrived message).
    /// </summary>
    bool SendMayHideInput { get; }

    /// <summary>
    /// True if messages are buffered that <see cref="NotificationFd"/> no longer shows: a managed
    /// socket's, read while a send (on it or another socket of its group) waited for room.
    /// </summary>
    bool HasUnsignalledInput { get; }
}
