namespace Mesh;

/// <summary>
/// The kernel died or stopped answering health while a call was in flight. Says which kernel,
/// how it ended (exit code or signal) and the tail of its log.
/// </summary>
public sealed class KernelLostException : MeshException
{
    /// <summary>Creates the exception.</summary>
    public KernelLostException(string kernelId, string reason, int? exitCode = null, int? signal = null, IReadOnlyList<string>? logTail = null, string? logFile = null)
        : base(Describe(kernelId, reason, exitCode, signal, logTail, logFile))
    {
        KernelId = kernelId;
        Reason = reason;
        ExitCode = exitCode;
        Signal = signal;
        LogTail = logTail ?? [];
        LogFile = logFile;
    }

    /// <summary>The lost kernel.</summary>
    public string KernelId { get; }
    /// <summary>Why it is considered lost.</summary>
    public string Reason { get; }
    /// <summary>Exit code, when the process exited normally.</summary>
    public int? ExitCode { get; }
    /// <summary>Signal number, when the process was killed by a signal.</summary>
    public int? Signal { get; }
    /// <summary>The last lines of the kernel's log.</summary>
    public IReadOnlyList<string> LogTail { get; }
    /// <summary>The kernel's log file, if any.</summary>
    public string? LogFile { get; }

    private static string Describe(string id, string reason, int? exit, int? signal, IReadOnlyList<string>? tail, string? logFile)
    {
        var how = signal is { } s ? $" (killed by signal {s})" : exit is { } c ? $" (exit code {c})" : "";
        var log = logFile is null ? "" : $"; log: {logFile}";
        var lines = tail is { Count: > 0 } ? "\nlast log lines:\n  " + string.Join("\n  ", tail) : "";
        return $"kernel '{id}' lost: {reason}{how}{log}{lines}";
    }
}
