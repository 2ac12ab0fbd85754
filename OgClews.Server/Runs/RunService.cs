using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OgClews.Coupling.Orchestration;
using OgClews.Runner;
using OgClews.Server.Store;

namespace OgClews.Server.Runs;

/// <summary>What a cancel request did.</summary>
internal enum CancelOutcome
{
    /// <summary>No such run.</summary>
    NotFound,
    /// <summary>It was queued and is now cancelled.</summary>
    Cancelled,
    /// <summary>It is running; it stops at its next kernel call or iteration boundary.</summary>
    Cancelling,
    /// <summary>It had already finished.</summary>
    AlreadyFinished,
}

/// <summary>
/// Runs the queue: takes runs in order as slots free up (at most <see cref="ServerOptions.Concurrency"/>
/// at once), executes each with <see cref="CoupledRun"/> in its own run folder, and records everything
/// in the store. On start it picks up what a previous process left: queued runs are queued again and
/// running ones continue from their last checkpoint (<see cref="CoupledRunOptions.Resume"/>).
/// </summary>
internal sealed class RunService : IHostedService, IAsyncDisposable
{
    private readonly RunStore _store;
    private readonly ServerOptions _options;
    private readonly ScenarioCatalog _scenarios;
    private readonly ILogger<RunService> _logger;
    private readonly RunQueue _queue = new();
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentDictionary<string, Execution> _running = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly KernelPool? _pool;
    private Task? _dispatcher;

    public RunService(RunStore store, ServerOptions options, ScenarioCatalog scenarios, InstallLayout layout, ILogger<RunService> logger)
    {
        _store = store;
        _options = options;
        _scenarios = scenarios;
        _logger = logger;
        _slots = new SemaphoreSlim(options.Concurrency, options.Concurrency);
        if (options.Kernels == KernelMode.Pool) _pool = new KernelPool(layout, Path.Combine(options.DataFolder, "kernels"));
    }

    /// <summary>Runs waiting for a slot.</summary>
    public int QueuedCount => _queue.Count;

    /// <summary>Runs executing now.</summary>
    public int RunningCount => _running.Count;

    /// <summary>The kernel pool, when runs share kernels.</summary>
    public KernelPool? Pool => _pool;

    /// <summary>1 for the queued run that starts next; null when the run is not waiting.</summary>
    public int? QueuePosition(string id) => _queue.PositionOf(id);

    /// <summary>Stores a new queued run and puts it in the queue.</summary>
    public async Task<RunRecord> SubmitAsync(RunSpec spec, int priority, string? rerunOf, CancellationToken ct)
    {
        string id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var run = await _store.InsertRunAsync(id, spec, priority, Path.Combine(_options.RunsFolder, id), DateTimeOffset.UtcNow, rerunOf, ct).ConfigureAwait(false);
        _queue.Add(run.Id, run.Priority, run.Seq);
        _logger.LogInformation("run {Run} queued: {Scenario}/{Method}, priority {Priority}", run.Id, spec.Scenario, spec.Method, priority);
        return run;
    }

    /// <summary>Cancels a queued run at once, or asks a running one to stop.</summary>
    public async Task<CancelOutcome> CancelAsync(string id, CancellationToken ct)
    {
        var run = await _store.GetRunAsync(id, ct).ConfigureAwait(false);
        if (run is null) return CancelOutcome.NotFound;
        if (run.Status == RunStatus.Queued)
        {
            if (await _store.CancelIfQueuedAsync(id, DateTimeOffset.UtcNow, "cancelled while queued", ct).ConfigureAwait(false))
            {
                _queue.Remove(id);
                return CancelOutcome.Cancelled;
            }
            run = await _store.GetRunAsync(id, ct).ConfigureAwait(false) ?? run;
        }
        if (run.Status == RunStatus.Running)
        {
            // Stored first: if the server stops before the run does, the next start finishes the cancellation instead of resuming.
            await _store.RequestCancelAsync(id, ct).ConfigureAwait(false);
            if (_running.TryGetValue(id, out var execution)) execution.CancelByUser();
            else if (_queue.Remove(id))
            {
                // Interrupted by a restart and waiting to resume: nothing is executing, so it ends here.
                await FinishCancelledAsync(id, "cancelled while waiting to resume after a server restart").ConfigureAwait(false);
                return CancelOutcome.Cancelled;
            }
            return CancelOutcome.Cancelling;
        }
        return CancelOutcome.AlreadyFinished;
    }

    /// <summary>Picks up what the last process left, then starts taking runs from the queue.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var run in await _store.ListUnfinishedAsync(cancellationToken).ConfigureAwait(false))
        {
            if (run.Status == RunStatus.Running || run.CancelRequested)
            {
                await SyncIterationsAsync(run).ConfigureAwait(false);
                string why = run.CancelRequested
                    ? "cancelled with the run"
                    : "interrupted: the server stopped during this task; the run resumed from its last checkpoint";
                await _store.CloseOpenTasksAsync(run.Id, SubTaskState.Cancelled, why, DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false);
            }
            if (run.CancelRequested)
            {
                // A cancel that the stopped process could not finish is finished now.
                await _store.FinishAsync(run.Id, RunStatus.Cancelled, "cancelled (the server stopped before the run did)", null, DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (run.Status == RunStatus.Running)
            {
                await _store.SetMessageAsync(run.Id, $"resuming from the last checkpoint after a server restart (attempt {run.Attempts + 1})", cancellationToken).ConfigureAwait(false);
                _logger.LogInformation("run {Run} was running when the server stopped: it resumes from its last checkpoint", run.Id);
            }
            _queue.Add(run.Id, run.Priority, run.Seq, resumed: run.Status == RunStatus.Running);
        }
        _dispatcher = Task.Run(DispatchAsync, CancellationToken.None);
    }

    private async Task DispatchAsync()
    {
        var ct = _stopping.Token;
        while (!ct.IsCancellationRequested)
        {
            string id;
            try
            {
                // A slot first, then the queue's head: the order is decided when a run can really start.
                await _slots.WaitAsync(ct).ConfigureAwait(false);
                try
                {
                    id = await _queue.TakeAsync(ct).ConfigureAwait(false);
                }
                catch
                {
                    _slots.Release();
                    throw;
                }
            }
            catch (OperationCanceledException)
            {
                break;
            }
            var execution = new Execution(id, ct);
            // The start number is taken here, in queue order: taken inside the run's own task, two runs
            // leaving the queue together could number themselves in either order.
            try
            {
                execution.Started = await _store.MarkStartedAsync(id, DateTimeOffset.UtcNow).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                _logger.LogError(e, "run {Run}: could not be marked as started", id);
                execution.Dispose();
                _slots.Release();
                continue;
            }
            _running[id] = execution;
            execution.Task = Task.Run(async () =>
            {
                try
                {
                    await ExecuteAsync(execution).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    _logger.LogError(e, "run {Run}: the service failed around the run", id);
                }
                finally
                {
                    _running.TryRemove(id, out _);
                    execution.Dispose();
                    _slots.Release();
                }
            }, CancellationToken.None);
        }
    }

    private async Task ExecuteAsync(Execution execution)
    {
        string id = execution.Id;
        // Null when a cancel came in after the run left the queue.
        var run = execution.Started;
        if (run is null)
        {
            // A run waiting to resume (status Running) whose cancel came in just as it left the queue: end it.
            if (await _store.GetRunAsync(id).ConfigureAwait(false) is { Status: RunStatus.Running, CancelRequested: true })
                await FinishCancelledAsync(id, "cancelled while waiting to resume after a server restart").ConfigureAwait(false);
            return;
        }
        int attempt = run.Attempts;
        bool resume = attempt > 1;
        Directory.CreateDirectory(run.Folder);
        await _store.SetLogFileAsync(id, "run", Path.Combine(run.Folder, "ogclews.log")).ConfigureAwait(false);
        if (resume) PrepareResume(run.Folder);
        _logger.LogInformation("run {Run} {What} (attempt {Attempt})", id, resume ? "resumes" : "starts", attempt);

        var recorder = new RunRecorder(_store, run, attempt, _logger);
        RunStatus status;
        string? message, error = null;
        try
        {
            var spec = run.Spec;
            var options = new CoupledRunOptions
            {
                Scenario = spec.Scenario,
                ScenarioDefinition = _scenarios.Resolve(spec.Scenario),
                MacroOverrides = spec.Macro.ToDictionary(kv => kv.Key, kv => (object?)MacroParameters.ToWire(kv.Key, kv.Value)),
                Method = spec.Method,
                Tolerance = spec.Tolerance,
                MaxIterations = spec.MaxIterations,
                Alpha = spec.Alpha,
                AndersonDepth = spec.AndersonDepth,
                OutputFolder = run.Folder,
                Resume = resume,
                DurableCheckpoints = _options.DurableCheckpoints,
            };
            CoupledRunResult result;
            if (_pool is null)
            {
                result = await CoupledRun.RunAsync(options, recorder, execution.Token).ConfigureAwait(false);
            }
            else
            {
                await using var lease = await _pool.RentAsync(execution.Token).ConfigureAwait(false);
                result = await CoupledRun.RunAsync(lease.Kernels, options, recorder, execution.Token).ConfigureAwait(false);
            }
            status = Enum.Parse<RunStatus>(result.Convergence.Status.ToString());
            message = result.Convergence.Message;
        }
        catch (Exception e) when (execution.Token.IsCancellationRequested)
        {
            // Cancelled before the first iteration completed (calibration, kernel start): the
            // library has nothing to report and throws instead.
            status = RunStatus.Cancelled;
            message = $"Cancelled before any iteration completed ({e.GetType().Name}).";
        }
        catch (Exception e)
        {
            status = RunStatus.Failed;
            error = Describe(e);
            message = e.Message;
            _logger.LogWarning("run {Run} failed: {Error}", id, error);
        }
        await recorder.CompleteAsync().ConfigureAwait(false);
        await SyncIterationsAsync(run).ConfigureAwait(false);

        if (status == RunStatus.Cancelled && execution.StoppedByServer && !execution.CancelledByUser)
        {
            // The server is stopping, nobody cancelled the run: it stays Running and resumes on the next start.
            await _store.CloseOpenTasksAsync(id, SubTaskState.Cancelled, "interrupted: the server stopped; the run resumes from its last checkpoint",
                DateTimeOffset.UtcNow).ConfigureAwait(false);
            _logger.LogInformation("run {Run} interrupted by the server stopping; it resumes on the next start", id);
            return;
        }
        if (status == RunStatus.Cancelled)
            await _store.CloseOpenTasksAsync(id, SubTaskState.Cancelled, "cancelled with the run", DateTimeOffset.UtcNow).ConfigureAwait(false);
        else if (status == RunStatus.Failed)
            await _store.CloseOpenTasksAsync(id, SubTaskState.Error, "the run failed: " + message, DateTimeOffset.UtcNow).ConfigureAwait(false);
        await _store.FinishAsync(id, status, message, error, DateTimeOffset.UtcNow).ConfigureAwait(false);
        _logger.LogInformation("run {Run} finished: {Status}", id, status);
    }

    private async Task FinishCancelledAsync(string id, string message)
    {
        await _store.CloseOpenTasksAsync(id, SubTaskState.Cancelled, "cancelled with the run", DateTimeOffset.UtcNow).ConfigureAwait(false);
        await _store.FinishAsync(id, RunStatus.Cancelled, message, null, DateTimeOffset.UtcNow).ConfigureAwait(false);
    }

    /// <summary>
    /// A process killed while writing <c>calibration.json</c> can leave it cut short. With no
    /// checkpoint yet nothing depends on it, so it is removed and the resumed run calibrates again.
    /// </summary>
    private void PrepareResume(string folder)
    {
        string calibration = Path.Combine(folder, "calibration.json");
        string checkpoints = Path.Combine(folder, "checkpoints");
        bool anyCheckpoint = Directory.Exists(checkpoints) && Directory.EnumerateFiles(checkpoints, "iter-*.json").Any();
        if (anyCheckpoint || !File.Exists(calibration)) return;
        try
        {
            Calibration.Read(calibration);
        }
        catch (InvalidDataException e)
        {
            _logger.LogWarning("{File} is unreadable ({Error}) and no iteration depends on it: calibrating again", calibration, e.Message);
            File.Delete(calibration);
        }
    }

    /// <summary>Brings the store's iterations in line with the run folder's iterations.csv.</summary>
    private async Task SyncIterationsAsync(RunRecord run)
    {
        try
        {
            var rows = IterationsFile.Read(run.Id, run.Folder);
            if (rows.Count == 0) return;
            var stored = (await _store.GetIterationsAsync(run.Id).ConfigureAwait(false)).ToDictionary(r => r.Iteration);
            // Keep the timings the live record had (the CSV has them too, rounded the same way); add what is missing or changed.
            var changed = rows.Where(r => !stored.TryGetValue(r.Iteration, out var s) || s.Residual != r.Residual || s.Method != r.Method).ToList();
            await _store.UpsertIterationsAsync(run.Id, changed).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            _logger.LogWarning("run {Run}: cannot read its iterations.csv: {Error}", run.Id, e.Message);
        }
    }

    private static string Describe(Exception e)
    {
        var parts = new List<string>();
        for (var x = e; x is not null; x = x.InnerException)
            parts.Add($"{x.GetType().Name}: {x.Message}");
        return string.Join("\n  caused by ", parts);
    }

    /// <summary>Stops taking runs and interrupts the running ones; they resume on the next start.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_dispatcher is not null) await _dispatcher.ConfigureAwait(false);
        var tasks = _running.Values.Select(e => e.Task).OfType<Task>().ToArray();
        try
        {
            await Task.WhenAll(tasks).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _logger.LogWarning("{Count} run(s) did not stop in time; they resume from their checkpoints on the next start", tasks.Count(t => !t.IsCompleted));
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_pool is not null) await _pool.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
        _slots.Dispose();
    }

    /// <summary>One run being executed: its cancellation (by a user, or by the server stopping).</summary>
    private sealed class Execution : IDisposable
    {
        private readonly CancellationTokenSource _user = new();
        private readonly CancellationTokenSource _linked;
        private readonly CancellationToken _server;

        public Execution(string id, CancellationToken server)
        {
            Id = id;
            _server = server;
            _linked = CancellationTokenSource.CreateLinkedTokenSource(_user.Token, server);
        }

        public string Id { get; }
        public Task? Task { get; set; }
        /// <summary>The run as marked started by the dispatcher; null when it may not start.</summary>
        public RunRecord? Started { get; set; }
        public CancellationToken Token => _linked.Token;
        public bool CancelledByUser => _user.IsCancellationRequested;
        public bool StoppedByServer => _server.IsCancellationRequested;

        public void CancelByUser()
        {
            try
            {
                _user.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The run ended in the meantime.
            }
        }

        public void Dispose()
        {
            _linked.Dispose();
            _user.Dispose();
        }
    }
}
