// Mesh benchmarks: the libzmq floor, Mesh calls and the alternatives, measured in one run on one
// machine, printed as one table and written as CSV + SVG. Run through scripts/bench.sh (`make
// bench`), which builds the C floor and installs the peer packages first.
//
//   dotnet Mesh.Benchmarks.dll --floor-bin PATH [--out DIR] [--quick | --smoke] [--only ID,ID...] [--rounds N]
//   dotnet Mesh.Benchmarks.dll --render DIR      (redraw DIR/results.svg, .md, .txt from DIR/results.csv)
//
// --smoke runs every case once (one iteration per payload size, no warm-up) and fails, naming
// the case and the reason (a missing package included), if any case does not produce its rows.
using System.Diagnostics;
using Mesh.Benchmarks;

if (args is ["--floor-server", var floorEndpoint]) { FloorServer.Run(floorEndpoint); return 0; }
// Redraws the chart and tables of an earlier run from its CSV, measuring nothing.
if (args is ["--render", var renderDir])
{
    var csv = File.ReadAllText(Path.Combine(renderDir, "results.csv"));
    var saved = Report.ReadCsv(csv);
    string when = csv.Split('\n').ElementAtOrDefault(1)?.Split(',')[0] ?? "";
    WriteRendered(renderDir, saved, $"Mesh benchmarks, {when.Replace('T', ' ').TrimEnd('Z')} UTC");
    Console.WriteLine($"rendered {renderDir}/results.svg, results.md, results.txt from results.csv ({saved.Count} rows)");
    return 0;
}

// The last occurrence wins, so an --out given to scripts/bench.sh overrides its default.
string? Option(string name) => Array.LastIndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
var plan = new Plan(Quick: args.Contains("--quick"), Smoke: args.Contains("--smoke"));
if (Option("--rounds") is { } roundsText)
{
    if (!int.TryParse(roundsText, out int r) || r < 1 || r > 20)
    {
        Console.Error.WriteLine($"--rounds must be a whole number from 1 to 20, not '{roundsText}'");
        return 2;
    }
    plan = plan with { Rounds = r };
}
string floorBin = Option("--floor-bin") ?? Path.Combine(Paths.Root, "bench", "floor", "build", "zmq_pingpong");
string? outDir = Option("--out");
var only = Option("--only")?.Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
var known = new[] { "--quick", "--smoke", "--floor-bin", "--out", "--only", "--rounds" };
foreach (var a in args.Where(a => a.StartsWith("--", StringComparison.Ordinal) && !known.Contains(a)))
{
    Console.Error.WriteLine($"unknown option {a}; usage: Mesh.Benchmarks --floor-bin PATH [--out DIR] [--quick | --smoke] [--only ID,...] [--rounds N]");
    return 2;
}
if (!File.Exists(floorBin))
{
    Console.Error.WriteLine($"the C floor {floorBin} is not built; run scripts/bench.sh (make bench), which builds it");
    return 2;
}

var runUtc = DateTime.UtcNow;
string loadBefore = Machine.LoadAverage();
Console.WriteLine($"Mesh benchmarks — {runUtc:yyyy-MM-dd HH:mm} UTC, {plan.Mode} mode");
Console.WriteLine($"machine: {Machine.OneLine()}; load average {loadBefore}");
Console.WriteLine();

var dotnet = KernelKind.DotNet;
var python = KernelKind.Python;
var c = KernelKind.C;
// id, what it measures, how many rows it must produce, the measurement.
var cases = new List<(string Id, string Name, int Rows, Func<Task<List<Row>>> Run)>
{
    ("floor-tcp", "libzmq REQ/REP floor, C, tcp", 5, () => Floor.MeasureCAsync(floorBin, "tcp", plan)),
    ("floor-ipc", "libzmq REQ/REP floor, C, ipc", 5, () => Floor.MeasureCAsync(floorBin, "ipc", plan)),
    ("floor-spin", "libzmq REQ/REP, C, tcp, client spins for its reply", 5, () => Floor.MeasureCAsync(floorBin, "tcp", plan, spin: true)),
    ("floor-dotnet", "libzmq REQ/REP through Mesh.Transport (.NET)", 5, () => Floor.MeasureDotNetAsync(plan)),
    ("mesh-dotnet", "Mesh .NET client → .NET kernel (worker and inline endpoints)", 9, () => MeshCalls.MeasureAsync(dotnet, plan)),
    ("mesh-python", "Mesh .NET client → Python kernel (worker and inline endpoints)", 9, () => MeshCalls.MeasureAsync(python, plan)),
    ("mesh-c", "Mesh .NET client → C kernel", 6, () => MeshCalls.MeasureAsync(c, plan)),
    ("py-mesh-dotnet", "Mesh Python client → .NET kernel", 6, () => PythonPeers.MeshClientAsync(dotnet.Label, dotnet.Argv, proxy: true, profile: false, plan)),
    ("py-mesh-python", "Mesh Python client → Python kernel", 14, () => PythonPeers.MeshClientAsync(python.Label, python.Argv, proxy: true, profile: true, plan)),
    ("py-mesh-c", "Mesh Python client → C kernel", 5, () => PythonPeers.MeshClientAsync(c.Label, c.Argv, proxy: false, profile: false, plan)),
    ("proxy-dotnet", "Mesh proxy method call, .NET → .NET kernel", 2, () => ProxyCalls.MeasureAsync(dotnet, plan)),
    ("proxy-python", "Mesh proxy method call, .NET → Python kernel", 2, () => ProxyCalls.MeasureAsync(python, plan)),
    ("pyzmq", "pyzmq + msgpack hand-written echo", 5, () => PythonPeers.RunAsync("pyzmq_msgpack.py", "Python", plan.PythonArgs(), plan)),
    ("rpyc", "RPyC service call and netref call", 6, () => PythonPeers.RunAsync("rpyc_bench.py", "Python", plan.PythonArgs(Cost.SlowLarge), plan)),
    ("jupyter", "Jupyter kernel_info, execute, kernel start", 3, () => PythonPeers.RunAsync("jupyter_bench.py", "Python (ipykernel)", plan.PythonArgs(callCost: Cost.Slow), plan)),
    ("dask", "Dask submit().result() and actor call", 6, () => PythonPeers.RunAsync("dask_bench.py", "Python (dask worker)", plan.PythonArgs(Cost.Slow, Cost.Slow), plan)),
    ("aspnet", "ASP.NET Core HTTP/JSON echo", 5, () => WebEchoCalls.MeasureAsync(plan)),
    ("head-to-head", "ASP.NET Core echo and Mesh .NET→.NET calls (ipc, tcp, libzmq sockets) in alternating blocks", 7, () => HeadToHead.MeasureAsync(plan)),
    ("start-dotnet", ".NET kernel start-to-ready", 1, async () => [await MeshCalls.StartupAsync(dotnet, plan)]),
    ("start-python", "Python kernel start-to-ready", 1, async () => [await MeshCalls.StartupAsync(python, plan)]),
    ("start-c", "C kernel start-to-ready", 1, async () => [await MeshCalls.StartupAsync(c, plan)]),
    ("energy", "demo energy model: glpsol CLI vs kernel cold vs warm", 3, () => EnergySolves.MeasureAsync(plan)),
    ("profile-dotnet", "profile: segments of a .NET → .NET call", 6, () => Profile.CallSegmentsAsync(dotnet, plan)),
    ("profile-python", "profile: segments of a .NET → Python call", 6, () => Profile.CallSegmentsAsync(python, plan)),
    ("profile-c", "profile: segments of a .NET → C call", 6, () => Profile.CallSegmentsAsync(c, plan)),
    ("protocol", "profile: a call's protocol work in one .NET thread", 1, () => Profile.ProtocolWorkAsync(plan)),
    ("handoffs", "profile: thread hand-offs in one .NET process", 3, () => Profile.HandOffsAsync(plan)),
};
if (only is not null) cases = cases.Where(k => only.Contains(k.Id)).ToList();

// The round-trip cases run Plan.Rounds times, in turn, and each of their rows reports the median
// of its rounds; the others (slow peers, start-up, solves, profiles) run once.
var repeated = new HashSet<string> { "floor-tcp", "floor-ipc", "floor-spin", "floor-dotnet", "mesh-dotnet", "mesh-python", "mesh-c",
    "py-mesh-dotnet", "py-mesh-python", "py-mesh-c", "proxy-dotnet", "proxy-python", "pyzmq", "rpyc", "aspnet" };
var measured = new Dictionary<string, List<List<Row>>>();
var failures = new List<string>();
var failed = new HashSet<string>();
var total = Stopwatch.StartNew();
for (int round = 1; round <= plan.Rounds; round++)
{
    for (int i = 0; i < cases.Count; i++)
    {
        var (id, name, expected, run) = cases[i];
        if (round > 1 && (!repeated.Contains(id) || failed.Contains(id))) continue;
        string roundText = plan.Rounds > 1 && repeated.Contains(id) ? $" (round {round} of {plan.Rounds})" : "";
        Console.Error.WriteLine($"[{i + 1}/{cases.Count}] {id}: {name}{roundText}");
        var sw = Stopwatch.StartNew();
        try
        {
            var got = await run();
            if (got.Count != expected)
            {
                failures.Add($"{id}: produced {got.Count} rows, expected {expected}");
                failed.Add(id);
            }
            else (measured.TryGetValue(id, out var list) ? list : measured[id] = []).Add(got);
            Console.Error.WriteLine($"    done in {sw.Elapsed.TotalSeconds:0.0} s");
        }
        catch (Exception e)
        {
            failures.Add($"{id} ({name}): {e.GetType().Name}: {e.Message}");
            failed.Add(id);
            Console.Error.WriteLine($"    FAILED after {sw.Elapsed.TotalSeconds:0.0} s: {e.Message}");
        }
    }
}
var rows = new List<Row>();
foreach (var (id, _, _, _) in cases)
    if (measured.TryGetValue(id, out var rounds) && !failed.Contains(id)) rows.AddRange(Rounds.Median(rounds));

var elapsed = total.Elapsed;
string loadAfter = Machine.LoadAverage();

string table = rows.Count > 0 ? Report.Table(rows) : "(no rows)\n";
Console.WriteLine(table);
if (plan.Rounds > 1) Console.WriteLine($"round trips (calls, payloads, proxies, pipelined): the median of {plan.Rounds} rounds run in turn; n is per round.");
Console.WriteLine($"p50/floor: p50 divided by the p50 of the C floor over the row's transport at the same payload (1 B for calls without one):");
Console.WriteLine($"  '{Report.FloorCase("ipc")}' for Mesh rows (kernels on the manager's default transport, Unix sockets) unless they say tcp,");
Console.WriteLine($"  '{Report.FloorCase("tcp")}' for the peers (TCP loopback, their default).");
Console.WriteLine($"measured in {elapsed.TotalSeconds:0} s; load average before {loadBefore}, after {loadAfter}");

// A smoke run writes its files too (so the writers are checked), to a directory it removes again.
bool scratch = plan.Smoke && outDir is null;
if (scratch) outDir = Directory.CreateTempSubdirectory("mesh-bench-smoke").FullName;
if (outDir is not null && rows.Count > 0)
{
    Directory.CreateDirectory(outDir);
    string title = $"Mesh benchmarks, {runUtc:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores ({plan.Mode} mode)";
    File.WriteAllText(Path.Combine(outDir, "results.csv"), Report.Csv(rows, runUtc));
    // Everything else is drawn from the CSV as written, so the files always agree with it.
    WriteRendered(outDir, Report.ReadCsv(File.ReadAllText(Path.Combine(outDir, "results.csv"))), title);
    File.WriteAllText(Path.Combine(outDir, "machine.md"), Machine.Describe(runUtc, plan, loadBefore, loadAfter, elapsed));
    Console.WriteLine($"written: {outDir}/results.csv, results.svg, results.md, results.txt, machine.md");
    foreach (var file in Directory.GetFiles(outDir).Where(f => new FileInfo(f).Length == 0))
        failures.Add($"output: {Path.GetFileName(file)} is empty");
    if (scratch) Directory.Delete(outDir, recursive: true);
}

if (failures.Count > 0)
{
    Console.Error.WriteLine();
    Console.Error.WriteLine($"{failures.Count} bench case(s) failed:");
    foreach (var f in failures) Console.Error.WriteLine("  " + f);
    if (plan.Smoke) Console.WriteLine($"bench-smoke: {cases.Count - failures.Count} passed, {failures.Count} failed");
    return 1;
}
if (plan.Smoke) Console.WriteLine($"bench-smoke: {cases.Count} passed, 0 failed");
return 0;

static void WriteRendered(string dir, List<Row> rows, string title)
{
    File.WriteAllText(Path.Combine(dir, "results.svg"), Chart.Svg(rows, title));
    File.WriteAllText(Path.Combine(dir, "results.md"), Report.Markdown(rows));
    File.WriteAllText(Path.Combine(dir, "results.txt"), Report.Table(rows));
}
