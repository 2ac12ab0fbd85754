// Starts the example .NET kernel through the KernelManager and calls it like local code.
using System.Diagnostics;
using Mesh;
using Mesh.Client;
using Mesh.Client.Launching;
using Mesh.Client.Managing;
using Mesh.Values;

var kernelDll = Path.Combine(AppContext.BaseDirectory, "kernel", "Mesh.Examples.Kernel.dll");
await using var manager = new KernelManager();
var kernel = await manager.StartAsync(new KernelSpec { Id = "examples", Launcher = new DotNetLauncher(kernelDll) });
Console.WriteLine($"kernel '{kernel.Id}' ready in {kernel.StartupTime.TotalMilliseconds:F0} ms (pid {kernel.Pid}); log: {kernel.LogFile}");
var client = kernel.Client;

double npv = await client.CallAsync<double>("npv", new[] { -1000.0, 300, 300, 300, 300, 300 }, 0.05);
Console.WriteLine($"npv                 = {npv:F2}");

var plant = new { CapitalPerKw = 1100.0, FixedPerKwYear = 25.0, VariablePerMwh = 3.5, CapacityFactor = 0.35, LifeYears = 25 };
double lcoe = await client.CallAsync<double>("lcoe", Arguments.Of(plant).With("rate", 0.07));
Console.WriteLine($"lcoe (wind)         = {lcoe:F2} $/MWh");

var load = Enumerable.Range(0, 8760).Select(h => 600 + 200 * Math.Sin(h * 2 * Math.PI / 24) + 100 * Math.Cos(h * 2 * Math.PI / 8760)).ToArray();
var curve = await client.CallAsync<Table>("load_duration", load);
Console.WriteLine($"load duration curve = {curve}: peak {curve.Get<double>("load")[0]:F1} MW");

var task = await client.SubmitAsync("simulate", Arguments.Of(26));
int reports = 0;
task.ProgressChanged += (_, _) => Interlocked.Increment(ref reports);
var demand = await task.GetAsync<double[]>();
Console.WriteLine($"simulate            = {demand.Length} years, 2050 demand {demand[^1]:F1} ({task.Record?.State})");

var sw = Stopwatch.StartNew();
const int calls = 2000;
await Task.WhenAll(Enumerable.Range(0, calls).Select(i => client.CallAsync<double>("npv", new[] { -1.0 * i, 1, 1 }, 0.0)));
Console.WriteLine($"{calls} concurrent calls in {sw.ElapsedMilliseconds} ms");

try { await client.CallAsync<double>("npv", "not an array", 0.05); }
catch (RemoteTaskException e) { Console.WriteLine($"bad call rejected   : {e.Message}"); }
Console.WriteLine("done");
