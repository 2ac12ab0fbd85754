using System.Text;
using Mesh.Kernel.Dispatch;
using Mesh.Protocol;

namespace Mesh.Kernel.Scheduling;

/// <summary>One submitted task: its arguments, state, timestamps, log, and outcome.</summary>
internal sealed class KernelTask
{
    private readonly object _logLock = new();
    private readonly List<string> _log = [];
    private readonly StringBuilder _partialLine = new();
    private readonly int _maxLogLines;
    private int _droppedLines;
    private int _state;

    public KernelTask(string taskId, Endpoint endpoint, object?[] boundArgs, int priority, TimeSpan? timeout,
        int retries, IReadOnlyDictionary<string, object?> metadata, byte[] submitter, string session, long sequence, int maxLogLines, Action<KernelTask, object?, string?> progressSink)
    {
        Session = session;
        TaskId = taskId;
        Endpoint = endpoint;
        BoundArgs = boundArgs;
        Priority = priority;
        Timeout = timeout;
        Retries = retries;
        Metadata = metadata;
        Submitter = submitter;
        Sequence = sequence;
        _maxLogLines = maxLogLines;
        _progressSink = progressSink;
        PendingAt = DateTime.UtcNow;
    }

    private readonly Action<KernelTask, object?, string?> _progressSink;

    public string TaskId { get; }
    public Endpoint Endpoint { get; }
    public object?[] BoundArgs { get; }
    public int Priority { get; }
    public TimeSpan? Timeout { get; }
    public int Retries { get; }
    public IReadOnlyDictionary<string, object?> Metadata { get; }
    /// <summary>Routing identity of the submit socket that sent it (for progress messages).</summary>
    public byte[] Submitter { get; }
    public long Sequence { get; }
    /// <summary>Header session of the submitter.</summary>
    public string Session { get; }
    public CancellationTokenSource Cancellation { get; } = new();

    public TaskState State
    {
        get => (TaskState)Volatile.Read(ref _state);
        set => Volatile.Write(ref _state, (int)value);
    }

    /// <summary>Moves from <paramref name="from"/> to <paramref name="to"/> if still in <paramref name="from"/>.</summary>
    public bool TryTransition(TaskState from, TaskState to) =>
        Interlocked.CompareExchange(ref _state, (int)to, (int)from) == (int)from;

    public DateTime PendingAt { get; }
    public DateTime? QueuedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? EndedAt { get; set; }

    /// <summary>Why a running task was cancelled: null (client cancel), or TASK_TIMEOUT.</summary>
    public ErrorCode? CancelReason { get; set; }

    public object? Result { get; set; }
    public RemoteError? Error { get; set; }

    /// <summary>True while the client has not fetched the final result (or asked to keep it).</summary>
    public bool Retained { get; set; } = true;

    public void ReportProgress(object? value, string? message) => _progressSink(this, value, message);

    public void AppendLog(string line)
    {
        lock (_logLock) AddLine(line);
    }

    /// <summary>Appends raw text (from the routed console), splitting it into lines.</summary>
    public void AppendText(ReadOnlySpan<char> text)
    {
        lock (_logLock)
        {
            foreach (var c in text)
            {
                if (c == '\n')
                {
                    AddLine(_partialLine.ToString().TrimEnd('\r'));
                    _partialLine.Clear();
                }
                else if (_partialLine.Length < 64 * 1024) _partialLine.Append(c);
            }
        }
    }

    private void AddLine(string line)
    {
        _log.Add(line);
        if (_log.Count > _maxLogLines)
        {
            _log.RemoveAt(0);
            _droppedLines++;
        }
    }

    public IReadOnlyList<string> LogSnapshot()
    {
        lock (_logLock)
        {
            var lines = new List<string>(_log.Count + 2);
            if (_droppedLines > 0) lines.Add($"[{_droppedLines} earlier lines dropped]");
            lines.AddRange(_log);
            if (_partialLine.Length > 0) lines.Add(_partialLine.ToString());
            return lines;
        }
    }

    public TaskRecord ToRecord() => new()
    {
        TaskId = TaskId,
        Endpoint = Endpoint.Name,
        State = State,
        Priority = Priority,
        PendingAt = PendingAt,
        QueuedAt = QueuedAt,
        StartedAt = StartedAt,
        EndedAt = EndedAt,
        Retries = Retries,
        Log = LogSnapshot(),
    };
}
