using System.Runtime.InteropServices;
using Mesh.Kernel.Dispatch;
using Mesh.Kernel.Hosting;
using Mesh.Kernel.Logging;
using Mesh.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mesh.Kernel;

/// <summary>
/// A .NET Mesh kernel. Map endpoints like ASP.NET minimal APIs, then run:
/// <code>
/// var kernel = MeshKernel.CreateBuilder(args).Build();
/// kernel.Map("add", (double a, double b) => a + b);
/// kernel.Map("solve", async (Model m, CancellationToken ct) => await Solve(m, ct));
/// return await kernel.RunAsync();
/// </code>
/// The kernel reads its connection file (<c>MESH_CONNECTION_FILE</c> or <c>--connection-file</c>),
/// binds its three ports, registers with its manager and serves until shut down.
/// </summary>
public sealed class MeshKernel
{
    /// <summary>Exit code: normal shutdown.</summary>
    public const int ExitOk = 0;
    /// <summary>Exit code: bad or missing connection file.</summary>
    public const int ExitBadConnectionFile = 2;
    /// <summary>Exit code: registration with the manager failed.</summary>
    public const int ExitRegistrationFailed = 3;
    /// <summary>Exit code: the manager process died.</summary>
    public const int ExitParentDied = 4;
    /// <summary>Exit code: a kernel setting in the environment is invalid (e.g. <c>MESH_IDLE_SPIN_US</c>).</summary>
    public const int ExitBadSetting = 6;

    private readonly IHost _host;
    private readonly KernelOptions _options;
    private readonly string[] _args;
    private readonly EndpointRegistry _registry = new();
    private readonly Dictionary<string, object> _exports = new(StringComparer.Ordinal);

    internal MeshKernel(IHost host, KernelOptions options, string[] args)
    {
        _host = host;
        _options = options;
        _args = args;
    }

    /// <summary>Starts configuring a kernel.</summary>
    public static MeshKernelBuilder CreateBuilder(string[]? args = null) => new(args ?? []);

    /// <summary>The kernel's services.</summary>
    public IServiceProvider Services => _host.Services;

    /// <summary>
    /// Maps an endpoint. Parameters bind from the call's arguments by position and by name;
    /// <see cref="CancellationToken"/>, <see cref="IProgress{T}"/>, <see cref="TaskContext"/> and
    /// registered services are supplied by the kernel. The handler may be synchronous or return a
    /// Task/ValueTask.
    /// </summary>
    public MeshKernel Map(string name, Delegate handler, string? description = null) => Map(name, handler, description, inline: false);

    /// <summary>
    /// Maps an endpoint whose handler runs on the kernel's I/O thread the moment its request
    /// arrives, instead of being queued for a worker: a call then costs no thread hand-off inside
    /// the kernel. Only for handlers that take microseconds and never block (getters, echo,
    /// small arithmetic): while one runs, the kernel reads no other request (health still
    /// answers). Inline tasks ignore priority and do not count against the concurrency limit;
    /// binding, errors, task records and results are as for <see cref="Map(string, Delegate, string?)"/>.
    /// A handler that returns an unfinished task completes asynchronously without holding the thread.
    /// </summary>
    public MeshKernel MapInline(string name, Delegate handler, string? description = null) => Map(name, handler, description, inline: true);

    private MeshKernel Map(string name, Delegate handler, string? description, bool inline)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(handler);
        var isService = _host.Services.GetService<IServiceProviderIsService>();
        _registry.Add(new Endpoint(name, handler, description, _host.Services, t => isService?.IsService(t) == true) { Inline = inline });
        return this;
    }

    /// <summary>
    /// Exports an object by name for proxies (docs/protocol.md section 9): clients reach it with
    /// <c>mesh.root(name)</c> and call its public members. Only exported roots, and the objects their
    /// members return, are reachable.
    /// </summary>
    public MeshKernel Export(string name, object instance)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(instance);
        if (instance is Type t) instance = new Proxies.ExportedType(t);
        if (!_exports.TryAdd(name, instance)) throw new InvalidOperationException($"'{name}' is already exported");
        return this;
    }

    /// <summary>Exports a type by name: calling its reference constructs instances.</summary>
    public MeshKernel Export<T>(string name) => Export(name, typeof(T));

    /// <summary>Serves until a shutdown request, SIGTERM/SIGINT, or <paramref name="cancellationToken"/>; returns the process exit code.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken = default)
    {
        var logger = _host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Mesh.Kernel");
        if (KernelOptions.IdleSpinFromEnvironment(out string? settingError) is null && settingError is not null)
        {
            Console.Error.WriteLine($"mesh kernel: {settingError}");
            return ExitBadSetting;
        }
        string? path = _options.ConnectionFile ?? Environment.GetEnvironmentVariable("MESH_CONNECTION_FILE") ?? ArgValue("--connection-file");
        if (string.IsNullOrEmpty(path))
        {
            Console.Error.WriteLine("mesh kernel: no connection file (set MESH_CONNECTION_FILE or pass --connection-file PATH); kernels are started by a KernelManager");
            return ExitBadConnectionFile;
        }
        ConnectionInfo info;
        try { info = ConnectionInfo.Read(path); }
        catch (MeshException e)
        {
            Console.Error.WriteLine($"mesh kernel: {e.Message}");
            return ExitBadConnectionFile;
        }

        TaskOutputWriter.Install();
        using var server = new KernelServer(info, _options, _registry, logger, _exports);
        var addresses = server.Bind();
        server.Start();
        try { Registration.Register(info, addresses, server.KernelInfo(), _options.RegistrationTimeout); }
        catch (Exception e) when (e is MeshException or ProtocolException)
        {
            Console.Error.WriteLine($"mesh kernel '{info.KernelId}': registration failed: {e.Message}");
            server.Stop();
            return ExitRegistrationFailed;
        }
        logger.LogInformation("kernel {KernelId} ready (pid {Pid}): health {Health}, submit {Submit}, get {Get}",
            info.KernelId, Environment.ProcessId, addresses.Health, addresses.Submit, addresses.Get);

        var stopSignal = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stopSignal.TrySetResult(ExitOk); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stopSignal.TrySetResult(ExitOk); });
        using var parentWatch = ParentWatch.Start(info.ParentPid, () => stopSignal.TrySetResult(ExitParentDied));
        using var cancelled = cancellationToken.Register(() => stopSignal.TrySetResult(ExitOk));

        await _host.StartAsync(CancellationToken.None).ConfigureAwait(false);
        var first = await Task.WhenAny(server.Completion, stopSignal.Task).ConfigureAwait(false);
        int exitCode = first == stopSignal.Task ? stopSignal.Task.Result : ExitOk;
        if (exitCode == ExitParentDied) logger.LogWarning("manager process {Pid} is gone; exiting", info.ParentPid);
        server.Stop();
        using var stopTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try { await _host.StopAsync(stopTimeout.Token).ConfigureAwait(false); } catch (OperationCanceledException) { }
        _host.Dispose();
        return exitCode;
    }

    private string? ArgValue(string name)
    {
        int i = Array.IndexOf(_args, name);
        return i >= 0 && i + 1 < _args.Length ? _args[i + 1] : null;
    }
}
