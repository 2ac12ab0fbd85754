using System.Collections.Concurrent;
using System.Diagnostics;
using Mesh.Protocol;
using Mesh.Transport;

namespace Mesh.Client.Connection;

/// <summary>
/// The client's transport: three DEALER sockets, used by one thread at a time — the <em>leader</em>.
/// A caller that finds no leader becomes one: it sends its own request and polls for the reply on
/// its own thread for up to <see cref="InlineWait"/> (leader/follower), so a short call costs no
/// thread hand-off at all. Otherwise requests are queued for the current leader, or for the
/// connection's background thread, which leads whenever requests are outstanding and nobody else
/// polls, and which sends the heartbeats: two missed health replies fail every request in flight
/// with <see cref="KernelLostException"/>. Replies are matched to requests by <c>parent_id</c>.
/// </summary>
/// <remarks>
/// libzmq sockets are not thread-safe but may move between threads across a full memory barrier;
/// taking and releasing the lead are interlocked operations, which provide it.
/// </remarks>
internal sealed class ClientConnection : IDisposable
{
    private readonly ConcurrentQueue<(KernelPort Port, EncodedMessage Message)> _outbox = new();
    private readonly ConcurrentQueue<Action> _actions = new();
    private readonly ConcurrentDictionary<string, PendingRequest> _pending = new(StringComparer.Ordinal);
    private readonly WakeSignal _wake = new();
    private readonly ManualResetEventSlim _backgroundWake = new(false, spinCount: 0);
    private readonly Thread _thread;
    private readonly TimeSpan _heartbeatInterval;
    private readonly int _missedHeartbeats;
    private readonly Func<bool> _hasListeners;
    // Health keeps libzmq; submit and get are managed ZMTP sockets where they run (MessageSockets).
    private ZmqSocket? _health;
    private IMessageSocket? _submit, _get;
    private SocketPoller? _poller;
    private Signer _signer;
    private volatile KernelLostException? _lost;
    private volatile bool _disposed;
    private int _lead;              // 1 while some thread owns the sockets
    private int _leaderThread;      // managed thread id of the leader, 0 when none
    private volatile bool _healthOutstanding;
    private volatile bool _yieldRequested;  // a caller wants the background thread to hand the lead over
    private readonly int _backgroundThreadId;
    private DateTime _lastHealthReply;
    private DateTime _nextHeartbeat;

    /// <param name="info">Where the kernel listens.</param>
    /// <param name="heartbeatInterval">Health request period; zero disables heartbeats.</param>
    /// <param name="missedHeartbeats">Missed replies after which the kernel is lost.</param>
    /// <param name="inlineWait">How long a leading caller polls for its own reply before handing over.</param>
    /// <param name="inlineSpin">How much of <paramref name="inlineWait"/> is spent looking without sleeping.</param>
    /// <param name="hasListeners">True while unsolicited messages (progress) are expected, so someone keeps polling.</param>
    public ClientConnection(ConnectionInfo info, TimeSpan heartbeatInterval, int missedHeartbeats, TimeSpan inlineWait, TimeSpan inlineSpin, Func<bool>? hasListeners = null)
    {
        Info = info;
        _signer = new Signer(info.Key);
        _heartbeatInterval = heartbeatInterval;
        _missedHeartbeats = missedHeartbeats;
        InlineWait = inlineWait < TimeSpan.Zero ? TimeSpan.Zero : inlineWait;
        InlineSpin = inlineSpin < TimeSpan.Zero ? TimeSpan.Zero : inlineSpin;
        _hasListeners = hasListeners ?? (() => false);
        Session = Guid.NewGuid().ToString("N");
        OpenSockets(info);
        _thread = new Thread(BackgroundLoop) { Name = $"mesh-client-{info.KernelId}", IsBackground = true };
        _backgroundThreadId = _thread.ManagedThreadId;
        _thread.Start();
    }

    public ConnectionInfo Info { get; private set; }
    public string Session { get; }
    public Signer Signer => _signer;
    public KernelLostException? Lost => _lost;

    /// <summary>How long a caller that leads polls for its own reply (zero: never lead).</summary>
    public TimeSpan InlineWait { get; }

    /// <summary>How much of the inline wait is spent polling without sleeping.</summary>
    public TimeSpan InlineSpin { get; }

    /// <summary>Raised (on a pool thread) when the kernel is declared lost.</summary>
    public event Action<KernelLostException>? LostDetected;

    /// <summary>Unsolicited messages (progress), delivered on the thread that receives them: handlers must be quick.</summary>
    public event Action<Reply>? Unsolicited;

    public MessageHeader NewHeader(string type) => new(MessageIds.Next(), type, Session, DateTime.UtcNow, null);

    /// <summary>
    /// Takes the lead for the calling thread if nobody has it (and inline waits are enabled).
    /// Until <see cref="ExitLead"/>, <see cref="Send"/> on this thread writes to the socket directly.
    /// </summary>
    public bool TryEnterLead()
    {
        // With other requests in flight (pipelined or concurrent calls) waiting inline would hold
        // this caller back from sending its next one; those calls wait asynchronously instead.
        if (InlineWait <= TimeSpan.Zero || _disposed || _lost is not null || !_pending.IsEmpty) return false;
        if (Interlocked.CompareExchange(ref _lead, 1, 0) == 0)
        {
            _leaderThread = Environment.CurrentManagedThreadId;
            return true;
        }
        // The background thread leads (answering earlier requests, or a heartbeat): ask it to
        // hand over. Otherwise, with calls back to back, it would find each next call already
        // outstanding and keep the lead for good, and every call would pay its hand-offs.
        var spin = new SpinWait();
        long giveUp = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 1000;
        while (_leaderThread == _backgroundThreadId && Stopwatch.GetTimestamp() < giveUp)
        {
            if (!_yieldRequested)
            {
                _yieldRequested = true;
                _wake.Set();
            }
            spin.SpinOnce(sleep1Threshold: -1);
            if (Interlocked.CompareExchange(ref _lead, 1, 0) == 0)
            {
                _leaderThread = Environment.CurrentManagedThreadId;
                return true;
            }
        }
        return false;
    }

    /// <summary>True if the calling thread holds the lead.</summary>
    public bool IsLeading => Volatile.Read(ref _lead) == 1 && _leaderThread == Environment.CurrentManagedThreadId;

    /// <summary>Gives the lead up; the background thread takes over if anything is still outstanding.</summary>
    public void ExitLead()
    {
        if (!IsLeading) return;
        _leaderThread = 0;
        Interlocked.Exchange(ref _lead, 0);
        // After the release (a full fence): anything queued or awaited from now on is seen either
        // by its sender (which finds no leader and wakes the background thread) or here.
        if (NeedsPolling()) _backgroundWake.Set();
    }

    /// <summary>
    /// As leader, polls the sockets until <paramref name="until"/> completes, <see cref="InlineWait"/>
    /// has passed, the wait is cancelled or the connection fails. Returns whether it completed.
    /// </summary>
    public bool PollInline(Task until, CancellationToken ct)
    {
        if (!IsLeading) return until.IsCompleted;
        long start = Stopwatch.GetTimestamp();
        long deadline = start + (long)(InlineWait.TotalSeconds * Stopwatch.Frequency);
        long spinUntil = start + (long)(Math.Min(InlineSpin.TotalSeconds, InlineWait.TotalSeconds) * Stopwatch.Frequency);
        try
        {
            // Spin first: look without sleeping, yielding the core between looks. A reply that
            // arrives meanwhile is picked up without this thread being woken — on a small machine
            // that wake-up costs as much as the rest of a short call.
            while (!until.IsCompleted && !_disposed && !ct.IsCancellationRequested && Stopwatch.GetTimestamp() < spinUntil)
            {
                Turn(0, until);
                if (!until.IsCompleted) Thread.Yield();
            }
            while (!until.IsCompleted && !_disposed && !ct.IsCancellationRequested)
            {
                long left = deadline - Stopwatch.GetTimestamp();
                if (left <= 0) break;
                Turn(Math.Max(1, left * 1000 / Stopwatch.Frequency), until);
            }
        }
        catch (Exception e) when (!_disposed)
        {
            MarkLost(new KernelLostException(Info.KernelId, $"client transport failed: {e.Message}"));
        }
        return until.IsCompleted;
    }

    /// <summary>Sends a message (directly if this thread leads, else through the leader); <paramref name="pending"/> (if any) receives the reply.</summary>
    public void Send(KernelPort port, EncodedMessage message, string requestId, PendingRequest? pending)
    {
        if (_lost is { } lost) throw lost;
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (pending is not null) _pending[requestId] = pending;
        if (IsLeading)
        {
            SendNow(port, message);
        }
        else
        {
            _outbox.Enqueue((port, message));
            _wake.Set();
            Interlocked.MemoryBarrier(); // the enqueue before the read of the lead (pairs with ExitLead)
            if (Volatile.Read(ref _lead) == 0) _backgroundWake.Set();
        }
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
            _healthOutstanding = false;
            _lost = null;
            done.TrySetResult();
        });
        _wake.Set();
        _backgroundWake.Set();
        return done.Task;
    }

    private void OpenSockets(ConnectionInfo info)
    {
        T Open<T>(T s, string? address, string name) where T : IMessageSocket
        {
            if (address is null) throw new MeshException($"connection info for kernel '{info.KernelId}' lacks the {name} address");
            s.SetIdentity(Guid.NewGuid().ToByteArray());
            s.HighWaterMark = 0;
            s.MaxMessageSize = info.MaxMessageBytes;
            s.Connect(address);
            return s;
        }
        _health = Open(ZmqContext.Shared.CreateSocket(ZmqSocketType.Dealer), info.Health, "health");
        _submit = Open(MessageSockets.Create(ZmqSocketType.Dealer), info.Submit, "submit");
        _get = Open(MessageSockets.Create(ZmqSocketType.Dealer), info.Get, "get");
        Mesh.Transport.Zmtp.ZmtpSocket.FormGroup(_submit, _get);
        _poller = new SocketPoller([_health, _submit, _get], [_wake.FileDescriptor]);
        _lastHealthReply = DateTime.UtcNow;
        _nextHeartbeat = DateTime.UtcNow;
    }

    private void CloseSockets()
    {
        _health?.Dispose();
        _submit?.Dispose();
        _get?.Dispose();
    }

    /// <summary>Whether someone must be polling: requests or actions outstanding, a heartbeat due or unanswered, or listeners.</summary>
    private bool NeedsPolling() =>
        !_pending.IsEmpty || !_outbox.IsEmpty || !_actions.IsEmpty || _healthOutstanding || HeartbeatDue(DateTime.UtcNow) || _hasListeners();

    private bool HeartbeatDue(DateTime now) => _heartbeatInterval > TimeSpan.Zero && now >= _nextHeartbeat;

    /// <summary>
    /// Leads whenever something is outstanding and no caller does; otherwise sleeps until woken or
    /// the next heartbeat is due.
    /// </summary>
    private void BackgroundLoop()
    {
        while (!_disposed)
        {
            _backgroundWake.Reset();
            bool handedOver = false;
            if (NeedsPolling() && Interlocked.CompareExchange(ref _lead, 1, 0) == 0)
            {
                _leaderThread = Environment.CurrentManagedThreadId;
                try
                {
                    while (!_disposed && NeedsPolling() && !_yieldRequested)
                    {
                        try { Turn(Math.Min(TimeToHeartbeatMs(), 250)); }
                        catch (Exception e) when (!_disposed)
                        {
                            MarkLost(new KernelLostException(Info.KernelId, $"client transport failed: {e.Message}"));
                            // The failure persists until a reconnect; wait for one instead of spinning.
                            _backgroundWake.Wait(50);
                        }
                    }
                }
                finally
                {
                    handedOver = _yieldRequested;
                    _yieldRequested = false;
                    _leaderThread = 0;
                    Interlocked.Exchange(ref _lead, 0);
                }
                // Re-check (work may have arrived as the lead was released). After a hand-over,
                // first give the caller that asked a moment to take the lead: if it did, it wakes
                // this thread when it gives the lead back; if it gave up waiting, its request is
                // queued and this thread leads again.
                if (handedOver) _backgroundWake.Wait(1);
                continue;
            }
            _backgroundWake.Wait(TimeSpan.FromMilliseconds(Math.Max(1, Math.Min(TimeToHeartbeatMs(), 250))));
        }
        // Closing needs the sockets: wait for a leading caller to notice the disposal and let go.
        var spin = new SpinWait();
        while (Interlocked.CompareExchange(ref _lead, 1, 0) != 0) spin.SpinOnce();
        RunActions();
        CloseSockets();
        _wake.Dispose();
    }

    private long TimeToHeartbeatMs() => _heartbeatInterval > TimeSpan.Zero
        ? Math.Max(0, (long)Math.Ceiling((_nextHeartbeat - DateTime.UtcNow).TotalMilliseconds))
        : 250;

    /// <summary>
    /// One turn of the leader: queued work, one wait on the sockets, replies, heartbeats. Stops
    /// reading early once <paramref name="until"/> has completed (the rest stays pending).
    /// </summary>
    private void Turn(long timeoutMs, Task? until = null)
    {
        FlushQueued();
        var poller = _poller!;
        poller.Wait(timeoutMs);
        if (poller.IsFdReadable(0))
        {
            _wake.Reset();
            FlushQueued();
        }
        if (ReferenceEquals(poller, _poller))
        {
            for (int i = 0; i < 3 && until?.IsCompleted != true; i++)
                if (poller.IsPending(i)) Drain(poller, i, until);
        }
        Heartbeat(DateTime.UtcNow);
    }

    private void FlushQueued()
    {
        RunActions();
        while (_outbox.TryDequeue(out var item)) SendNow(item.Port, item.Message);
    }

    private void RunActions()
    {
        while (_actions.TryDequeue(out var action)) action();
    }

    private void SendNow(KernelPort port, EncodedMessage message)
    {
        var socket = SocketFor(port);
        Envelope.Send(socket, [], message);
        _poller!.MarkPending(socket); // a send may consume the signal of a reply that has arrived
    }

    private IMessageSocket SocketFor(KernelPort port) => port switch
    {
        KernelPort.Health => _health!,
        KernelPort.Submit => _submit!,
        _ => _get!,
    };

    private IMessageSocket SocketAt(int index) => index switch { 0 => _health!, 1 => _submit!, _ => _get! };

    private void Drain(SocketPoller poller, int index, Task? until)
    {
        var socket = SocketAt(index);
        for (int n = 0; n < 256; n++)
        {
            var frames = new List<ReceivedFrame>(5);
            if (!socket.TryReceive(frames, dontWait: true, 4 + Envelope.MaxBuffers, out _))
            {
                poller.MarkDrained(index);
                return;
            }
            try
            {
                using var msg = Envelope.Parse(_signer, frames, identityFrames: 0);
                if (msg.Header.Type == MessageTypes.HealthReply)
                {
                    _lastHealthReply = DateTime.UtcNow;
                    _healthOutstanding = false;
                }
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
            if (until?.IsCompleted == true) return; // still pending: the next turn reads on
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
        SendNow(KernelPort.Health, Envelope.Encode(_signer, header, EmptyMap));
        // Keep polling until it is answered, or until the kernel is declared lost.
        _healthOutstanding = _lost is null;
    }

    private static readonly Dictionary<string, object?> EmptyMap = new();

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _wake.Set();
        _backgroundWake.Set();
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
