using System.Diagnostics;
using System.Globalization;
using Mesh.Client.Launching;
using Mesh.Client.Managing;
using OgClews.Etl.Gmpl;
using Mesh.Values;
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
    public static string CarbonPriceData => Path.Combine(Root, "models", "energy", "demo", "carbon_price.dat");
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

    /// <summary>
    /// Solves with the glpsol command line, with its default LP presolver or <c>--nopresol</c>, and
    /// returns every column's (value, reduced cost) and every row's (activity, dual) by MathProg
    /// name, read from its raw solution file (-w) and its problem file (--wglp) for the names.
    /// </summary>
    public static GlpsolSolution GlpsolByName(string dir, bool presolve, params string[] data)
    {
        var results = Directory.CreateDirectory(Path.Combine(dir, "results-" + Guid.NewGuid().ToString("N")[..6])).FullName;
        var resultsData = Path.Combine(results, "path.dat");
        File.WriteAllText(resultsData, $"data;\nparam ResultsPath := \"{results}\";\nend;\n");
        string sol = Path.Combine(results, "sol.txt"), problem = Path.Combine(results, "problem.glp");
        var args = new List<string> { "-m", Model };
        foreach (var d in data) args.AddRange(["-d", d]);
        args.AddRange(["-d", resultsData, "--wglp", problem, "-w", sol]);
        if (!presolve) args.Add("--nopresol");
        var output = Run("glpsol", [.. args]);
        if (!output.Contains("OPTIMAL LP SOLUTION FOUND")) throw new InvalidOperationException("glpsol did not find an optimum:\n" + output);
        var rowNames = new Dictionary<int, string>();
        var colNames = new Dictionary<int, string>();
        foreach (var line in File.ReadLines(problem))
        {
            var f = line.Split(' ', 4);
            if (f.Length == 4 && f[0] == "n" && f[1] is "i" or "j")
                (f[1] == "i" ? rowNames : colNames)[int.Parse(f[2], CultureInfo.InvariantCulture)] = f[3];
        }
        var rows = new Dictionary<string, (double, double)>();
        var columns = new Dictionary<string, (double, double)>();
        double objective = double.NaN;
        foreach (var line in File.ReadLines(sol))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f[0] == "s") objective = double.Parse(f[^1], CultureInfo.InvariantCulture);
            else if (f[0] is "i" or "j")
            {
                var names = f[0] == "i" ? rowNames : colNames;
                var value = (double.Parse(f[3], CultureInfo.InvariantCulture), double.Parse(f[4], CultureInfo.InvariantCulture));
                (f[0] == "i" ? rows : columns)[names[int.Parse(f[1], CultureInfo.InvariantCulture)]] = value;
            }
        }
        return new GlpsolSolution(objective, columns, rows);
    }

    /// <summary>
    /// The kernel's per-declaration tables (solve's variables or constraints) as MathProg names
    /// ("x[i,j]", index columns first) mapped to two of their columns.
    /// </summary>
    public static Dictionary<string, (double, double)> ByName(Dictionary<string, object?> tables, string first, string second)
    {
        var byName = new Dictionary<string, (double, double)>();
        foreach (var (declaration, value) in tables)
        {
            var t = (Table)value!;
            var index = t.Names.Where(n => n != first && n != second).Select(t.GetStrings).ToArray();
            double[] a = t.Get<double>(first), b = t.Get<double>(second);
            for (int r = 0; r < t.RowCount; r++)
                byName[index.Length == 0 ? declaration : $"{declaration}[{string.Join(',', index.Select(c => c[r]))}]"] = (a[r], b[r]);
        }
        return byName;
    }

    /// <summary>The names whose two values differ by more than 1e-9 relative (absolute below 1), and names on one side only.</summary>
    public static List<string> Differences(Dictionary<string, (double, double)> expected, Dictionary<string, (double, double)> actual)
    {
        static bool Close(double x, double y) => Math.Abs(x - y) <= 1e-9 * Math.Max(1.0, Math.Max(Math.Abs(x), Math.Abs(y)));
        var bad = new List<string>();
        foreach (var (name, (e1, e2)) in expected)
        {
            if (!actual.TryGetValue(name, out var a)) bad.Add($"{name}: missing in the kernel's result");
            else if (!Close(e1, a.Item1) || !Close(e2, a.Item2)) bad.Add($"{name}: kernel ({a.Item1:R}, {a.Item2:R}), glpsol ({e1:R}, {e2:R})");
        }
        bad.AddRange(actual.Keys.Where(n => !expected.ContainsKey(n)).Select(n => $"{n}: not in glpsol's solution"));
        return bad;
    }

    /// <summary>Every EnergyBalance row that carries final demand, with its right-hand side times <paramref name="scale"/>.</summary>
    public static (string[] Rows, double[] Values) DemandRows(double scale) =>
        DemandData.FromGmpl(GmplDataReader.Read(DemoData)).DemandRows(scale);

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

/// <summary>glpsol's optimum: the objective and, by MathProg name, each column's (value, reduced cost) and each row's (activity, dual).</summary>
public sealed record GlpsolSolution(double Objective, Dictionary<string, (double, double)> Columns, Dictionary<string, (double, double)> Rows);
