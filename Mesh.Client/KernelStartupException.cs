namespace Mesh.Client;

/// <summary>A kernel did not become ready: its launch failed, it exited, or it did not register in time.</summary>
public sealed class KernelStartupException : MeshException
{
    /// <summary>Creates the exception.</summary>
    public KernelStartupException(string kernelId, string commandLine, string reason, int? exitCode, IReadOnlyList<string> logTail, string? logFile, int? signal = null)
        : base(Describe(kernelId, commandLine, reason, exitCode, signal, logTail, logFile))
    {
        KernelId = kernelId;
        CommandLine = commandLine;
        Reason = reason;
        ExitCode = exitCode;
        Signal = signal;
        LogTail = logTail;
        LogFile = logFile;
    }

    /// <summary>The kernel's id in its spec.</summary>
    public string KernelId { get; }
    /// <summary>The command that was run.</summary>
    public string CommandLine { get; }
    /// <summary>What went wrong.</summary>
    public string Reason { get; }
    /// <summary>Exit code, if the process exited.</summary>
    public int? ExitCode { get; }
    /// <summary>Signal, if it was killed by one.</summary>
    public int? Signal { get; }
    /// <summary>Last lines of its output.</summary>
    public IReadOnlyList<string> LogTail { get; }
    /// <summary>Its log file.</summary>
    public string? LogFile { get; }

    private static string Describe(string id, string cmd, string reason, int? exit, int? signal, IReadOnlyList<string> tail, string? logFile)
    {
        var how = signal is { } s ? $" (killed by signal {s})" : exit is { } c ? $" (exit code {c})" : "";
        var lines = tail.Count > 0 ? "\nlast output:\n  " + string.Join("\n  ", tail.TakeLast(20)) : "";
        return $"kernel '{id}' failed to start: {reason}{how}\ncommand: {cmd}{(logFile is null ? "" : $"\nlog: {logFile}")}{lines}";
    }
}
