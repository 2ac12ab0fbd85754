using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using OgClews.Coupling.Orchestration;
using OgClews.Runner;
using OgClews.Server.Store;

namespace OgClews.Server.Runs;

/// <summary>
/// Receives a running coupled run's events and writes them to the store: each kernel sub-task's
/// state and timings (and its output and error logs as files in the run folder), each completed
/// iteration, and where the kernels' logs are.
/// </summary>
/// <remarks>
/// The observer is called on the run's own thread, which should not wait for a database: events go
/// into a queue and one writer task stores them in order. The queue is drained at the end of the run
/// (<see cref="CompleteAsync"/>); if the process dies first, the iterations are recovered from the run
/// folder and the unfinished tasks are closed on the next start.
/// </remarks>
internal sealed class RunRecorder : ICoupledRunObserver
{
    private const int KernelLogTailLines = 60;
    private readonly RunStore _store;
    private readonly string _runId;
    private readonly int _attempt;
    private readonly string _taskFolder;
    private readonly ILogger _logger;
    private readonly Channel<object> _events = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private readonly HashSet<string> _knownKernelLogs = new(StringComparer.Ordinal);
    private readonly Task _pump;

    public RunRecorder(RunStore store, RunRecord run, int attempt, ILogger logger)
    {
        _store = store;
        _runId = run.Id;
        _attempt = attempt;
        _taskFolder = Path.Combine(run.Folder, "tasks");
        _logger = logger;
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>The run log already has the line (ogclews.log); nothing more to keep.</summary>
    public void Log(string line) { }

    /// <inheritdoc/>
    public void TaskChanged(KernelTaskEvent change) => _events.Writer.TryWrite(change);

    /// <inheritdoc/>
    public void IterationCompleted(IterationRecord record) => _events.Writer.TryWrite(record);

    /// <summary>Stores every event received so far and stops.</summary>
    public async Task CompleteAsync()
    {
        _events.Writer.TryComplete();
        await _pump.ConfigureAwait(false);
    }

    private async Task PumpAsync()
    {
        await foreach (var e in _events.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                switch (e)
                {
                    case KernelTaskEvent t:
                        await StoreTaskAsync(t).ConfigureAwait(false);
                        break;
                    case IterationRecord r:
                        await _store.UpsertIterationsAsync(_runId, [ToRow(_runId, r)]).ConfigureAwait(false);
                        break;
                }
            }
            catch (Exception ex)
            {
                // A lost event must not stop the run; the run folder keeps the numbers.
                _logger.LogError(ex, "run {Run}: could not store an event ({Event})", _runId, e.GetType().Name);
            }
        }
    }

    private async Task StoreTaskAsync(KernelTaskEvent t)
    {
        if (_knownKernelLogs.Add(t.Kernel))
            await _store.SetLogFileAsync(_runId, t.Kernel, t.KernelLogFile).ConfigureAwait(false);
        bool final = t.State is SubTaskState.Completed or SubTaskState.Error or SubTaskState.Cancelled;
        string? output = null, errorLog = null;
        // Every ended task that has a kernel record gets its output file, empty when it printed
        // nothing, so the link is there for each task alike.
        if (final && t.Record is { } record)
        {
            output = TaskFile(t.Name, ".log");
            await File.WriteAllLinesAsync(output, record.Log).ConfigureAwait(false);
        }
        if (t.State == SubTaskState.Error)
        {
            errorLog = TaskFile(t.Name, ".error.log");
            await File.WriteAllTextAsync(errorLog, ErrorText(t)).ConfigureAwait(false);
        }
        await _store.UpsertTaskAsync(new TaskRow
        {
            RunId = _runId,
            Attempt = _attempt,
            Name = t.Name,
            Iteration = t.Iteration,
            Step = t.Step,
            Kernel = t.Kernel,
            State = t.State,
            Retry = t.Retry,
            QueuedAt = t.State == SubTaskState.Queued ? t.Time : null,
            StartedAt = t.State == SubTaskState.Started ? t.Time : null,
            EndedAt = final ? t.Time : null,
            KernelQueuedAt = Utc(t.Record?.QueuedAt ?? t.Record?.PendingAt),
            KernelStartedAt = Utc(t.Record?.StartedAt),
            KernelEndedAt = Utc(t.Record?.EndedAt),
            Error = t.Error,
            OutputLog = output,
            ErrorLog = errorLog,
            KernelLog = t.KernelLogFile,
        }).ConfigureAwait(false);
    }

    /// <summary>The error, and the end of the kernel's log (where a traceback or a crash shows).</summary>
    private static string ErrorText(KernelTaskEvent t)
    {
        var sb = new StringBuilder();
        sb.Append("task: ").Append(t.Name).Append('\n');
        sb.Append("kernel: ").Append(t.Kernel).Append(" (log ").Append(t.KernelLogFile).Append(")\n");
        sb.Append("time: ").Append(RunStore.Iso(t.Time)).Append('\n');
        sb.Append("error:\n").Append(t.Error).Append("\n\n");
        sb.Append("last lines of the kernel log:\n");
        try
        {
            using var s = new FileStream(t.KernelLogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var r = new StreamReader(s);
            var lines = r.ReadToEnd().Split('\n');
            foreach (string line in lines.TakeLast(KernelLogTailLines)) sb.Append(line).Append('\n');
        }
        catch (IOException e)
        {
            sb.Append("(unreadable: ").Append(e.Message).Append(")\n");
        }
        return sb.ToString();
    }

    /// <summary>tasks/iter-0003_energy.solve.log; the attempt is part of the name after a restart.</summary>
    private string TaskFile(string name, string suffix)
    {
        Directory.CreateDirectory(_taskFolder);
        string safe = string.Concat(name.Select(c => char.IsLetterOrDigit(c) || c is '.' or '-' or '_' ? c : c == '#' ? '-' : '_'));
        return Path.Combine(_taskFolder, (_attempt > 1 ? $"attempt{_attempt}_" : "") + safe + suffix);
    }

    private static DateTimeOffset? Utc(DateTime? t) => t is { } v ? new DateTimeOffset(DateTime.SpecifyKind(v, DateTimeKind.Utc)) : null;

    internal static IterationRow ToRow(string runId, IterationRecord r) => new(
        runId, r.Iteration, r.Residual, r.AbsoluteResidual, r.StepSize, r.Method, r.MapTime.TotalSeconds, r.WallTime.TotalSeconds,
        r.ComponentTimes.ToDictionary(kv => kv.Key, kv => kv.Value.TotalSeconds), DateTimeOffset.UtcNow);
}
