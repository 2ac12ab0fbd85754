using System.Collections.Concurrent;
using Mesh.Protocol;
using Mesh.Transport;

namespace Mesh.Client.Connection;

/// <summary>
/// The client's transport: one I/O thread owns the three DEALER sockets. Callers encode on their
/// own thread and queue; replies are matched to requests by <c>parent_id</c>. Heartbeats run here
/// too: two missed health replies fail every request in flight with <see cref="KernelLostException"/>.
/// </summary>
internal sealed class ClientConnection : IDisposable
{
    private readonly ConcurrentQueue<(KernelPort Port, EncodedMessage Message)> _outbox = new();
    private readonly ConcurrentQueue<Action> _actions = new();
    private readonly ConcurrentDictionary<string, PendingRequest> _pending = new(StringComparer.Ordinal);
    private readonly WakeSignal _wake = new();
    private readonly Thread _thread;
    private readonly TimeSpan _heartbeatInterval;
    private readonly int _missedHeartbeats;
    private ZmqSocket? _health, _submit, _get;
    private Poller? _poller;
    private Signer _signer;
    private volatile KernelLostException? _lost;
    private volatile bool _disposed;
    private DateTime _lastHealthReply;
    private DateTime _nextHeartbeat;

    public ClientConnection(ConnectionInfo info, TimeSpan heartbeatInterval, int missedHeartbeats)
    {
        Info = info;
        _signer = new Signer(info.Key);
        _heartbeatInterval = heartbeatInterval;
        _missedHeartbeats = missedHeartbeats;
        Session = Guid.NewGuid().ToString("N");
        OpenSockets(info);
        _thread = new Thread(Loop) { Name = $"mesh-client-{info.KernelId}", IsBackground = true };
        _thread.Start();
    }

    public ConnectionInfo Info { get; private set; }
    public string Session { get; }
    public Signer Signer => _signer;
    public KernelLostException? Lost => _lost;

    /// <summary>Raised (on a pool thread) when the kernel is declared lost.</summary>
    public event Action<KernelLostException>? LostDetected;

    /// <summary>Unsolicited messages (progress), delivered on the I/O thread: handlers must be quick.</summary>
    public event Action<Reply>? Unsolicited;

    public MessageHeader NewHeader(string type) => new(Guid.NewGuid().ToString("N"), type, Session, DateTime.UtcNow, null);

    /// <summary>Queues a message; <paramref name="pending"/> (if any) receives the reply.</summary>
    public void Send(KernelPort port, EncodedMessage message, string requestId, PendingRequest? pending)
    {
        if (_lost is { } lost) throw lost;
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (pending is not null) _pending[requestId] = pending;
        _outbox.Enqueue((port, message));
        _wake.Set();
        // Lost between the check and the registration: fail it now rather than never.
        if (_lost is { } lostAfter && pending is not null && _pending.TryRemove(requestId, out _)) pending.Fail(lostAfter);
    }

    /// <summary>Forgets a pending request (its caller gave up).</summary>
    public void Abandon(string requestId) => _pending.TryRemove(requestId, out _);

    /// <summary>Declares the kernel lost: every request in flight fails at once.</summary>
    public void MarkLost(KernelLostException reason)
    {
        if (_lost is not null) return;
        _lost = reason;
        foreach (var key in _pending.Keys)
            if (_pending.TryRemove(key, out var p)) p.Fail(reason);
        ThreadPool.QueueUserWorkItem(_ => LostDetected?.Invoke(reason));
    }

    /// <summary>Points the connection at a restarted kernel (new addresses) and clears the lost state.</summary>
    public Task ReconnectAsync(ConnectionInfo info)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _actions.Enqueue(() =>
        {
            CloseSockets();
            Info = info;
            _signer = new Signer(info.Key);
            OpenSockets(info);
            _lastHealthReply = DateTime.UtcNow;
            _lost = null;
            done.TrySetResult();
        });
        _wake.Set();
        return done.Task;
    }

    private void OpenSockets(ConnectionInfo info)
    {
        ZmqSocket Open(string? address, string name)
        {
            if (address is null) throw new MeshException($"connection info for kernel '{info.KernelId}' lacks the {name} address");
            var s = ZmqContext.Shared.CreateSocket(ZmqSocketType.Dealer);
            s.SetOption(ZmqNative.ZMQ_IDENTITY, Guid.NewGuid().ToByteArray());
            s.HighWaterMark = 0;
            s.MaxMessageSize = info.MaxMessageBytes;
            s.Connect(address);
            return s;
        }
        _health = Open(info.Health, "health");
        _submit = Open(info.Submit, "submit");
        _get = Open(info.Get, "get");
        _poller = new Poller([_health, _submit, _get], [_wake.FileDescriptor]);
        _lastHealthReply = DateTime.UtcNow;
        _nextHeartbeat = DateTime.UtcNow;
    }

    private void CloseSockets()
    {
        _health?.Dispose();
        _submit?.Dispose();
        _get?.Dispose();
    }

    private void Loop()
    {
        while (!_disposed)
        {
            try
            {
                var now = DateTime.UtcNow;
                long timeout = Math.Max(0, (long)(_nextHeartbeat - now).TotalMilliseconds);
                _poller!.Poll(Math.Min(timeout, 250));
                if (_poller.IsReadable(3))
                {
                    _wake.Reset();
                    while (_actions.TryDequeue(out var action)) action();
                    while (_outbox.TryDequeue(out var item)) Envelope.Send(SocketFor(item.Port), [], item.Message);
                }
                if (_poller.IsReadable(0)) Drain(_health!);
                if (_poller.IsReadable(1)) Drain(_submit!);
                if (_poller.IsReadable(2)) Drain(_get!);
                Heartbeat(DateTime.UtcNow);
            }
            catch (Exception e) when (!_disposed)
            {
                MarkLost(new KernelLostException(Info.KernelId, $"client transport failed: {e.Message}"));
            }
        }
        CloseSockets();
        _wake.Dispose();
    }

    private ZmqSocket SocketFor(KernelPort port) => port switch
    {
        KernelPort.Health => _health!,
        KernelPort.Submit => _submit!,
        _ => _get!,
    };

    private void Drain(ZmqSocket socket)
    {
        for (int n = 0; n < 256; n++)
        {
            var frames = new List<ReceivedFrame>(5);
            if (!socket.TryReceive(frames, dontWait: true, 4 + Envelope.MaxBuffers, out _)) return;
            try
            {
                using var msg = Envelope.Parse(_signer, frames, identityFrames: 0);
                if (msg.Header.Type == MessageTypes.HealthReply) _lastHealthReply = DateTime.UtcNow;
                var parent = msg.Header.ParentId;
                if (parent is not null && _pending.TryRemove(parent, out var pending))
                {
                    try { pending.Complete(new Reply(msg.Header, msg.ReadContent())); }
                    catch (ProtocolException e) { pending.Fail(e); }
                }
                else if (msg.Header.Type == MessageTypes.Progress)
                {
                    Unsolicited?.Invoke(new Reply(msg.Header, msg.ReadContent()));
                }
            }
            catch (ProtocolException)
            {
                // A reply we cannot read (wrong key after a restart, corrupt frames): drop it; the
                // request it answered times out or is failed by the heartbeat.
                foreach (var f in frames) f.Dispose();
            }
        }
    }

    private void Heartbeat(DateTime now)
    {
        if (_heartbeatInterval <= TimeSpan.Zero) return;
        if (_lost is null && now - _lastHealthReply > _heartbeatInterval * _missedHeartbeats + _heartbeatInterval / 2)
        {
            MarkLost(new KernelLostException(Info.KernelId, $"no health reply for {(now - _lastHealthReply).TotalMilliseconds:F0} ms ({_missedHeartbeats} heartbeats of {_heartbeatInterval.TotalMilliseconds:F0} ms missed)"));
        }
        if (now < _nextHeartbeat) return;
        _nextHeartbeat = now + _heartbeatInterval;
        var header = NewHeader(MessageTypes.HealthRequest);
        Envelope.Send(_health!, [], Envelope.Encode(_signer, header, EmptyMap));
    }

    private static readonly Dictionary<string, object?> EmptyMap = new();

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _wake.Set();
        if (Thread.CurrentThread != _thread) _thread.Join(TimeSpan.FromSeconds(2));
        var gone = new ObjectDisposedException(nameof(Client), "the client was disposed");
        foreach (var key in _pending.Keys)
            if (_pending.TryRemove(key, out var p)) p.Fail(gone);
    }
}

/// <summary>What to do with a reply (or a failure) to one request. Callbacks run on the I/O thread and must not block.</summary>
internal sealed class PendingRequest(Action<Reply> onReply, Action<Exception> onFail)
{
    public void Complete(Reply reply) => onReply(reply);
    public void Fail(Exception e) => onFail(e);

    /// <summary>A pending request completing a task-completion source (continuations run asynchronously).</summary>
    public static (PendingRequest Pending, Task<Reply> Task) ForTask()
    {
        var tcs = new TaskCompletionSource<Reply>(TaskCreationOptions.RunContinuationsAsynchronously);
        return (new PendingRequest(r => tcs.TrySetResult(r), e => tcs.TrySetException(e)), tcs.Task);
    }
}
