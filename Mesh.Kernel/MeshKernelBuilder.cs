using Mesh.Kernel.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mesh.Kernel;

/// <summary>Configures services, logging and options, then builds a <see cref="MeshKernel"/>.</summary>
public sealed class MeshKernelBuilder
{
    private readonly HostApplicationBuilder _host;
    private readonly string[] _args;

    internal MeshKernelBuilder(string[] args)
    {
        _args = args;
        // The empty builder skips configuration files and providers a kernel does not use: it
        // starts faster, and start-to-ready time is a measured goal.
        _host = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { Args = args });
        _host.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
        _host.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        _host.Logging.SetMinimumLevel(LogLevel.Information);
        _host.Logging.AddProvider(new TaskLoggerProvider());
    }

    /// <summary>Services available to handlers (parameters whose type is registered are injected).</summary>
    public IServiceCollection Services => _host.Services;

    /// <summary>Logging configuration. Log entries written during a task are also captured into its log.</summary>
    public ILoggingBuilder Logging => _host.Logging;

    /// <summary>Kernel options.</summary>
    public KernelOptions Options { get; set; } = new();

    /// <summary>Builds the kernel; map endpoints on it, then call <see cref="MeshKernel.RunAsync"/>.</summary>
    public MeshKernel Build() => new(_host.Build(), Options, _args);
}
