namespace OgClews.Runner;

/// <summary>
/// Where the parts of an OG-CLEWS installation are: the energy model and its demo data, the native
/// GLPK kernel, the Python kernel environment and the ETL kernel. All are found under one root: the
/// <c>OGCLEWS_HOME</c> environment variable, else the folder above the running program that holds
/// <c>OgClews.sln</c> (a built checkout, as <c>make build</c> leaves it).
/// </summary>
public sealed class InstallLayout
{
    private InstallLayout(string root) => Root = root;

    /// <summary>The installation root.</summary>
    public string Root { get; }

    /// <summary>The energy model (GMPL).</summary>
    public string EnergyModel => Path.Combine(Root, "models", "energy", "model.mod");

    /// <summary>The folder of the demo country's data files.</summary>
    public string DemoDataFolder => Path.Combine(Root, "models", "energy", "demo");

    /// <summary>The native GLPK kernel binary.</summary>
    public string NativeKernel => Path.Combine(Root, "kernels", "native", "glpk", "build", "mesh-glpk-kernel");

    /// <summary>The Python kernel environment (a venv over Debian's python3 packages).</summary>
    public string KernelVenv => Environment.GetEnvironmentVariable("OGCLEWS_PYTHON_ENV") is { Length: > 0 } env ? env : Path.Combine(Root, ".venv", "kernel");

    /// <summary>The folder holding the <c>mesh</c> and <c>ogmacro</c> Python packages.</summary>
    public string PythonPackages => Path.Combine(Root, "kernels", "python");

    /// <summary>The ETL kernel's entry assembly: the newest of the Release and Debug builds.</summary>
    public string EtlKernel
    {
        get
        {
            var candidates = new[] { "Release", "Debug" }
                .Select(c => Path.Combine(Root, "kernels", "clews-etl", "bin", c, "net10.0", "OgClews.Etl.Kernel.dll"))
                .Where(File.Exists)
                .OrderByDescending(File.GetLastWriteTimeUtc)
                .ToList();
            return candidates.Count > 0 ? candidates[0] : Path.Combine(Root, "kernels", "clews-etl", "bin", "Release", "net10.0", "OgClews.Etl.Kernel.dll");
        }
    }

    /// <summary>Finds the installation (see the class summary).</summary>
    /// <exception cref="InvalidOperationException">No installation root was found.</exception>
    public static InstallLayout Find()
    {
        if (Environment.GetEnvironmentVariable("OGCLEWS_HOME") is { Length: > 0 } home)
        {
            if (!File.Exists(Path.Combine(home, "models", "energy", "model.mod")))
                throw new InvalidOperationException($"OGCLEWS_HOME={home} does not hold models/energy/model.mod");
            return new InstallLayout(Path.GetFullPath(home));
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OgClews.sln"))) return new InstallLayout(dir.FullName);
        }
        throw new InvalidOperationException($"cannot find the OG-CLEWS installation above {AppContext.BaseDirectory}: set OGCLEWS_HOME to the checkout (the folder with OgClews.sln)");
    }

    /// <summary>Uses <paramref name="root"/> as the installation root.</summary>
    public static InstallLayout At(string root) => new(Path.GetFullPath(root));

    /// <summary>Checks that every part is built; the message says which is missing and how to build it.</summary>
    /// <exception cref="InvalidOperationException">A part is missing.</exception>
    public void Verify()
    {
        var missing = new List<string>();
        if (!File.Exists(EnergyModel)) missing.Add($"the energy model {EnergyModel}");
        if (!File.Exists(NativeKernel)) missing.Add($"the native GLPK kernel {NativeKernel}");
        if (!File.Exists(Path.Combine(KernelVenv, "bin", "python"))) missing.Add($"the Python kernel environment {KernelVenv}");
        if (!File.Exists(EtlKernel)) missing.Add($"the ETL kernel {EtlKernel}");
        if (missing.Count > 0)
            throw new InvalidOperationException($"the OG-CLEWS installation in {Root} is incomplete (run `make build`): missing {string.Join("; ", missing)}");
    }
}
