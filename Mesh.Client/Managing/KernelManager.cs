using System.Diagnostics;
using Mesh.Client.Launching;
using Mesh.Protocol;

namespace Mesh.Client.Managing;

/// <summary>
/// Starts kernels from specs (in parallel), waits until each has registered and answered health,
/// streams their output to rotating log files, watches them (process exit and heartbeats), restarts
/// them per policy, and shuts them down: request, then SIGTERM, then SIGKILL to the process group.
/// Disposing the manager leaves no kernel process behind.
/// </summary>
public sealed class KernelManager : IAsyncDisposable
{
    private const int SIGTERM = 15, SIGKILL = 9;
    private readonly KernelManagerOptions _options;
    private readonly RegistrationServer _registration = new();
    private readonly Dictionary<string, KernelHandle> _kernels = new(StringComparer.Ordinal);
    private readonly string _logDir, _runDir;
    private readonly Lazy<string> _ipcDir;
    private int _disposed;

    // A Unix socket path holds at most 107 bytes (sun_path). Kernels name their ipc files with up
    // to ~60 characters inside the folder they are given (docs/protocol.md section 1), so the
    // folder itself must stay short; a longer run folder gets a short private one in /tmp.
    internal const int MaxIpcDirLength = 40;

    /// <summary>Creates a manager.</summary>
    public KernelManager(KernelManagerOptions? options = null)
    {
        _options = options ?? new KernelManagerOptions();
        // One folder per manager: several managers in one process must not share connection files.
        var root = Path.Combine(Path.GetTempPath(), $"mesh-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
        _logDir = _options.LogDirectory ?? Path.Combine(root, "logs");
        _runDir = _options.RuntimeDirectory ?? Path.Combine(root, "run");
        Directory.CreateDirectory(_logDir);
        Directory.CreateDirectory(_runDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _ipcDir = new Lazy<string>(() => _runDir.Length <= MaxIpcDirLength ? _runDir : CreateShortIpcDir());
    }

    /// <summary>The folder ipc kernels bind their sockets in: the run folder when its path is short
    /// enough for Unix socket names, else a private (0700) folder under <c>/tmp</c> removed on dispose.</summary>
    internal string IpcDirectory => _ipcDir.Value;

    private static string CreateShortIpcDir()
    {
        // Pid and random bytes make the name this manager's alone (at most 30 characters).
        string dir = $"/tmp/mesh-ipc-{Environment.ProcessId}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4))}";
        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return dir;
    }

    /// <summary>The kernels started so far.</summary>
    public IReadOnlyCollection<KernelHandle> Kernels { get { lock (_kernels) return _kernels.Values.ToArray(); } }

    /// <summary>The kernel with the given id.</summary>
    public KernelHandle this[string id] { get { lock (_kernels) return _kernels[id]; } }

    /// <summary>Where kernel logs are written.</summary>
    public string LogDirectory => _logDir;

    /// <summary>Starts several kernels at once; fails (after stopping the others) if any fails.</summary>
    public async Task<IReadOnlyList<KernelHandle>> StartAllAsync(IEnumerable<KernelSpec> specs, CancellationToken cancellationToken = default)
    {
        var starts = specs.Select(s => StartAsync(s, cancellationToken)).ToArray();
        try { return await Task.WhenAll(starts).ConfigureAwait(false); }
        catch
        {
            await Task.WhenAll(starts.Where(t => t.IsCompletedSuccessfully).Select(t => StopAsync(t.Result))).ConfigureAwait(false);
            throw starts.Select(t => t.Exception?.InnerException).First(e => e is not null)!;
        }
    }

    /// <summary>Starts one kernel and returns when it is ready (registered and healthy).</summary>
    public async Task<KernelHandle> StartAsync(KernelSpec spec, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (spec.Transport is not ("tcp" or "ipc"))
            throw new ArgumentException($"kernel '{spec.Id}': unknown transport '{spec.Transport}' (use \"ipc\" or \"tcp\")", nameof(spec));
        var handle = new KernelHandle(spec, Path.Combine(_logDir, $"{spec.Id}.log"));
        lock (_kernels)
        {
            if (!_kernels.TryAdd(spec.Id, handle)) throw new ArgumentException($"a kernel with id '{spec.Id}' is already managed", nameof(spec));
        }
        try
        {
            await LaunchAsync(handle, cancellationToken).ConfigureAwait(false);
            return handle;
        }
        catch
        {
            lock (_kernels) _kernels.Remove(spec.Id);
            throw;
        }
    }

    private async Task LaunchAsync(KernelHandle handle, CancellationToken ct)
    {
        var spec = handle.Spec;
        var started = Stopwatch.StartNew();
        var info = new ConnectionInfo
        {
            KernelId = spec.Id,
            Key = Signer.NewKey(),
            Transport = spec.Transport,
            IpcDir = spec.Transport == "ipc" ? IpcDirectory : null,
            Registration = _registration.Address,
            ParentPid = Environment.ProcessId,
            HeartbeatMs = (int)spec.HeartbeatInterval.TotalMilliseconds,
        };
        string connectionFile = Path.Combine(_runDir, $"kernel-{spec.Id}.json");
        info.Write(connectionFile);
        var registered = _registration.Expect(spec.Id, info.Key);
        var context = new KernelLaunchContext(spec.Id, connectionFile, spec.Environment, spec.WorkingDirectory, handle.LogFile, _options.MaxLogBytes, _options.MaxLogFiles);
        string command = spec.Launcher.Describe(context);
        var process = await spec.Launcher.LaunchAsync(context, ct).ConfigureAwait(false);
        handle.Process = process;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(spec.StartupTimeout);
        try
        {
            var first = await Task.WhenAny(registered, process.Exited, Task.Delay(Timeout.Infinite, timeout.Token)).ConfigureAwait(false);
            if (first == process.Exited)
                throw new KernelStartupException(spec.Id, command, "the process exited before registering", process.ExitCode, process.LogTail(), process.LogFile, process.Signal);
            if (first != registered)
            {
                ct.ThrowIfCancellationRequested();
                throw new KernelStartupException(spec.Id, command, $"no registration within the startup timeout of {spec.StartupTimeout.TotalSeconds:g} s", null, process.LogTail(), process.LogFile);
            }
            var reg = await registered.ConfigureAwait(false);
            var clientInfo = info with { Health = reg.Health, Submit = reg.Submit, Get = reg.Get, Pid = reg.Pid, Registration = null };
            if (handle.Client is null)
            {
                handle.Client = Client.Connect(clientInfo, new ClientOptions { HeartbeatInterval = spec.HeartbeatInterval });
                handle.Client.Lost += (_, e) => OnHeartbeatLost(handle, e);
            }
            else await handle.Client.ReconnectAsync(clientInfo).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            var health = handle.Client.HealthAsync(timeout.Token);
            if (await Task.WhenAny(health, process.Exited).ConfigureAwait(false) == process.Exited)
                throw new KernelStartupException(spec.Id, command, "the process exited before its first health reply", process.ExitCode, process.LogTail(), process.LogFile, process.Signal);
            await health.ConfigureAwait(false);
            handle.ConnectionInfo = clientInfo;
            handle.Info = reg.Info;
            handle.ClientConnectionFile = Path.Combine(_runDir, $"kernel-{spec.Id}.client.json");
            clientInfo.Write(handle.ClientConnectionFile);
            handle.StartupTime = started.Elapsed;
            handle.State = KernelState.Ready;
            _ = process.Exited.ContinueWith(_ => OnExited(handle, process), TaskScheduler.Default);
        }
        catch (Exception e)
        {
            _registration.Forget(spec.Id);
            await KillAsync(process).ConfigureAwait(false);
            process.Dispose();
            if (e is OperationCanceledException && timeout.IsCancellationRequested && !ct.IsCancellationRequested)
                throw new KernelStartupException(spec.Id, command, $"not healthy within the startup timeout of {spec.StartupTimeout.TotalSeconds:g} s", null, process.LogTail(), process.LogFile);
            throw;
        }
    }

    private void OnHeartbeatLost(KernelHandle handle, KernelLostException e)
    {
        if (handle.Stopping || handle.State != KernelState.Ready) return;
        // Alive but silent (hung, or stopped): kill it; the exit path then restarts it.
        handle.State = KernelState.Lost;
        handle.RaiseLost(e);
        handle.Process?.SignalGroup(SIGKILL);
    }

    private async Task OnExited(KernelHandle handle, IKernelProcess process)
    {
        if (handle.Stopping || !ReferenceEquals(handle.Process, process)) return;
        var lost = new KernelLostException(handle.Id, "the kernel process exited", process.ExitCode, process.Signal, process.LogTail(), process.LogFile);
        handle.Client.MarkLost(lost);
        if (handle.State == KernelState.Ready)
        {
            handle.State = KernelState.Lost;
            handle.RaiseLost(lost);
        }
        process.Dispose();
        var policy = handle.Spec.Restart;
        while (!handle.Stopping && _disposed == 0)
        {
            if (handle.RestartCount >= policy.MaxRestarts)
            {
                handle.State = KernelState.Failed;
                return;
            }
            handle.RestartCount++;
            handle.State = KernelState.Restarting;
            await Task.Delay(policy.Backoff(handle.RestartCount)).ConfigureAwait(false);
            if (handle.Stopping || _disposed != 0) return;
            try
            {
                await LaunchAsync(handle, CancellationToken.None).ConfigureAwait(false);
                handle.RaiseRestarted();
                return;
            }
            catch (KernelStartupException)
            {
                // counted as a restart attempt; loop decides whether to try again
            }
        }
    }

    /// <summary>
    /// Stops one kernel: shutdown request, wait for the grace period, SIGTERM to its process group,
    /// wait, SIGKILL. Returns when the process is gone.
    /// </summary>
    public async Task StopAsync(KernelHandle handle)
    {
        handle.Stopping = true;
        handle.State = KernelState.Stopping;
        var process = handle.Process;
        if (process is not null && !process.Exited.IsCompleted)
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                await handle.Client.ShutdownAsync(_options.ShutdownGrace, cts.Token).ConfigureAwait(false);
                await process.Exited.WaitAsync(_options.ShutdownGrace + TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException or MeshException or ObjectDisposedException) { }
            await KillAsync(process).ConfigureAwait(false);
        }
        handle.Client?.Dispose();
        process?.Dispose();
        handle.State = KernelState.Stopped;
        lock (_kernels) _kernels.Remove(handle.Id);
        TryDelete(Path.Combine(_runDir, $"kernel-{handle.Id}.json"));
        if (handle.ClientConnectionFile is { } f) TryDelete(f);
    }

    /// <summary>SIGTERM the group, wait, then SIGKILL; waits until the process is reaped.</summary>
    private async Task KillAsync(IKernelProcess process)
    {
        if (process.Exited.IsCompleted) return;
        process.SignalGroup(SIGTERM);
        try { await process.Exited.WaitAsync(_options.TerminateTimeout).ConfigureAwait(false); return; }
        catch (TimeoutException) { }
        process.SignalGroup(SIGKILL);
        try { await process.Exited.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false); }
        catch (TimeoutException) { /* unkillable (D state): nothing more we can do */ }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>Stops every kernel (in parallel) and the registration socket.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await Task.WhenAll(Kernels.Select(StopAsync)).ConfigureAwait(false);
        _registration.Dispose();
        if (_ipcDir.IsValueCreated && _ipcDir.Value != _runDir)
        {
            try { Directory.Delete(_ipcDir.Value, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
