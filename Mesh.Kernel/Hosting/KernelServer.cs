using System.Diagnostics;
using System.Collections.Concurrent;
using Mesh.Kernel.Dispatch;
using Mesh.Kernel.Scheduling;
using Mesh.Protocol;
using Mesh.Transport;
using Microsoft.Extensions.Logging;

namespace Mesh.Kernel.Hosting;

/// <summary>
/// The kernel's protocol engine. One I/O thread owns the submit and get sockets and the task
/// table; workers run handlers and post their outcomes back through <see cref="Post"/>; health is
/// answered by <see cref="HealthResponder"/> on its own thread.
/// </summary>
internal sealed class KernelServer : IDisposable
{
    private const int MaxFramesPerMessage = 1 + 4 + Envelope.MaxBuffers;
    private const int MaxMessagesPerTurn = 256;
    private const int MaxForgotten = 100_000;

    private readonly ConnectionInfo _info;
    private readonly KernelOptions _options;
    private readonly EndpointRegistry _registry;
    private readonly ILogger _logger;
    private readonly Signer _signer;
    private readonly string _session = Guid.NewGuid().ToString("N");
    // submit and get carry the calls: managed ZMTP sockets where they run (no libzmq I/O-thread
    // hops); health keeps libzmq, on its own thread (HealthResponder).
    private readonly IMessageSocket _submit, _get;
    private readonly ZmqSocket _health;
    private readonly WakeSignal _wake = new();
    private readonly ConcurrentQueue<Action> _outbox = new();
    private readonly PriorityWorkQueue _queue = new();
    private readonly Dictionary<string, KernelTask> _tasks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<ParkedGet>> _parked = new(StringComparer.Ordinal);
    private readonly Queue<KernelTask> _finishedOrder = new();
    private readonly Dictionary<string, RemoteError?> _forgotten = new(StringComparer.Ordinal);
    private readonly Queue<string> _forgottenOrder = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly DateTime _startedAt = DateTime.UtcNow;
    private HealthResponder? _healthResponder;
    private Thread? _ioThread;
    private SocketPoller? _poller;
    // Guards the sockets and the task tables. The I/O thread holds it for each turn and lets go
    // only while it sleeps in poll(2); a worker that finds it free answers its own task (see
    // AnswerFromWorker), so a short task costs no wake-up of the I/O thread.
    private readonly object _ioLock = new();
    private bool _ioClosed; // under _ioLock
    private long _sequence;
    private int _running, _completed, _retainedCount;
    private long _rejected;
    private volatile bool _shuttingDown;
    private volatile bool _stopIo;

    private readonly Proxies.ObjectTable _objects;
    private readonly Proxies.ProxyService _proxies;
    private readonly TimeSpan _lease;
    private DateTime _nextLeaseSweep = DateTime.UtcNow;

    public KernelServer(ConnectionInfo info, KernelOptions options, EndpointRegistry registry, ILogger logger,
        IReadOnlyDictionary<string, object>? exports = null)
    {
        _objects = new Proxies.ObjectTable(info.KernelId);
        _proxies = new Proxies.ProxyService(_objects, exports ?? new Dictionary<string, object>(), info.KernelId);
        _proxies.Register(registry);
        _lease = TimeSpan.FromSeconds(double.TryParse(Environment.GetEnvironmentVariable("MESH_PROXY_LEASE"), System.Globalization.CultureInfo.InvariantCulture, out var l) && l > 0 ? l : 30);
        _info = info;
        _options = options;
        _registry = registry;
        _logger = logger;
        _signer = new Signer(info.Key);
        var ctx = ZmqContext.Shared;
        _submit = MessageSockets.Create(ZmqSocketType.Router);
        _get = MessageSockets.Create(ZmqSocketType.Router);
        _health = ctx.CreateSocket(ZmqSocketType.Router);
        Mesh.Transport.Zmtp.ZmtpSocket.FormGroup(_submit, _get);
        foreach (var s in new IMessageSocket[] { _submit, _get, _health })
        {
            s.MaxMessageSize = info.MaxMessageBytes;
            s.HighWaterMark = 0; // never drop replies under load: memory is bounded by our own queues
        }
    }

    public string KernelId => _info.KernelId;
    public long Rejected => Interlocked.Read(ref _rejected);
    public int Running => Volatile.Read(ref _running);
    public int Queued => _queue.Count;
    public int Completed => Volatile.Read(ref _completed);
    public bool ShuttingDown => _shuttingDown;
    public double Uptime => (DateTime.UtcNow - _startedAt).TotalSeconds;

    /// <summary>Completes when the kernel has drained after a shutdown request.</summary>
    public Task Completion => _completion.Task;

    public void CountRejected() => Interlocked.Increment(ref _rejected);

    /// <summary>Renews the proxy lease of the session that sent a message (any port).</summary>
    public void Touch(string session) => _objects.Touch(session);

    /// <summary>Binds the three ports on the OS-chosen addresses and returns them.</summary>
    public (string Health, string Submit, string Get) Bind()
    {
        string Endpoint(string port) => _info.Transport == "ipc" ? IpcEndpoint(_info.IpcDir ?? Path.GetTempPath(), _info.KernelId, port) : $"tcp://{_info.Ip}:*";
        return (_health.Bind(Endpoint("health")), _submit.Bind(Endpoint("submit")), _get.Bind(Endpoint("get")));
    }

    /// <summary>Longest Unix socket path the OS accepts (sun_path holds 108 bytes with the terminator).</summary>
    internal const int MaxIpcPathBytes = 107;

    /// <summary>
    /// An ipc endpoint inside <paramref name="dir"/>. The file name keeps at most 24 characters of
    /// the kernel id (ids are free text, socket paths are short) and adds the pid so two kernels
    /// with the same id never collide; a path too long for a Unix socket is refused by name.
    /// </summary>
    internal static string IpcEndpoint(string dir, string kernelId, string port)
    {
        var id = new string(kernelId.Take(24).Select(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.' ? ch : '_').ToArray());
        string path = Path.Combine(dir, $"mesh-{id}-{Environment.ProcessId}-{port}");
        int bytes = System.Text.Encoding.UTF8.GetByteCount(path);
        if (bytes > MaxIpcPathBytes)
            throw new InvalidOperationException($"the ipc socket path '{path}' is {bytes} bytes, longer than the {MaxIpcPathBytes} a Unix socket allows; give the kernel a shorter ipc_dir in its connection file");
        return $"ipc://{path}";
    }

    public Dictionary<string, object?> KernelInfo() => new()
    {
        ["kernel_id"] = _info.KernelId,
        ["protocol_version"] = 1L,
        ["language"] = "dotnet",
        ["implementation"] = _options.Implementation,
        ["implementation_version"] = typeof(KernelServer).Assembly.GetName().Version?.ToString() ?? "0",
        ["pid"] = (long)Environment.ProcessId,
        ["hostname"] = Environment.MachineName,
        ["max_concurrency"] = (long)_options.MaxConcurrency,
        ["endpoints"] = _registry.All.Select(e => e.Describe()).ToArray(),
    };

    /// <summary>Starts the health thread, the I/O thread and the workers.</summary>
    public void Start()
    {
        _healthResponder = new HealthResponder(_health, _signer, this, _session);
        _healthResponder.Start();
        _ioThread = new Thread(IoLoop) { Name = "mesh-kernel-io", IsBackground = true };
        _ioThread.Start();
        for (int i = 0; i < _options.MaxConcurrency; i++)
            new Thread(WorkerLoop) { Name = $"mesh-kernel-worker-{i}", IsBackground = true }.Start();
    }

    /// <summary>Runs <paramref name="action"/> on the I/O thread.</summary>
    public void Post(Action action)
    {
        _outbox.Enqueue(action);
        _wake.Set();
    }

    /// <summary>Stops at once (SIGTERM or host stop): running handlers are cancelled, sockets closed.</summary>
    public void Stop()
    {
        _shuttingDown = true;
        Post(() =>
        {
            foreach (var t in _tasks.Values) if (t.State == TaskState.Started) t.Cancellation.Cancel();
            _stopIo = true;
        });
        _stop.Cancel();
        _ioThread?.Join(TimeSpan.FromSeconds(5));
        _healthResponder?.Stop();
        _completion.TrySetResult();
    }

    // ---------------------------------------------------------------- I/O thread

    private void IoLoop()
    {
        var poller = new SocketPoller([_submit, _get], [_wake.FileDescriptor]);
        _poller = poller;
        var nextSweep = DateTime.UtcNow;
        long spinTicks = (long)(_options.IdleSpin.TotalSeconds * Stopwatch.Frequency), spinUntil = 0;
        while (!_stopIo)
        {
            try
            {
                // Not while a worker has a task: the spin would compete with the handler (and with
                // libzmq's threads) for the cores, and the worker answers the task itself.
                // The poller only looks at descriptors and flags (no socket calls), so it runs
                // without the lock; a worker answering meanwhile wakes it if it must (AnswerFromWorker).
                if (spinTicks > 0 && Stopwatch.GetTimestamp() < spinUntil && Volatile.Read(ref _running) == 0 && _queue.Count == 0)
                {
                    // Recently busy: look without sleeping (the next request usually follows within
                    // microseconds), giving the core away between looks.
                    poller.Wait(0);
                    if (!poller.IsPending(0) && !poller.IsPending(1) && !poller.IsFdReadable(0) && _outbox.IsEmpty)
                    {
                        Thread.Yield();
                        continue;
                    }
                }
                else poller.Wait(50);
                lock (_ioLock)
                {
                    // Active = a whole message or an outcome was handled. A managed socket also
                    // wakes the loop for each chunk of a large message still arriving; spinning
                    // then would only take a core from the sender.
                    bool active = poller.IsFdReadable(0) || !_outbox.IsEmpty;
                    if (poller.IsPending(0)) active |= Drain(poller, 0, _submit, HandleSubmitPort) > 0;
                    if (poller.IsPending(1)) active |= Drain(poller, 1, _get, HandleGetPort) > 0;
                    // Workers' outcomes: run them every turn, so a busy socket cannot starve them.
                    if (poller.IsFdReadable(0)) _wake.Reset();
                    RunOutbox();
                    if (active) spinUntil = Stopwatch.GetTimestamp() + spinTicks;
                    var now = DateTime.UtcNow;
                    if (now >= nextSweep) { Sweep(now); nextSweep = now.AddMilliseconds(50); }
                }
            }
            catch (Exception e)
            {
                // A bug must not take the kernel down: log it and keep serving.
                _logger.LogError(e, "kernel I/O loop error");
            }
        }
        lock (_ioLock)
        {
            RunOutbox();
            _ioClosed = true;
            _submit.Dispose();
            _get.Dispose();
        }
        _wake.Dispose();
    }

    /// <summary>
    /// Records a worker's outcome and sends its answer from the worker's own thread when the I/O
    /// thread is not using the sockets (it holds the lock for each turn and lets go only while it
    /// sleeps), else hands it to the I/O thread as before. Answering here saves waking the I/O
    /// thread only to send, one thread wake-up per call.
    /// </summary>
    private void AnswerFromWorker(KernelTask task, TaskState state, object? result, RemoteError? error)
    {
        if (!Monitor.TryEnter(_ioLock))
        {
            Post(() => Finish(task, state, result, error));
            return;
        }
        try
        {
            if (_ioClosed) return;
            RunOutbox(); // what was posted before (this task's progress) leaves first
            Finish(task, state, result, error);
            // Sending let libzmq process the sockets' commands, which may have taken the signal
            // of a request that arrived meanwhile: the sleeping I/O thread would not see it. Ask
            // each socket used; wake the I/O thread only if one holds input.
            var poller = _poller!;
            for (int i = 0; i < 2; i++)
            {
                if (!poller.IsPending(i)) continue;
                if ((i == 0 ? _submit : _get).HasInput) { _wake.Set(); break; }
                poller.MarkDrained(i);
            }
        }
        catch (Exception e)
        {
            _logger.LogError(e, "error answering task {TaskId} from its worker", task.TaskId);
        }
        finally
        {
            Monitor.Exit(_ioLock);
        }
    }

    private void RunOutbox()
    {
        while (_outbox.TryDequeue(out var action))
        {
            try { action(); }
            catch (Exception e) { _logger.LogError(e, "kernel I/O action error"); }
        }
    }

    /// <summary>Handles up to <see cref="MaxMessagesPerTurn"/> messages from one socket; returns how many there were.</summary>
    private int Drain(SocketPoller poller, int index, IMessageSocket socket, Action<IncomingMessage> handler)
    {
        int n = 0;
        for (; n < MaxMessagesPerTurn; n++)
        {
            var frames = new List<ReceivedFrame>(5);
            if (!socket.TryReceive(frames, dontWait: true, MaxFramesPerMessage, out bool truncated))
            {
                poller.MarkDrained(index);
                return n;
            }
            IncomingMessage? msg = null;
            try
            {
                if (truncated) throw new ProtocolException(ErrorCode.MalformedMessage, $"more than {MaxFramesPerMessage} frames");
                if (frames.Count < 1) throw new ProtocolException(ErrorCode.MalformedMessage, "no routing frame");
                msg = Envelope.Parse(_signer, frames, identityFrames: 1);
                _objects.Touch(msg.Header.Session);
                handler(msg);
            }
            catch (ProtocolException e)
            {
                CountRejected();
                if (e.Code != ErrorCode.BadSignature) TryReplyError(socket, frames, msg, e.Code, e.Message);
            }
            catch (Exception e) when (msg is not null)
            {
                _logger.LogError(e, "internal error handling {Type}", msg.Header.Type);
                ReplyError(socket, msg.Identity, msg.Header.Id, RemoteError.FromException(e, ErrorCode.InternalError));
            }
            finally
            {
                foreach (var f in frames) f.Dispose();
            }
        }
        return n;
    }

    /// <summary>Answers a malformed message with error_reply, but only when it is signed and its id is readable.</summary>
    private void TryReplyError(IMessageSocket socket, List<ReceivedFrame> frames, IncomingMessage? msg, ErrorCode code, string message)
    {
        string? parentId = msg?.Header.Id;
        if (parentId is null)
        {
            if (frames.Count < 5) return;
            if (!_signer.Verify(frames[3].Span, frames[4].Span, frames[2].Span)) return;
            try { parentId = Envelope.ReadHeader(frames[3].Span).Id; } catch (ProtocolException) { return; }
        }
        ReplyError(socket, frames[0].ToArray(), parentId, RemoteError.Protocol(code, message));
    }

    private void ReplyError(IMessageSocket socket, byte[] identity, string parentId, RemoteError error) =>
        Send(socket, identity, MessageTypes.ErrorReply, parentId, new Dictionary<string, object?> { ["error"] = error.ToMap() });

    private void Send(IMessageSocket socket, byte[] identity, string type, string? parentId, object content)
    {
        var header = new MessageHeader(MessageIds.Next(), type, _session, DateTime.UtcNow, parentId);
        Envelope.Send(socket, identity, Envelope.Encode(_signer, header, content));
        _poller?.MarkPending(socket); // the send may have consumed the signal of a waiting request
    }

    private void HandleSubmitPort(IncomingMessage msg)
    {
        switch (msg.Header.Type)
        {
            case MessageTypes.SubmitRequest: HandleSubmit(msg); break;
            case MessageTypes.CancelRequest: HandleCancel(msg); break;
            case MessageTypes.StatusRequest: HandleStatus(msg); break;
            case MessageTypes.KernelInfoRequest: Send(_submit, msg.Identity, MessageTypes.KernelInfoReply, msg.Header.Id, KernelInfo()); break;
            case MessageTypes.InterruptRequest: HandleInterrupt(msg); break;
            case MessageTypes.ShutdownRequest: HandleShutdown(msg); break;
            default: throw new ProtocolException(ErrorCode.UnknownMessageType, $"'{msg.Header.Type}' is not a message type of the submit port");
        }
    }

    private void HandleGetPort(IncomingMessage msg)
    {
        if (msg.Header.Type != MessageTypes.GetRequest)
            throw new ProtocolException(ErrorCode.UnknownMessageType, $"'{msg.Header.Type}' is not a message type of the get port");
        var c = msg.ReadContent();
        string taskId = RequireString(c, "task_id");
        double timeout = c.GetValueOrDefault("timeout") switch
        {
            null => _options.MaxGetWait.TotalSeconds,
            double d => d,
            long l => l,
            float f => f,
            var other => throw new ProtocolException(ErrorCode.MalformedMessage, $"get_request timeout must be a number of seconds, got {other}"),
        };
        bool keep = c.GetValueOrDefault("keep") is true;
        var parked = new ParkedGet(_get, msg.Identity, msg.Header.Id, taskId, DateTime.UtcNow.AddSeconds(Math.Clamp(timeout, 0, _options.MaxGetWait.TotalSeconds)), keep);
        if (_tasks.TryGetValue(taskId, out var task) && task.State.IsFinal()) { AnswerGet(parked, task); return; }
        if (task is null && _forgotten.TryGetValue(taskId, out var rejection))
        {
            if (rejection is null) AnswerUnknown(parked); else AnswerRejected(parked, rejection);
            return;
        }
        if (timeout <= 0) { AnswerPending(parked, task); return; }
        if (!_parked.TryGetValue(taskId, out var list)) _parked[taskId] = list = [];
        list.Add(parked);
    }

    private void HandleSubmit(IncomingMessage msg)
    {
        var c = msg.ReadContent();
        string taskId = RequireString(c, "task_id");
        string endpointName = RequireString(c, "endpoint");
        var args = c.GetValueOrDefault("args") switch
        {
            null => [],
            object?[] a => a,
            _ => throw new ProtocolException(ErrorCode.MalformedMessage, "submit_request 'args' must be an array"),
        };
        var kwargs = c.GetValueOrDefault("kwargs") switch
        {
            null => new Dictionary<string, object?>(),
            Dictionary<string, object?> d => d,
            _ => throw new ProtocolException(ErrorCode.MalformedMessage, "submit_request 'kwargs' must be a map with string keys"),
        };
        var metadata = c.GetValueOrDefault("metadata") as Dictionary<string, object?> ?? new Dictionary<string, object?>();
        int retries = c.GetValueOrDefault("retries") is long r ? (int)r : 0;

        RemoteError? reject = null;
        object?[]? bound = null;
        Endpoint? endpoint = null;
        int priority = 5;
        TimeSpan? timeout = null;
        if (c.GetValueOrDefault("priority") is { } p)
        {
            if (p is long pl && pl is >= 1 and <= 10) priority = (int)pl;
            else reject = RemoteError.Protocol(ErrorCode.BadArguments, $"priority must be an integer from 1 to 10, got {p}");
        }
        switch (c.GetValueOrDefault("timeout"))
        {
            case null: break;
            case double d when d > 0: timeout = TimeSpan.FromSeconds(d); break;
            case long l when l > 0: timeout = TimeSpan.FromSeconds(l); break;
            case var t: reject ??= RemoteError.Protocol(ErrorCode.BadArguments, $"timeout must be a positive number of seconds, got {t}"); break;
        }
        if (reject is not null) { }
        else if (_shuttingDown) reject = RemoteError.Protocol(ErrorCode.KernelShuttingDown, $"kernel '{KernelId}' is shutting down and accepts no new tasks");
        else if (_tasks.ContainsKey(taskId)) reject = RemoteError.Protocol(ErrorCode.DuplicateTask, $"a task with id '{taskId}' already exists");
        else if (!_registry.TryGet(endpointName, out endpoint))
            reject = RemoteError.Protocol(ErrorCode.UnknownEndpoint, $"kernel '{KernelId}' has no endpoint '{endpointName}' (endpoints: {string.Join(", ", _registry.Names.Order())})");
        else if (_queue.Count >= _options.MaxQueued) reject = RemoteError.Protocol(ErrorCode.QueueFull, $"the queue holds {_options.MaxQueued} tasks");
        else
        {
            try { bound = endpoint.Bind((object?[])_proxies.Resolve(args)!, (Dictionary<string, object?>)_proxies.Resolve(kwargs)!); }
            catch (ArgumentBindingException e) { reject = RemoteError.Protocol(ErrorCode.BadArguments, e.Message); }
            catch (Proxies.ProxyException e) { reject = RemoteError.Protocol(e.Code, e.Message); }
        }
        if (reject is not null)
        {
            Send(_submit, msg.Identity, MessageTypes.SubmitReply, msg.Header.Id, new Dictionary<string, object?>
            {
                ["task_id"] = taskId, ["accepted"] = false, ["state"] = null, ["error"] = reject.ToMap(),
            });
            // A get that overtook this submit (or follows it) must not wait for a task that will never exist.
            if (reject.Code != (int)ErrorCode.DuplicateTask)
            {
                if (_parked.Remove(taskId, out var waiting)) foreach (var g in waiting) AnswerRejected(g, reject);
                Remember(taskId, reject);
            }
            return;
        }
        var task = new KernelTask(taskId, endpoint!, bound!, priority, timeout, retries, metadata, msg.Identity, msg.Header.Session,
            _sequence++, _options.MaxLogLines, OnProgress)
        {
            QueuedAt = DateTime.UtcNow,
            State = TaskState.Queued,
        };
        _tasks[taskId] = task;
        _forgotten.Remove(taskId);
        if (_options.AnswerCalls && c.GetValueOrDefault("call") is true)
        {
            // A call: no acknowledgement; the result goes back on this port when the task ends.
            if (!_parked.TryGetValue(taskId, out var waiting)) _parked[taskId] = waiting = [];
            waiting.Add(new ParkedGet(_submit, msg.Identity, msg.Header.Id, taskId, DateTime.MaxValue, Keep: false));
        }
        else
        {
            Send(_submit, msg.Identity, MessageTypes.SubmitReply, msg.Header.Id, new Dictionary<string, object?>
            {
                ["task_id"] = taskId, ["accepted"] = true, ["state"] = TaskState.Queued.WireName(),
            });
        }
        if (endpoint!.Inline) RunInline(task);
        else _queue.Enqueue(task);
    }

    /// <summary>Runs an inline endpoint's task here on the I/O thread (see <see cref="MeshKernel.MapInline"/>).</summary>
    private void RunInline(KernelTask task)
    {
        task.TryTransition(TaskState.Queued, TaskState.Started);
        task.StartedAt = DateTime.UtcNow;
        Interlocked.Increment(ref _running);
        var run = RunAsync(task);
        if (run.IsCompleted)
        {
            Interlocked.Decrement(ref _running);
            var (state, result, error) = run.Result;
            Finish(task, state, result, error);
            return;
        }
        // An async handler: finish when it does, without holding the I/O thread.
        run.ContinueWith(t =>
        {
            Interlocked.Decrement(ref _running);
            var (state, result, error) = t.Result;
            Post(() => Finish(task, state, result, error));
        }, TaskScheduler.Default);
    }

    private void HandleCancel(IncomingMessage msg)
    {
        var c = msg.ReadContent();
        string taskId = RequireString(c, "task_id");
        bool cancelled = false;
        var reply = new Dictionary<string, object?> { ["task_id"] = taskId };
        if (!_tasks.TryGetValue(taskId, out var task))
        {
            reply["cancelled"] = false;
            reply["state"] = null;
            reply["error"] = RemoteError.Protocol(ErrorCode.UnknownTask, $"no task '{taskId}'").ToMap();
            Send(_submit, msg.Identity, MessageTypes.CancelReply, msg.Header.Id, reply);
            return;
        }
        if (task.TryTransition(TaskState.Queued, TaskState.Pending))
        {
            _queue.Remove(task);
            Finish(task, TaskState.Cancelled, null, RemoteError.Protocol(ErrorCode.TaskCancelled, $"task '{taskId}' was cancelled while queued"));
            cancelled = true;
        }
        else if (task.State == TaskState.Started)
        {
            task.Cancellation.Cancel();
            cancelled = true;
        }
        reply["cancelled"] = cancelled;
        reply["state"] = task.State.WireName();
        Send(_submit, msg.Identity, MessageTypes.CancelReply, msg.Header.Id, reply);
    }

    private void HandleStatus(IncomingMessage msg)
    {
        var c = msg.ReadContent();
        if (c.GetValueOrDefault("task_ids") is not object?[] ids) throw new ProtocolException(ErrorCode.MalformedMessage, "status_request needs 'task_ids', an array of strings");
        var records = ids.Select(id => id is string s && _tasks.TryGetValue(s, out var t) ? t.ToRecord().ToMap() : null).ToArray();
        Send(_submit, msg.Identity, MessageTypes.StatusReply, msg.Header.Id, new Dictionary<string, object?> { ["tasks"] = records });
    }

    private void HandleInterrupt(IncomingMessage msg)
    {
        int n = 0;
        foreach (var t in _tasks.Values)
            if (t.State == TaskState.Started) { t.Cancellation.Cancel(); n++; }
        Send(_submit, msg.Identity, MessageTypes.InterruptReply, msg.Header.Id, new Dictionary<string, object?> { ["interrupted"] = (long)n });
    }

    private void HandleShutdown(IncomingMessage msg)
    {
        var c = msg.ReadContent();
        double grace = c.GetValueOrDefault("grace") switch { double d => d, long l => l, _ => 5 };
        // Shutting down before the reply leaves: a client that asks for health (another thread)
        // or submits as soon as it has the reply must already be told shutting_down.
        BeginShutdown(TimeSpan.FromSeconds(Math.Max(0, grace)));
        Send(_submit, msg.Identity, MessageTypes.ShutdownReply, msg.Header.Id, new Dictionary<string, object?> { ["accepted"] = true });
    }

    /// <summary>Refuses new work, cancels queued tasks, gives running ones <paramref name="grace"/>, then completes.</summary>
    public void BeginShutdown(TimeSpan grace)
    {
        if (_shuttingDown) return;
        _shuttingDown = true;
        Post(() =>
        {
            foreach (var t in _queue.Snapshot())
                if (t.TryTransition(TaskState.Queued, TaskState.Pending))
                {
                    _queue.Remove(t);
                    Finish(t, TaskState.Cancelled, null, RemoteError.Protocol(ErrorCode.TaskCancelled, "kernel shutting down"));
                }
        });
        _ = Task.Run(async () =>
        {
            var deadline = DateTime.UtcNow + grace;
            while (Running > 0 && DateTime.UtcNow < deadline) await Task.Delay(20);
            Post(() => { foreach (var t in _tasks.Values) if (t.State == TaskState.Started) t.Cancellation.Cancel(); });
            var hard = DateTime.UtcNow.AddSeconds(5);
            while (Running > 0 && DateTime.UtcNow < hard) await Task.Delay(20);
            await Task.Delay(50); // let the last replies leave
            _completion.TrySetResult();
        });
    }

    private void OnProgress(KernelTask task, object? value, string? message) => Post(() =>
        Send(_submit, task.Submitter, MessageTypes.Progress, null, new Dictionary<string, object?>
        {
            ["task_id"] = task.TaskId, ["value"] = value, ["message"] = message,
        }));

    /// <summary>Records a task's outcome (I/O thread only) and answers every get waiting for it.</summary>
    private void Finish(KernelTask task, TaskState state, object? result, RemoteError? error)
    {
        task.Result = result;
        task.Error = error;
        task.EndedAt = DateTime.UtcNow;
        task.State = state;
        Interlocked.Increment(ref _completed);
        _retainedCount++;
        _finishedOrder.Enqueue(task);
        if (_parked.Remove(task.TaskId, out var waiting))
            foreach (var g in waiting) AnswerGet(g, task);
    }

    private void AnswerGet(ParkedGet g, KernelTask task)
    {
        var reply = new Dictionary<string, object?>
        {
            ["task_id"] = task.TaskId,
            ["done"] = true,
            ["task"] = task.ToRecord().ToMap(),
        };
        if (task.State == TaskState.Completed) reply["result"] = task.Result;
        else reply["error"] = task.Error?.ToMap();
        try
        {
            Send(g.Socket, g.Identity, MessageTypes.GetReply, g.RequestId, reply);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or NotSupportedException)
        {
            // The handler returned something the value model cannot encode: report that instead.
            var err = new RemoteError("mesh.UnencodableResult", $"result of endpoint '{task.Endpoint.Name}' cannot be encoded: {e.Message}", [], (int)ErrorCode.ApplicationError);
            Send(g.Socket, g.Identity, MessageTypes.GetReply, g.RequestId, new Dictionary<string, object?>
            {
                ["task_id"] = task.TaskId, ["done"] = true, ["task"] = task.ToRecord().ToMap(), ["error"] = err.ToMap(),
            });
        }
        if (!g.Keep) Forget(task);
    }

    private void AnswerPending(ParkedGet g, KernelTask? task) =>
        Send(g.Socket, g.Identity, MessageTypes.GetReply, g.RequestId, new Dictionary<string, object?>
        {
            ["task_id"] = g.TaskId, ["done"] = false, ["task"] = task?.ToRecord().ToMap(),
        });

    private void AnswerUnknown(ParkedGet g) =>
        AnswerRejected(g, RemoteError.Protocol(ErrorCode.UnknownTask, $"kernel '{KernelId}' has no task '{g.TaskId}' (never submitted, already fetched, or expired)"));

    private void AnswerRejected(ParkedGet g, RemoteError error) =>
        Send(g.Socket, g.Identity, MessageTypes.GetReply, g.RequestId, new Dictionary<string, object?>
        {
            ["task_id"] = g.TaskId, ["done"] = true, ["task"] = null, ["error"] = error.ToMap(),
        });

    private void Forget(KernelTask task)
    {
        if (!task.Retained) return;
        task.Retained = false;
        _retainedCount--;
        if (_tasks.TryGetValue(task.TaskId, out var current) && ReferenceEquals(current, task)) _tasks.Remove(task.TaskId);
        Remember(task.TaskId);
    }

    /// <summary>Remembers an id that no longer (or never will) exist, so a get for it is answered at once.</summary>
    private void Remember(string taskId, RemoteError? rejection = null)
    {
        if (!_forgotten.TryAdd(taskId, rejection)) return;
        _forgottenOrder.Enqueue(taskId);
        while (_forgottenOrder.Count > MaxForgotten) _forgotten.Remove(_forgottenOrder.Dequeue());
    }

    private void Sweep(DateTime now)
    {
        if (_parked.Count > 0)
        {
            List<string>? empty = null;
            foreach (var (taskId, list) in _parked)
            {
                for (int i = list.Count - 1; i >= 0; i--)
                {
                    if (list[i].Deadline > now) continue;
                    var g = list[i];
                    list.RemoveAt(i);
                    if (_tasks.TryGetValue(taskId, out var t)) AnswerPending(g, t);
                    else AnswerUnknown(g);
                }
                if (list.Count == 0) (empty ??= []).Add(taskId);
            }
            if (empty is not null) foreach (var id in empty) _parked.Remove(id);
        }
        if (now >= _nextLeaseSweep)
        {
            _nextLeaseSweep = now.AddSeconds(Math.Min(1, _lease.TotalSeconds / 4));
            _objects.ExpireSessions(_lease);
        }
        while (_finishedOrder.TryPeek(out var oldest))
        {
            if (!oldest.Retained) { _finishedOrder.Dequeue(); continue; }
            if (_retainedCount > _options.MaxRetained || now - oldest.EndedAt > _options.ResultTtl) { _finishedOrder.Dequeue(); Forget(oldest); }
            else break;
        }
    }

    private static string RequireString(IReadOnlyDictionary<string, object?> c, string key) =>
        c.GetValueOrDefault(key) as string ?? throw new ProtocolException(ErrorCode.MalformedMessage, $"'{key}' must be a string");

    // ---------------------------------------------------------------- workers

    /// <summary>
    /// One worker thread per concurrency slot. Async handlers are awaited on the slot's thread (the
    /// slot stays busy while its task runs, which is what the concurrency limit means).
    /// </summary>
    private void WorkerLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            KernelTask task;
            try { task = _queue.Dequeue(_stop.Token, _options.IdleSpin); }
            catch (OperationCanceledException) { return; }
            if (!task.TryTransition(TaskState.Queued, TaskState.Started)) continue;
            task.StartedAt = DateTime.UtcNow;
            Interlocked.Increment(ref _running);
            var run = RunAsync(task);
            var (state, result, error) = run.IsCompleted ? run.Result : run.GetAwaiter().GetResult();
            Interlocked.Decrement(ref _running);
            AnswerFromWorker(task, state, result, error);
        }
    }

    private async Task<(TaskState, object?, RemoteError?)> RunAsync(KernelTask task)
    {
        using var timeout = task.Timeout is { } t ? new CancellationTokenSource(t) : null;
        using var timeoutHook = timeout?.Token.Register(() => { task.CancelReason = ErrorCode.TaskTimeout; task.Cancellation.Cancel(); });
        var context = new TaskContext(task);
        TaskContext.Current = context;
        try
        {
            // Run the handler off this loop's continuation so a synchronous handler cannot stall dispatch.
            var result = await task.Endpoint.InvokeAsync(task.BoundArgs, context).ConfigureAwait(false);
            return (TaskState.Completed, result, null);
        }
        catch (OperationCanceledException) when (task.Cancellation.IsCancellationRequested)
        {
            return task.CancelReason == ErrorCode.TaskTimeout
                ? (TaskState.Error, null, RemoteError.Protocol(ErrorCode.TaskTimeout, $"task '{task.TaskId}' exceeded its timeout of {task.Timeout!.Value.TotalSeconds:g} s"))
                : (TaskState.Cancelled, null, RemoteError.Protocol(ErrorCode.TaskCancelled, $"task '{task.TaskId}' was cancelled while running"));
        }
        catch (Proxies.ProxyException e)
        {
            return (TaskState.Error, null, RemoteError.Protocol(e.Code, e.Message));
        }
        catch (Proxies.ProxyArgumentException e)
        {
            return (TaskState.Error, null, RemoteError.Protocol(ErrorCode.BadArguments, e.Message));
        }
        catch (Exception e)
        {
            return (TaskState.Error, null, RemoteError.FromException(e));
        }
        finally
        {
            TaskContext.Current = null;
        }
    }

    public void Dispose()
    {
        _health.Dispose();
        _stop.Dispose();
    }

    /// <summary>A request waiting for a task to end: a get (answered on the get port) or a call-style submit (on the submit port).</summary>
    private sealed record ParkedGet(IMessageSocket Socket, byte[] Identity, string RequestId, string TaskId, DateTime Deadline, bool Keep);
}
