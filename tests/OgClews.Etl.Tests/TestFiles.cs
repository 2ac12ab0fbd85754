using System.Diagnostics;
using System.Globalization;
using Mesh.Values;
using OgClews.Etl.Results;

namespace OgClews.Etl.Tests;

/// <summary>Paths to the test data and the repository, temp folders, and a glpsol runner.</summary>
internal static class TestFiles
{
    public static string Data(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "data", .. parts]);

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string EnergyModel => Path.Combine(RepoRoot, "models", "energy", "model.mod");
    public static string DemoData => Path.Combine(RepoRoot, "models", "energy", "demo", "data.dat");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "models", "energy", "model.mod"))) return dir.FullName;
        throw new InvalidOperationException("cannot find the repository root (models/energy/model.mod) above " + AppContext.BaseDirectory);
    }

    public static string TempDir(string prefix)
    {
        // short: GMPL symbols (ResultsPath & "/TotalTechnologyAnnualActivity.csv") may not exceed 100 characters
        string dir = Path.Combine(Path.GetTempPath(), $"etl-{prefix[..Math.Min(prefix.Length, 8)]}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>A temp copy of data/<paramref name="baseSet"/> with the files of data/malformed/<paramref name="overlay"/> on top.</summary>
    public static string Overlay(string baseSet, string overlay)
    {
        string dir = TempDir(overlay);
        foreach (var f in Directory.GetFiles(Data(baseSet))) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        foreach (var f in Directory.GetFiles(Data("malformed", overlay))) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)), overwrite: true);
        return dir;
    }

    /// <summary>Runs glpsol; returns its stdout (fails the test when it does not exit or does not find an optimum when required).</summary>
    public static string Glpsol(string workDir, bool requireOptimal, params string[] args)
    {
        var psi = new ProcessStartInfo("glpsol") { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start glpsol");
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(60_000), "glpsol did not finish in 60 s");
        // glpsol exits with 0 even when the LP is infeasible or writing the tables fails
        if (requireOptimal)
            Assert.True(stdout.Contains("OPTIMAL LP SOLUTION FOUND", StringComparison.Ordinal) && !stdout.Contains("error", StringComparison.OrdinalIgnoreCase),
                $"glpsol did not solve or failed afterwards:\n{stdout}\n{stderr.Result}");
        return stdout + stderr.Result;
    }

    /// <summary>A CSV result file as the GLPK kernel returns it: unquoted numeric columns float64, others text.</summary>
    public static Table KernelTable(string path)
    {
        var records = CsvReader.Parse(File.ReadAllText(path), path);
        var header = records[0].Fields;
        var t = new Table();
        for (int c = 0; c < header.Length; c++)
        {
            var cells = records.Skip(1).Select(r => (r.Fields[c], r.Quoted[c])).ToArray();
            if (cells.All(x => !x.Item2 && double.TryParse(x.Item1, NumberStyles.Float, CultureInfo.InvariantCulture, out _)))
                t.Add(header[c], cells.Select(x => double.Parse(x.Item1, CultureInfo.InvariantCulture)).ToArray());
            else
                t.Add(header[c], cells.Select(x => (string?)x.Item1).ToArray());
        }
        return t;
    }
}
