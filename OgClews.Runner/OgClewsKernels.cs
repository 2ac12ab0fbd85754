using Mesh.Client.Launching;
using Mesh.Client.Managing;

namespace OgClews.Runner;

/// <summary>
/// The three kernels of a coupled run, started by one <see cref="KernelManager"/>: <c>energy</c>
/// (the native GLPK kernel), <c>etl</c> (the CLEWS ETL .NET kernel) and <c>macro</c> (the OG model in
/// the Python kernel environment). Each is restarted by the manager if its process dies.
/// </summary>
public sealed class OgClewsKernels : IAsyncDisposable
{
    /// <summary>The energy kernel's id.</summary>
    public const string Energy = "energy";
    /// <summary>The ETL kernel's id.</summary>
    public const string Etl = "etl";
    /// <summary>The macro kernel's id.</summary>
    public const string Macro = "macro";

    private readonly KernelManager _manager;

    private OgClewsKernels(KernelManager manager, InstallLayout layout)
    {
        _manager = manager;
        Layout = layout;
    }

    /// <summary>Where the kernels were found.</summary>
    public InstallLayout Layout { get; }

    /// <summary>The manager (log folder, kernel handles).</summary>
    public KernelManager Manager => _manager;

    /// <summary>The handle of kernel <paramref name="id"/> (<see cref="Energy"/>, <see cref="Etl"/>, <see cref="Macro"/>).</summary>
    public KernelHandle this[string id] => _manager[id];

    /// <summary>The launch specs of the three kernels.</summary>
    public static IReadOnlyList<KernelSpec> Specs(InstallLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        // Solves take ~0.5 s and TPI up to a few seconds; one missed beat is not a death.
        var heartbeat = TimeSpan.FromSeconds(1);
        return
        [
            new KernelSpec { Id = Energy, Launcher = new ExecutableLauncher(layout.NativeKernel), HeartbeatInterval = heartbeat },
            new KernelSpec { Id = Etl, Launcher = new DotNetLauncher(layout.EtlKernel), HeartbeatInterval = heartbeat },
            new KernelSpec
            {
                Id = Macro,
                Launcher = new PythonLauncher(PythonEnvironment.Venv(layout.KernelVenv), "ogmacro.kernel") { PythonPath = [layout.PythonPackages] },
                HeartbeatInterval = heartbeat,
                StartupTimeout = TimeSpan.FromSeconds(60),
            },
        ];
    }

    /// <summary>Starts the three kernels (in parallel) and waits until each answers health.</summary>
    /// <param name="layout">The installation; <see cref="InstallLayout.Verify"/> is called first.</param>
    /// <param name="logDirectory">Where the kernels' log files go (null: the manager's default).</param>
    /// <param name="ct">Cancels the start.</param>
    public static async Task<OgClewsKernels> StartAsync(InstallLayout layout, string? logDirectory = null, CancellationToken ct = default)
    {
        layout.Verify();
        var manager = new KernelManager(logDirectory is null ? null : new KernelManagerOptions { LogDirectory = logDirectory });
        try
        {
            await manager.StartAllAsync(Specs(layout), ct).ConfigureAwait(false);
            return new OgClewsKernels(manager, layout);
        }
        catch
        {
            await manager.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Waits until kernel <paramref name="id"/> is ready again after a loss (the manager restarts it).
    /// </summary>
    /// <returns>False when it did not come back within <paramref name="timeout"/> or its restarts are used up.</returns>
    public async Task<bool> WaitReadyAsync(string id, TimeSpan timeout, CancellationToken ct)
    {
        var handle = this[id];
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            ct.ThrowIfCancellationRequested();
            if (handle.State == KernelState.Ready && handle.Client.LostReason is null) return true;
            if (handle.State is KernelState.Failed or KernelState.Stopped) return false;
            await Task.Delay(50, ct).ConfigureAwait(false);
        }
        return false;
    }

    /// <summary>Shuts the kernels down.</summary>
    public ValueTask DisposeAsync() => _manager.DisposeAsync();
}
