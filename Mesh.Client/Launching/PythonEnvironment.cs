namespace Mesh.Client.Launching;

/// <summary>Where a Python kernel runs: a given interpreter, a virtual environment, or a conda environment.</summary>
public abstract record PythonEnvironment
{
    /// <summary>A given interpreter, e.g. <c>/usr/bin/python3</c> or <c>python3</c> on PATH.</summary>
    public static PythonEnvironment Executable(string interpreter) => new ExecutableEnvironment(interpreter);

    /// <summary>A virtual environment folder (its <c>bin/python</c>).</summary>
    public static PythonEnvironment Venv(string directory) => new VenvEnvironment(directory);

    /// <summary>
    /// A conda environment by name (run through <c>conda run -n NAME --no-capture-output</c>) or by
    /// prefix path (its own interpreter, no conda needed). <c>CONDA_EXE</c> names the conda executable
    /// when set; otherwise <c>conda</c> is looked up on PATH.
    /// </summary>
    public static PythonEnvironment Conda(string nameOrPrefix) => new CondaEnvironment(nameOrPrefix);

    /// <summary>A human description for error messages.</summary>
    public abstract string Describe();
}

/// <summary>A given interpreter.</summary>
public sealed record ExecutableEnvironment(string Interpreter) : PythonEnvironment
{
    /// <inheritdoc/>
    public override string Describe() => $"interpreter {Interpreter}";
}

/// <summary>A virtual environment.</summary>
public sealed record VenvEnvironment(string Directory) : PythonEnvironment
{
    /// <inheritdoc/>
    public override string Describe() => $"venv {Directory}";
}

/// <summary>A conda environment (name or prefix).</summary>
public sealed record CondaEnvironment(string NameOrPrefix) : PythonEnvironment
{
    /// <summary>True when it names a prefix (a path) rather than an environment name.</summary>
    public bool IsPrefix => NameOrPrefix.Contains('/');

    /// <inheritdoc/>
    public override string Describe() => IsPrefix ? $"conda prefix {NameOrPrefix}" : $"conda env '{NameOrPrefix}'";
}
