using System.Diagnostics;

namespace Mesh.Client.Launching;

/// <summary>
/// Launches a kernel as a local child process in its own process group (through <c>setsid</c>),
/// so that shutdown can signal everything it started. Subclasses only say which command to run.
/// </summary>
public class ProcessLauncher : IKernelLauncher
{
    private readonly CommandLine? _command;

    /// <summary>Launches <paramref name="command"/>.</summary>
    public ProcessLauncher(CommandLine command) => _command = command;

    /// <summary>For subclasses that build the command in <see cref="BuildCommand"/>.</summary>
    protected ProcessLauncher() { }

    /// <summary>The command to run for this launch. Throw <see cref="KernelStartupException"/> for a missing interpreter or environment.</summary>
    public virtual CommandLine BuildCommand(KernelLaunchContext context) =>
        _command ?? throw new InvalidOperationException($"{GetType().Name} must override BuildCommand");

    /// <inheritdoc/>
    public string Describe(KernelLaunchContext context) => BuildCommand(context).ToString();

    /// <inheritdoc/>
    public virtual Task<IKernelProcess> LaunchAsync(KernelLaunchContext context, CancellationToken cancellationToken)
    {
        var command = BuildCommand(context);
        var psi = new ProcessStartInfo
        {
            // setsid makes the kernel a process-group leader: pid == pgid, so kill(-pid) reaches its children too.
            FileName = "setsid",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = context.WorkingDirectory ?? Environment.CurrentDirectory,
        };
        psi.ArgumentList.Add(command.FileName);
        foreach (var a in command.Arguments) psi.ArgumentList.Add(a);
        foreach (var (k, v) in context.Environment) SetEnv(psi, k, v);
        if (command.Environment is not null) foreach (var (k, v) in command.Environment) SetEnv(psi, k, v);
        psi.Environment["MESH_CONNECTION_FILE"] = context.ConnectionFile;
        var log = new RotatingLog(context.LogFile, context.MaxLogBytes, context.MaxLogFiles);
        log.WriteLine($"[mesh] launching kernel '{context.KernelId}': {command}");
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new KernelStartupException(context.KernelId, command.ToString(), "the process did not start", null, [], context.LogFile);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            log.Dispose();
            throw new KernelStartupException(context.KernelId, command.ToString(), $"cannot start: {e.Message}", null, [], context.LogFile);
        }
        process.StandardInput.Close(); // kernels never read stdin; CI has none
        return Task.FromResult<IKernelProcess>(new LocalKernelProcess(process, log));
    }

    private static void SetEnv(ProcessStartInfo psi, string key, string? value)
    {
        if (value is null) psi.Environment.Remove(key);
        else psi.Environment[key] = value;
    }
}
