// Proxies to objects living in other processes, called from .NET as if they were local:
//   python  a Python object graph (Calculator(policy=pol, records=rec)) in a Python kernel in its own venv;
//   glpk    a GLPK LP in the native C kernel, loaded once and re-solved warm after each demand change.
// Usage: Mesh.Examples.Proxies [python|glpk]   (no argument: both)
using Mesh.Client.Launching;
using Mesh.Client.Managing;
using Mesh.Proxy;
using Mesh.Values;
using OgClews.Etl.Gmpl;
using OgClews.Etl.Reverse;

string repo = AppContext.BaseDirectory;
while (!File.Exists(Path.Combine(repo, "OgClews.sln"))) repo = Path.GetDirectoryName(repo) ?? throw new DirectoryNotFoundException("OgClews.sln");

string mode = args.Length > 0 ? args[0] : "all";
if (mode is not ("all" or "python" or "glpk"))
{
    Console.Error.WriteLine($"unknown mode '{mode}': use python, glpk, or nothing for both");
    return 2;
}
if (mode is "all" or "python") await PythonObjectGraph();
if (mode is "all" or "glpk") await GlpkLinearProgram();
return 0;

async Task PythonObjectGraph()
{
    await using var manager = new KernelManager();
    var kernel = await manager.StartAsync(new KernelSpec
    {
        Id = "taxcalc",
        Launcher = new PythonLauncher(PythonEnvironment.Venv(Path.Combine(repo, ".venv", "kernel")), Path.Combine(repo, "examples", "python", "taxcalc_like.py")),
    });
    await using var proxies = new ProxyClient(kernel.Client);

    dynamic Policy = await proxies.GetRemoteAsync("Policy");
    dynamic Records = await proxies.GetRemoteAsync("Records");
    dynamic Calculator = await proxies.GetRemoteAsync("Calculator");

    var rng = new Random(42);
    var incomes = Enumerable.Range(0, 100_000).Select(_ => 20_000 + 80_000 * rng.NextDouble()).ToArray();
    var weights = Enumerable.Repeat(150.0, incomes.Length).ToArray();

    dynamic pol = await Policy();
    dynamic rec = await Records(incomes, weights);
    dynamic calc = await Calculator(policy: pol, records: rec); // references as named arguments
    await calc.calc_all();
    double baseline = (double)await calc.weighted_total("tax");

    await pol.implement_reform(new Dictionary<string, object?> { ["rate"] = 0.22 }); // the same Policy object, changed in place
    await calc.calc_all();
    double reform = (double)await calc.weighted_total("tax");

    Console.WriteLine($"records: {incomes.Length:N0}, baseline revenue {baseline / 1e9:F2} bn, reform revenue {reform / 1e9:F2} bn, change {(reform / baseline - 1) * 100:F1} %");
    Console.WriteLine($"policy rate seen through the calculator: {(double)await (await calc.policy).rate}");
    var (objects, _) = await proxies.ObjectCountAsync();
    Console.WriteLine($"objects held in the kernel: {objects}");
}

async Task GlpkLinearProgram()
{
    await using var manager = new KernelManager();
    var kernel = await manager.StartAsync(new KernelSpec
    {
        Id = "glpk",
        Launcher = new ExecutableLauncher(Path.Combine(repo, "kernels", "native", "glpk", "build", "mesh-glpk-kernel")),
    });
    await using var proxies = new ProxyClient(kernel.Client);
    string model = Path.Combine(repo, "models", "energy", "model.mod");
    string data = Path.Combine(repo, "models", "energy", "demo", "data.dat");

    dynamic solver = await proxies.GetRemoteAsync("solver");
    dynamic lp = await solver.Load(model, new[] { data }); // translated once; the LP stays in the kernel
    Console.WriteLine($"demo energy LP loaded: {(long)await lp.Rows} rows, {(long)await lp.Columns} columns");
    var first = (Dictionary<string, object?>)await lp.Solve();
    Console.WriteLine($"demand x1.00: {first["status"]}, total discounted cost {(double)first["objective"]!:F1} M$, cold solve {(double)first["solve_time"]! * 1000:F0} ms");

    // Demand is the right-hand side of the EnergyBalance rows: change it in place, re-solve from the last basis.
    var demand = DemandData.FromGmpl(GmplDataReader.Read(data));
    foreach (var scale in new[] { 1.01, 1.02, 1.03, 1.04, 1.05 })
    {
        var (rows, values) = demand.DemandRows(scale);
        await lp.SetRowBounds(rows, values);
        var r = (Dictionary<string, object?>)await lp.Solve();
        Console.WriteLine($"demand x{scale:F2}: {r["status"]}, total discounted cost {(double)r["objective"]!:F1} M$, {((bool)r["warm"]! ? "warm" : "cold")} re-solve {(double)r["solve_time"]! * 1000:F0} ms");
    }

    var newCapacity = (Table)((Dictionary<string, object?>)await lp.Variables("NewCapacity"))["NewCapacity"]!;
    var technologies = newCapacity.GetStrings("TECHNOLOGY");
    var amounts = newCapacity.Get<double>("value");
    var built = technologies.Zip(amounts).GroupBy(x => x.First!).Select(g => (Technology: g.Key, Amount: g.Sum(x => x.Second)))
        .Where(x => x.Amount > 1e-9).OrderByDescending(x => x.Amount);
    // capacity units per technology: GW for plants and grids, PJ/yr for fleets and supplies (models/energy/README.md)
    Console.WriteLine("new capacity 2025-2050 at demand x1.05: " + string.Join(", ", built.Select(x => $"{x.Technology} {x.Amount:F2}")));

    await ((RemoteObject)lp).DisposeAsync(); // frees the LP in the kernel now (else: when the proxy is collected, or the lease ends)
    await ((RemoteObject)solver).DisposeAsync();
    var (objects, _) = await proxies.ObjectCountAsync();
    Console.WriteLine($"objects held in the kernel: {objects}");
}

