namespace Mesh.Client.Launching;

/// <summary>Launches a .NET kernel assembly with the <c>dotnet</c> host.</summary>
public sealed class DotNetLauncher : ProcessLauncher
{
    private readonly string _assembly;
    private readonly IReadOnlyList<string> _arguments;

    /// <summary>Launches <c>dotnet <paramref name="assemblyPath"/></c> with <paramref name="arguments"/>.</summary>
    public DotNetLauncher(string assemblyPath, params string[] arguments)
    {
        _assembly = Path.GetFullPath(assemblyPath);
        _arguments = arguments;
    }

    /// <inheritdoc/>
    public override CommandLine BuildCommand(KernelLaunchContext context)
    {
        if (!File.Exists(_assembly))
            throw new KernelStartupException(context.KernelId, _assembly, $"kernel assembly '{_assembly}' does not exist (is it built?)", null, [], context.LogFile);
        var host = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        return new CommandLine(host, [_assembly, .. _arguments], new Dictionary<string, string?>
        {
            // Kernels start often: skip the first-run experience and telemetry probes.
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_TieredPGO"] = "0",
            ["DOTNET_TC_QuickJitForLoops"] = "1",
        });
    }
}
