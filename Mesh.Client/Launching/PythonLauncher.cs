namespace Mesh.Client.Launching;

/// <summary>
/// Launches a Python kernel (<c>python -m mesh TARGET</c>, where TARGET is a module name or a
/// script path that defines the kernel's endpoints) in a given interpreter, venv or conda
/// environment. The <c>mesh</c> package is put on <c>PYTHONPATH</c>, so the environment needs only
/// pyzmq, msgpack and numpy.
/// </summary>
public sealed class PythonLauncher : ProcessLauncher
{
    /// <summary>Creates a launcher for <paramref name="target"/> (module or script) in <paramref name="environment"/>.</summary>
    public PythonLauncher(PythonEnvironment environment, string target, params string[] arguments)
    {
        Environment = environment;
        Target = target;
        Arguments = arguments;
    }

    /// <summary>Where the kernel runs.</summary>
    public PythonEnvironment Environment { get; }

    /// <summary>Module name or script path serving the endpoints.</summary>
    public string Target { get; }

    /// <summary>Arguments after the target.</summary>
    public IReadOnlyList<string> Arguments { get; }

    /// <summary>Folders added to <c>PYTHONPATH</c> (default: the repository's <c>kernels/python</c>).</summary>
    public IReadOnlyList<string> PythonPath { get; init; } = FindMeshPackage() is { } p ? [p] : [];

    /// <summary>
    /// The folder that holds the <c>mesh</c> Python package: <c>MESH_PYTHON_PATH</c> if set, else
    /// <c>kernels/python</c> found above the running application.
    /// </summary>
    public static string? FindMeshPackage()
    {
        if (System.Environment.GetEnvironmentVariable("MESH_PYTHON_PATH") is { Length: > 0 } configured) return configured;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "kernels", "python");
            if (File.Exists(Path.Combine(candidate, "mesh", "__init__.py"))) return candidate;
        }
        return null;
    }

    /// <inheritdoc/>
    public override CommandLine BuildCommand(KernelLaunchContext context)
    {
        string[] tail = ["-m", "mesh", Target, .. Arguments];
        var env = new Dictionary<string, string?>
        {
            ["PYTHONPATH"] = string.Join(':', PythonPath.Concat(ExistingPythonPath())),
            ["PYTHONUNBUFFERED"] = "1",
            ["PYTHONDONTWRITEBYTECODE"] = "1",
        };
        switch (Environment)
        {
            case ExecutableEnvironment e:
                return new CommandLine(RequireInterpreter(context, e.Interpreter), ["-u", .. tail], env);
            case VenvEnvironment v:
                {
                    if (!Directory.Exists(v.Directory)) throw Fail(context, $"the venv folder '{v.Directory}' does not exist");
                    var python = Path.Combine(v.Directory, "bin", "python");
                    if (!File.Exists(python)) throw Fail(context, $"'{v.Directory}' is not a virtual environment (no bin/python)");
                    return new CommandLine(python, ["-u", .. tail], env);
                }
            case CondaEnvironment c when c.IsPrefix:
                {
                    var python = Path.Combine(c.NameOrPrefix, "bin", "python");
                    if (!File.Exists(python)) throw Fail(context, $"the conda prefix '{c.NameOrPrefix}' has no bin/python");
                    return new CommandLine(python, ["-u", .. tail], env);
                }
            case CondaEnvironment c:
                {
                    string conda = System.Environment.GetEnvironmentVariable("CONDA_EXE") is { Length: > 0 } exe ? exe
                        : FindOnPath("conda") ?? throw Fail(context, "conda is not installed here (no CONDA_EXE and no 'conda' on PATH)");
                    if (!File.Exists(conda)) throw Fail(context, $"CONDA_EXE names '{conda}', which does not exist");
                    return new CommandLine(conda, ["run", "-n", c.NameOrPrefix, "--no-capture-output", "python", "-u", .. tail], env);
                }
            default:
                throw new NotSupportedException($"unknown Python environment {Environment}");
        }
    }

    private KernelStartupException Fail(KernelLaunchContext context, string reason) =>
        new(context.KernelId, $"python -m mesh {Target} ({Environment.Describe()})", reason, null, [], context.LogFile);

    private string RequireInterpreter(KernelLaunchContext context, string interpreter)
    {
        if (interpreter.Contains('/'))
            return File.Exists(interpreter) ? interpreter : throw Fail(context, $"the interpreter '{interpreter}' does not exist");
        return FindOnPath(interpreter) ?? throw Fail(context, $"the interpreter '{interpreter}' is not on PATH");
    }

    private static IEnumerable<string> ExistingPythonPath() =>
        (System.Environment.GetEnvironmentVariable("PYTHONPATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries);

    internal static string? FindOnPath(string name) =>
        (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
