using System.Collections.Concurrent;
using Mesh.Client.Connection;
using Mesh.Protocol;
using Mesh.Values;

namespace Mesh.Client;

/// <summary>
/// Calls endpoints on one kernel. Thread-safe: one client may be shared by many threads with many
/// calls in flight. A call sends <c>submit_request</c> and <c>get_request</c> back to back, so it
/// costs one round trip.
/// </summary>
public sealed class Client : IAsyncDisposable, IDisposable
{
    private readonly ClientConnection _connection;
    private readonly ConcurrentDictionary<string, RemoteTask> _watched = new(StringComparer.Ordinal);
    private static readonly Dictionary<string, object?> EmptyMap = new();

    private Client(ConnectionInfo info, ClientOptions options)
    {
        Options = options;
        var interval = options.HeartbeatInterval ?? TimeSpan.FromMilliseconds(info.HeartbeatMs);
        _connection = new ClientConnection(info, interval, options.MissedHeartbeats, options.InlineWait, options.InlineSpin, () => !_watched.IsEmpty);
        _connection.Unsolicited += OnUnsolicited;
        _connection.LostDetected += e => Lost?.Invoke(this, e);
    }

    /// <summary>Connects to a running kernel described by a client connection file's contents.</summary>
    public static Client Connect(ConnectionInfo info, ClientOptions? options = null) => new(info, options ?? new ClientOptions());

    /// <summary>Connects using a client connection file written by a manager.</summary>
    public static Client Connect(string connectionFile, ClientOptions? options = null) => Connect(ConnectionInfo.Read(connectionFile), options);

    /// <summary>The client's options.</summary>
    public ClientOptions Options { get; }

    /// <summary>The kernel this client talks to.</summary>
    public string KernelId => _connection.Info.KernelId;

    /// <summary>Current connection info (changes when a manager restarts the kernel).</summary>
    public ConnectionInfo ConnectionInfo => _connection.Info;

    /// <summary>Raised when the kernel is declared lost (process died, or heartbeats missed).</summary>
    public event EventHandler<KernelLostException>? Lost;

    /// <summary>Non-null while the kernel is considered lost.</summary>
    public KernelLostException? LostReason => _connection.Lost;

    /// <summary>
    /// Calls <paramref name="endpoint"/> and returns its result converted to <typeparamref name="T"/>.
    /// Remote failures throw <see cref="RemoteTaskException"/>; a dead kernel <see cref="KernelLostException"/>.
    /// </summary>
    public async Task<T> CallAsync<T>(string endpoint, Arguments arguments, CallOptions? options = null, CancellationToken cancellationToken = default)
    {
        var value = await CallAsync(endpoint, arguments, options, cancellationToken).ConfigureAwait(false);
        return ValueConverter.ConvertTo<T>(value);
    }

    /// <summary>Calls <paramref name="endpoint"/> and returns its result as a decoded wire value.</summary>
    public async Task<object?> CallAsync(string endpoint, Arguments arguments, CallOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= CallOptions.Default;
        var task = new RemoteTask(this, options.TaskId ?? MessageIds.Next(), endpoint, options.Progress, options.Finished);
        // A call-style submit: the kernel answers once, with the result when the task ends (or with
        // the rejection). A kernel found not to answer calls (base protocol only) gets the submit
        // and a get back to back instead: one round trip as well, two messages each way.
        // If no other request is in flight, this thread sends and polls for the answer itself, so
        // a short call involves no thread hand-off in this process.
        bool call = KernelAnswersCalls != false;
        var (pending, answer) = PendingRequest.ForTask();
        TaskCompletionSource<Reply>? get = call ? null : new(TaskCreationOptions.RunContinuationsAsynchronously);
        bool leading = _connection.TryEnterLead();
        string submitId;
        string? getId = null;
        try
        {
            submitId = SendSubmit(task, arguments, options, pending, call);
            if (get is not null) getId = SendGet(task.TaskId, options.WaitTimeout, new PendingRequest(r => get.TrySetResult(r), e => get.TrySetException(e)));
            if (leading)
            {
                var awaited = get?.Task ?? answer;
                _connection.PollInline(awaited, cancellationToken);
                // A finished call stops expecting progress before the lead goes, so the background
                // thread is not woken for it.
                if (awaited.IsCompletedSuccessfully && awaited.Result.Header.Type == MessageTypes.GetReply
                    && awaited.Result.Content.GetValueOrDefault("done") is true) Unwatch(task.TaskId);
            }
        }
        finally
        {
            if (leading) _connection.ExitLead();
        }
        return await task.CompleteCallAsync(answer, submitId, get?.Task, getId, options.WaitTimeout, cancellationToken).ConfigureAwait(false);
    }

    private int _callSupport; // 0: not known yet, 1: the kernel answers calls, -1: it ignores them

    /// <summary>
    /// Whether the kernel answers a call with its result in one message (docs/protocol.md 6.2);
    /// null until the first call's answer shows it. Kernels that do not get a submit and a get per call.
    /// </summary>
    public bool? KernelAnswersCalls => Volatile.Read(ref _callSupport) switch { 1 => true, -1 => false, _ => null };

    /// <summary>Records what a call-style submit's answer showed about the kernel.</summary>
    internal void LearnCallSupport(bool answersCalls) => Volatile.Write(ref _callSupport, answersCalls ? 1 : -1);

    /// <summary>Submits a task and returns its handle once the kernel has accepted it.</summary>
    public async Task<RemoteTask> SubmitAsync(string endpoint, Arguments arguments, CallOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= CallOptions.Default;
        var task = new RemoteTask(this, options.TaskId ?? MessageIds.Next(), endpoint, options.Progress, options.Finished);
        var (pending, ack) = PendingRequest.ForTask();
        SendSubmit(task, arguments, options, pending, call: false);
        var reply = (await ack.WaitAsync(cancellationToken).ConfigureAwait(false)).ThrowIfError(KernelId);
        if (reply.Content.GetValueOrDefault("accepted") is not true)
        {
            _watched.TryRemove(task.TaskId, out _);
            throw new RemoteTaskException(RemoteError.FromMap(reply.Content.GetValueOrDefault("error")), KernelId, task.TaskId);
        }
        return task;
    }

    private string SendSubmit(RemoteTask task, Arguments arguments, CallOptions options, PendingRequest answer, bool call)
    {
        if (options.Priority is < 1 or > 10) throw new ArgumentOutOfRangeException(nameof(options), "priority must be from 1 to 10");
        var content = new Dictionary<string, object?>
        {
            ["task_id"] = task.TaskId,
            ["endpoint"] = task.Endpoint,
            ["args"] = arguments.Positional,
            ["kwargs"] = arguments.Named,
            ["priority"] = (long)options.Priority,
            ["timeout"] = options.Timeout?.TotalSeconds,
            ["retries"] = (long)options.Retries,
            ["metadata"] = options.Metadata ?? EmptyMap,
        };
        if (call) content["call"] = true;
        _watched[task.TaskId] = task;
        var header = _connection.NewHeader(MessageTypes.SubmitRequest);
        _connection.Send(KernelPort.Submit, Envelope.Encode(_connection.Signer, header, content), header.Id, answer);
        return header.Id;
    }

    /// <summary>Sends a request on the submit or health port and awaits its reply.</summary>
    internal async Task<Reply> RequestAsync(KernelPort port, string type, object content, CancellationToken ct)
    {
        var (pending, task) = PendingRequest.ForTask();
        var header = _connection.NewHeader(type);
        _connection.Send(port, Envelope.Encode(_connection.Signer, header, content), header.Id, pending);
        try { return (await task.WaitAsync(ct).ConfigureAwait(false)).ThrowIfError(KernelId); }
        catch (OperationCanceledException) { _connection.Abandon(header.Id); throw; }
    }

    /// <summary>Sends a get_request; the returned task completes with the get_reply.</summary>
    internal string SendGet(string taskId, TimeSpan? wait, PendingRequest pending)
    {
        var header = _connection.NewHeader(MessageTypes.GetRequest);
        var content = new Dictionary<string, object?>
        {
            ["task_id"] = taskId,
            ["timeout"] = wait?.TotalSeconds,
            ["keep"] = false,
        };
        _connection.Send(KernelPort.Get, Envelope.Encode(_connection.Signer, header, content), header.Id, pending);
        return header.Id;
    }

    internal void Abandon(string requestId) => _connection.Abandon(requestId);


    internal void Unwatch(string taskId) => _watched.TryRemove(taskId, out _);

    /// <summary>The kernel's self-description (endpoints, language, pid...).</summary>
    public async Task<IReadOnlyDictionary<string, object?>> KernelInfoAsync(CancellationToken cancellationToken = default) =>
        (await RequestAsync(KernelPort.Submit, MessageTypes.KernelInfoRequest, EmptyMap, cancellationToken).ConfigureAwait(false)).Content;

    /// <summary>Asks the health port directly (not waiting behind any work).</summary>
    public async Task<HealthStatus> HealthAsync(CancellationToken cancellationToken = default)
    {
        var c = (await RequestAsync(KernelPort.Health, MessageTypes.HealthRequest, EmptyMap, cancellationToken).ConfigureAwait(false)).Content;
        long L(string k) => c.GetValueOrDefault(k) is long v ? v : 0;
        return new HealthStatus(c.GetValueOrDefault("status") as string ?? "", c.GetValueOrDefault("kernel_id") as string ?? "", L("pid"),
            c.GetValueOrDefault("uptime") is double u ? u : 0, L("queued"), L("running"), L("completed"), L("rejected"));
    }

    /// <summary>Signals cancellation to every running task; returns how many.</summary>
    public async Task<int> InterruptAsync(CancellationToken cancellationToken = default)
    {
        var c = (await RequestAsync(KernelPort.Submit, MessageTypes.InterruptRequest, EmptyMap, cancellationToken).ConfigureAwait(false)).Content;
        return c.GetValueOrDefault("interrupted") is long n ? (int)n : 0;
    }

    /// <summary>Asks the kernel to shut down after <paramref name="grace"/> for running tasks.</summary>
    public async Task ShutdownAsync(TimeSpan grace, CancellationToken cancellationToken = default) =>
        await RequestAsync(KernelPort.Submit, MessageTypes.ShutdownRequest, new Dictionary<string, object?> { ["grace"] = grace.TotalSeconds }, cancellationToken).ConfigureAwait(false);

    /// <summary>Task records for the given ids (null for ids the kernel does not know).</summary>
    public async Task<IReadOnlyList<TaskRecord?>> StatusAsync(IReadOnlyList<string> taskIds, CancellationToken cancellationToken = default)
    {
        var c = (await RequestAsync(KernelPort.Submit, MessageTypes.StatusRequest, new Dictionary<string, object?> { ["task_ids"] = taskIds }, cancellationToken).ConfigureAwait(false)).Content;
        return c.GetValueOrDefault("tasks") is object?[] records
            ? records.Select(r => r is Dictionary<string, object?> m ? TaskRecord.FromMap(m) : null).ToArray()
            : throw new ProtocolException(ErrorCode.MalformedMessage, "status_reply lacks 'tasks'");
    }

    private void OnUnsolicited(Reply reply)
    {
        if (reply.Header.Type != MessageTypes.Progress) return;
        if (reply.Content.GetValueOrDefault("task_id") is string id && _watched.TryGetValue(id, out var task))
            task.OnProgress(new TaskProgressEventArgs(id, reply.Content.GetValueOrDefault("value"), reply.Content.GetValueOrDefault("message") as string));
    }

    internal void MarkLost(KernelLostException e) => _connection.MarkLost(e);

    internal Task ReconnectAsync(ConnectionInfo info) => _connection.ReconnectAsync(info);

    /// <summary>Closes the sockets; calls in flight fail with <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose() => _connection.Dispose();

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
