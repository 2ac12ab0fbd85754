using System.Diagnostics;
using System.Globalization;
using Mesh.Client.Launching;
using Mesh.Client.Managing;
using OgClews.Etl.Gmpl;
using OgClews.Etl.Reverse;

namespace OgClews.Energy.Tests;

/// <summary>Paths, glpsol runs and demand rows for the demo energy model (models/energy).</summary>
public static class EnergyModel
{
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "OgClews.sln"))) return dir.FullName;
            throw new DirectoryNotFoundException("OgClews.sln");
        }
    }

    public static string Model => Path.Combine(Root, "models", "energy", "model.mod");
    public static string DemoData => Path.Combine(Root, "models", "energy", "demo", "data.dat");
    public static string KernelBinary => Path.Combine(Root, "kernels", "native", "glpk", "build", "mesh-glpk-kernel");

    public static KernelSpec Spec(string id) => new() { Id = id, Launcher = new ExecutableLauncher(KernelBinary) };

    /// <summary>A data file with SpecifiedAnnualDemand scaled, written by the demo's own generator.</summary>
    public static string ScaledData(string dir, double scale)
    {
        var output = Path.Combine(dir, $"data-x{scale.ToString(CultureInfo.InvariantCulture)}.dat");
        Run("/usr/bin/python3", Path.Combine(Root, "models", "energy", "demo", "generate_data.py"),
            "--out", output, "--no-carbon", "--demand-scale", scale.ToString("R", CultureInfo.InvariantCulture));
        return output;
    }

    /// <summary>Solves with the glpsol command line (cold, no presolve) and returns the objective from its raw solution file.</summary>
    public static double GlpsolObjective(string dir, string data) => Glpsol(dir, data).Objective;

    /// <summary>Solves with the glpsol command line (cold, no presolve): objective and every column's primal value.</summary>
    public static (double Objective, double[] Columns) Glpsol(string dir, string data)
    {
        var results = Directory.CreateDirectory(Path.Combine(dir, "results-" + Guid.NewGuid().ToString("N")[..6])).FullName;
        var resultsData = Path.Combine(results, "path.dat");
        File.WriteAllText(resultsData, $"data;\nparam ResultsPath := \"{results}\";\nend;\n");
        var sol = Path.Combine(results, "sol.txt");
        var output = Run("glpsol", "-m", Model, "-d", data, "-d", resultsData, "--nopresol", "-w", sol);
        if (!output.Contains("OPTIMAL LP SOLUTION FOUND")) throw new InvalidOperationException("glpsol did not find an optimum:\n" + output);
        var lines = File.ReadAllLines(sol);
        var s = lines.First(l => l.StartsWith("s ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var columns = lines.Where(l => l.StartsWith("j ", StringComparison.Ordinal))
            .Select(l => double.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3], CultureInfo.InvariantCulture)).ToArray();
        return (double.Parse(s[^1], CultureInfo.InvariantCulture), columns);
    }

    /// <summary>Every EnergyBalance row that carries final demand, with its right-hand side times <paramref name="scale"/>.</summary>
    public static (string[] Rows, double[] Values) DemandRows(double scale)
    {
        var demand = DemandData.FromGmpl(GmplDataReader.Read(DemoData));
        var rows = new List<string>();
        var values = new List<double>();
        for (int r = 0; r < demand.Regions.Count; r++)
            for (int f = 0; f < demand.Fuels.Count; f++)
                for (int l = 0; l < demand.Timeslices.Count; l++)
                    for (int y = 0; y < demand.Years.Length; y++)
                    {
                        double rhs = demand.AnnualDemand(r, f, y) * demand.Profile(r, f, l, y);
                        if (rhs == 0) continue;
                        rows.Add($"EnergyBalance[{demand.Regions[r]},{demand.Fuels[f]},{demand.Timeslices[l]},{demand.Years[y]}]");
                        values.Add(rhs * scale);
                    }
        return (rows.ToArray(), values.ToArray());
    }

    public static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        var text = stdout.Result + stderr.Result;
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {p.ExitCode}:\n{text}");
        return text;
    }
}
