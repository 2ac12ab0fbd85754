namespace Mesh.Client.Launching;

/// <summary>Launches a native kernel binary (e.g. the C GLPK kernel).</summary>
public sealed class ExecutableLauncher : ProcessLauncher
{
    private readonly string _path;
    private readonly IReadOnlyList<string> _arguments;

    /// <summary>Launches <paramref name="path"/> with <paramref name="arguments"/>.</summary>
    public ExecutableLauncher(string path, params string[] arguments)
    {
        _path = path;
        _arguments = arguments;
    }

    /// <inheritdoc/>
    public override CommandLine BuildCommand(KernelLaunchContext context)
    {
        if (_path.Contains('/') && !File.Exists(_path))
            throw new KernelStartupException(context.KernelId, _path, $"kernel executable '{_path}' does not exist", null, [], context.LogFile);
        return new CommandLine(_path, _arguments);
    }
}
