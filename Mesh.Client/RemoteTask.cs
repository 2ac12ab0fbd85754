using Mesh.Client.Connection;
using Mesh.Protocol;
using Mesh.Values;

namespace Mesh.Client;

/// <summary>
/// A submitted task. <see cref="GetAsync(TimeSpan?, CancellationToken)"/> waits for its result
/// (the outcome is kept, so it may be awaited again); <see cref="CancelAsync"/> cancels it;
/// <see cref="ProgressChanged"/> reports its progress messages.
/// </summary>
public sealed class RemoteTask
{
    private readonly Client _client;
    private readonly TaskCompletionSource<object?> _final = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<Reply>? _currentGet;

    private readonly IProgress<TaskProgressEventArgs>? _progress;
    private readonly Action<TaskRecord>? _finished;

    internal RemoteTask(Client client, string taskId, string endpoint, IProgress<TaskProgressEventArgs>? progress = null, Action<TaskRecord>? finished = null)
    {
        _client = client;
        _progress = progress;
        _finished = finished;
        TaskId = taskId;
        Endpoint = endpoint;
        OnAck = new PendingRequest(HandleAck, _ => { /* the get fails with the same cause */ });
    }

    /// <summary>The task id.</summary>
    public string TaskId { get; }

    /// <summary>The endpoint called.</summary>
    public string Endpoint { get; }

    /// <summary>The task record from the final reply: state, timestamps, captured log lines.</summary>
    public TaskRecord? Record { get; private set; }

    /// <summary>
    /// Progress reports from the handler (raised on a pool thread). Reports sent before a handler
    /// is attached are not replayed: pass <see cref="CallOptions.Progress"/> to see them all.
    /// </summary>
    public event EventHandler<TaskProgressEventArgs>? ProgressChanged;

    internal PendingRequest OnAck { get; }

    private void HandleAck(Reply reply)
    {
        if (reply.Header.Type != MessageTypes.ErrorReply && reply.Content.GetValueOrDefault("accepted") is true) return;
        var error = RemoteError.FromMap(reply.Content.GetValueOrDefault("error"));
        var e = new RemoteTaskException(error, _client.KernelId, TaskId);
        _final.TrySetException(e);
        Volatile.Read(ref _currentGet)?.TrySetException(e);
        _client.Unwatch(TaskId);
    }

    internal void OnProgress(TaskProgressEventArgs args)
    {
        _progress?.Report(args);
        var handler = ProgressChanged;
        if (handler is not null) ThreadPool.QueueUserWorkItem(_ => handler(this, args));
    }

    /// <summary>
    /// Waits for the result. With <paramref name="timeout"/>, throws <see cref="TimeoutException"/>
    /// if the task has not finished by then (it keeps running). Cancelling
    /// <paramref name="cancellationToken"/> cancels the remote task too.
    /// </summary>
    public Task<object?> GetAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        GetAsync(timeout, cancellationToken, abandonOnFail: null);

    /// <summary>Waits for the result converted to <typeparamref name="T"/>.</summary>
    public async Task<T> GetAsync<T>(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        ValueConverter.ConvertTo<T>(await GetAsync(timeout, cancellationToken).ConfigureAwait(false));

    internal async Task<object?> GetAsync(TimeSpan? timeout, CancellationToken ct, string? abandonOnFail)
    {
        var deadline = timeout is { } t ? DateTime.UtcNow + t : (DateTime?)null;
        while (true)
        {
            if (_final.Task.IsCompleted) return await _final.Task.ConfigureAwait(false);
            TimeSpan? wait = null;
            if (deadline is { } d)
            {
                wait = d - DateTime.UtcNow;
                if (wait <= TimeSpan.Zero)
                {
                    if (abandonOnFail is not null) _ = CancelQuietly();
                    throw new TimeoutException($"task '{TaskId}' ({Endpoint}) on kernel '{_client.KernelId}' did not finish within {timeout!.Value.TotalSeconds:g} s");
                }
            }
            var tcs = new TaskCompletionSource<Reply>(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _currentGet, tcs);
            if (_final.Task.IsCompleted) return await _final.Task.ConfigureAwait(false);
            var requestId = _client.SendGet(TaskId, wait, new PendingRequest(r => tcs.TrySetResult(r), e => tcs.TrySetException(e)));
            Reply reply;
            try
            {
                reply = await tcs.Task.WaitAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                _client.Abandon(requestId);
                _ = CancelQuietly();
                throw;
            }
            catch (Exception e) when (e is KernelLostException or ObjectDisposedException)
            {
                _client.Unwatch(TaskId);
                throw;
            }
            catch (RemoteTaskException) when (_final.Task.IsFaulted)
            {
                _client.Abandon(requestId);
                if (abandonOnFail is not null) _client.Abandon(abandonOnFail);
                return await _final.Task.ConfigureAwait(false);
            }
            reply.ThrowIfError(_client.KernelId);
            if (reply.Content.GetValueOrDefault("done") is not true) continue;
            if (reply.Content.GetValueOrDefault("task") is Dictionary<string, object?> record)
            {
                Record = TaskRecord.FromMap(record);
                _finished?.Invoke(Record);
            }
            _client.Unwatch(TaskId);
            if (Record?.State == TaskState.Completed) _final.TrySetResult(reply.Content.GetValueOrDefault("result"));
            else _final.TrySetException(new RemoteTaskException(RemoteError.FromMap(reply.Content.GetValueOrDefault("error")), _client.KernelId, TaskId));
            return await _final.Task.ConfigureAwait(false);
        }
    }

    private async Task CancelQuietly()
    {
        try { await CancelAsync().ConfigureAwait(false); } catch (MeshException) { } catch (ObjectDisposedException) { }
    }

    /// <summary>Cancels the task: removed if queued, signalled if running. Returns whether anything was cancelled.</summary>
    public async Task<bool> CancelAsync(CancellationToken cancellationToken = default)
    {
        var reply = await _client.RequestAsync(KernelPort.Submit, MessageTypes.CancelRequest,
            new Dictionary<string, object?> { ["task_id"] = TaskId }, cancellationToken).ConfigureAwait(false);
        return reply.Content.GetValueOrDefault("cancelled") is true;
    }

    /// <summary>The task's current record, or null if the kernel no longer knows it (already fetched).</summary>
    public async Task<TaskRecord?> StatusAsync(CancellationToken cancellationToken = default) =>
        (await _client.StatusAsync([TaskId], cancellationToken).ConfigureAwait(false))[0];
}
