using System.Diagnostics;
using OgClews.Runner;

namespace OgClews.Runner.Tests;

/// <summary>Shared settings: the demo with a shorter macro life cycle (S = 40: two years per period) to keep the suite quick.</summary>
public static class Runs
{
    public static readonly IReadOnlyDictionary<string, object?> SmallMacro = new Dictionary<string, object?> { ["S"] = 40 };

    public static string NewFolder(string name)
    {
        string path = Path.Combine(Path.GetTempPath(), "ogclews-tests", $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    public static CoupledRunOptions Options(string method, string folder, bool resume = false) => new()
    {
        Method = method,
        OutputFolder = folder,
        Resume = resume,
        MacroOverrides = SmallMacro,
        MaxIterations = 60,
        DurableCheckpoints = false,
    };

    /// <summary>The built ogclews command (beside the CLI project's output).</summary>
    public static string CliDll
    {
        get
        {
            string config = AppContext.BaseDirectory.Contains("/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";
            return Path.Combine(InstallLayout.Find().Root, "OgClews.Cli", "bin", config, "net10.0", "ogclews.dll");
        }
    }

    /// <summary>Starts <c>dotnet ogclews.dll args…</c> with its output captured.</summary>
    public static Process StartCli(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(CliDll);
        foreach (string a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    /// <summary>Runs the CLI to completion: exit code, stdout, stderr.</summary>
    public static async Task<(int Code, string Out, string Err)> RunCliAsync(params string[] args)
    {
        using var p = StartCli(args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        return (p.ExitCode, await stdout, await stderr);
    }
}
