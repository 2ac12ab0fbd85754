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

    private readonly IProgress<TaskProgressEventArgs>? _progress;
    private readonly Action<TaskRecord>? _finished;

    internal RemoteTask(Client client, string taskId, string endpoint, IProgress<TaskProgressEventArgs>? progress = null, Action<TaskRecord>? finished = null)
    {
        _client = client;
        _progress = progress;
        _finished = finished;
        TaskId = taskId;
        Endpoint = endpoint;
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
                    throw new TimeoutException(TimeoutMessage(timeout!.Value));
                }
            }
            var tcs = new TaskCompletionSource<Reply>(TaskCreationOptions.RunContinuationsAsynchronously);
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
            reply.ThrowIfError(_client.KernelId);
            if (reply.Content.GetValueOrDefault("done") is not true) continue;
            return await FinishAsync(reply).ConfigureAwait(false);
        }
    }

    /// <summary>Records a final get_reply's outcome and returns the result (or throws the task's error).</summary>
    private Task<object?> FinishAsync(Reply reply)
    {
        if (reply.Content.GetValueOrDefault("task") is Dictionary<string, object?> record)
        {
            Record = TaskRecord.FromMap(record);
            _finished?.Invoke(Record);
        }
        _client.Unwatch(TaskId);
        if (Record?.State == TaskState.Completed) _final.TrySetResult(reply.Content.GetValueOrDefault("result"));
        else _final.TrySetException(new RemoteTaskException(RemoteError.FromMap(reply.Content.GetValueOrDefault("error")), _client.KernelId, TaskId));
        return _final.Task;
    }

    private string TimeoutMessage(TimeSpan timeout) =>
        $"task '{TaskId}' ({Endpoint}) on kernel '{_client.KernelId}' did not finish within {timeout.TotalSeconds:g} s";

    /// <summary>
    /// Completes a call. A call-style submit (no <paramref name="get"/>) has one answer: the final
    /// get_reply, or a submit_reply — a rejection is thrown; an acceptance means a kernel that does
    /// not answer calls with the result (docs/protocol.md 6.2), so the result is fetched with
    /// get_request as usual (and later calls send one at once). A plain submit sent with its
    /// first <paramref name="get"/> completes from the get's reply (a rejection arrives there too).
    /// </summary>
    internal async Task<object?> CompleteCallAsync(Task<Reply> answer, string submitId, Task<Reply>? get, string? getId, TimeSpan? timeout, CancellationToken ct)
    {
        var started = DateTime.UtcNow;
        var awaited = get ?? answer;
        Reply reply;
        try
        {
            reply = awaited.IsCompleted ? await awaited.ConfigureAwait(false)
                : timeout is { } limit ? await awaited.WaitAsync(limit, ct).ConfigureAwait(false)
                : await awaited.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Our wait ended (the awaited reply never fails with a timeout). A get_request's own
            // wait, equal to ours, may have been answered with done: false at the same moment:
            // the task is still running either way and is cancelled.
            Abandon(submitId, getId);
            _ = CancelQuietly();
            throw new TimeoutException(TimeoutMessage(timeout!.Value));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Abandon(submitId, getId);
            _ = CancelQuietly();
            throw;
        }
        catch (Exception e) when (e is KernelLostException or ObjectDisposedException)
        {
            _client.Unwatch(TaskId);
            throw;
        }
        TimeSpan? Left() => timeout is { } t ? t - (DateTime.UtcNow - started) : null;
        if (reply.Header.Type == MessageTypes.SubmitReply)
        {
            if (reply.Content.GetValueOrDefault("accepted") is true)
            {
                _client.LearnCallSupport(false);
                return await GetAsync(Left(), ct, abandonOnFail: submitId).ConfigureAwait(false);
            }
            _client.Unwatch(TaskId);
            throw new RemoteTaskException(RemoteError.FromMap(reply.Content.GetValueOrDefault("error")), _client.KernelId, TaskId);
        }
        if (reply.Header.Type == MessageTypes.ErrorReply)
        {
            Abandon(submitId, getId);
            _client.Unwatch(TaskId);
            reply.ThrowIfError(_client.KernelId);
        }
        if (get is null) _client.LearnCallSupport(true);
        if (reply.Content.GetValueOrDefault("done") is not true) return await GetAsync(Left(), ct, abandonOnFail: submitId).ConfigureAwait(false);
        return await FinishAsync(reply).ConfigureAwait(false);
    }

    private void Abandon(string submitId, string? getId)
    {
        _client.Abandon(submitId);
        if (getId is not null) _client.Abandon(getId);
        _client.Unwatch(TaskId);
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
