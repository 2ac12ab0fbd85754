using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Mesh.Client.Launching;

/// <summary>A kernel running as a local child process; its output streams into a <see cref="RotatingLog"/>.</summary>
internal sealed partial class LocalKernelProcess : IKernelProcess
{
    private readonly Process _process;
    private readonly RotatingLog _log;
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _outputsOpen = 2;
    private int _exitSeen;

    public LocalKernelProcess(Process process, RotatingLog log)
    {
        _process = process;
        _log = log;
        Pid = process.Id;
        process.EnableRaisingEvents = true;
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.Exited += (_, _) => OnExited();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (process.HasExited) OnExited();
    }

    public int Pid { get; }
    public Task Exited => _exited.Task;
    public string LogFile => _log.Path;

    public int? ExitCode { get; private set; }
    public int? Signal { get; private set; }

    private void OnLine(string? line)
    {
        if (line is null) Interlocked.Decrement(ref _outputsOpen);
        else _log.WriteLine(line);
    }

    private void OnExited()
    {
        if (Interlocked.Exchange(ref _exitSeen, 1) == 1) return;
        _ = CompleteExitAsync();
    }

    private async Task CompleteExitAsync()
    {
        // Let the output readers reach end-of-file so the log tail includes the last words, without
        // blocking a pool thread, and bounded: a grandchild holding the pipes could keep them open.
        var drained = DateTime.UtcNow.AddSeconds(1);
        while (Volatile.Read(ref _outputsOpen) > 0 && DateTime.UtcNow < drained) await Task.Delay(5).ConfigureAwait(false);
        int code = _process.ExitCode;
        // .NET reports a signal death as 128 + signal number.
        if (code > 128 && code < 128 + 65) Signal = code - 128;
        else ExitCode = code;
        _log.WriteLine(Signal is { } s ? $"[mesh] kernel process {Pid} killed by signal {s}" : $"[mesh] kernel process {Pid} exited with code {code}");
        _exited.TrySetResult();
    }

    public void SignalGroup(int signal)
    {
        if (_exited.Task.IsCompleted) return;
        // Negative pid: the whole process group (setsid made pid the group id).
        if (kill(-Pid, signal) != 0) kill(Pid, signal);
    }

    public IReadOnlyList<string> LogTail() => _log.Tail();

    public void Dispose()
    {
        _process.Dispose();
        _log.Dispose();
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);
}
