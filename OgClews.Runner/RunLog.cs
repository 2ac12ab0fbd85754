using System.Globalization;
using System.Text;
using OgClews.Coupling.Orchestration;

namespace OgClews.Runner;

/// <summary>
/// The run's log file (<c>ogclews.log</c>, appended, one timestamped line per event, flushed at once
/// so a killed run keeps every line) in front of the caller's observer.
/// </summary>
internal sealed class RunLog : ICoupledRunObserver, IDisposable
{
    private readonly StreamWriter _file;
    private readonly ICoupledRunObserver? _inner;
    private readonly object _gate = new();

    public RunLog(string path, ICoupledRunObserver? inner)
    {
        _file = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite), new UTF8Encoding(false)) { AutoFlush = true };
        _inner = inner;
    }

    public void Log(string line)
    {
        lock (_gate) _file.WriteLine($"{DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)} {line}");
        _inner?.Log(line);
    }

    public void TaskChanged(KernelTaskEvent change)
    {
        if (change.State == SubTaskState.Error) Log($"{change.Name} on kernel {change.Kernel} failed: {change.Error} (kernel log {change.KernelLogFile})");
        _inner?.TaskChanged(change);
    }

    public void Iteration(IterationRecord record)
    {
        var times = string.Join(", ", record.ComponentTimes.Select(kv => FormattableString.Invariant($"{kv.Key} {kv.Value.TotalSeconds:F2} s")));
        Log(FormattableString.Invariant($"iteration {record.Iteration}: residual {record.Residual:E3} ({record.Method}); {times}; wall {record.WallTime.TotalSeconds:F2} s"));
        _inner?.IterationCompleted(record);
    }

    void ICoupledRunObserver.IterationCompleted(IterationRecord record) => Iteration(record);

    public void Dispose()
    {
        lock (_gate) _file.Dispose();
    }
}
