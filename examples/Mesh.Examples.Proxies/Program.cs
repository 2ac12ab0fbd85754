// Holds proxies to a Python object graph (Calculator(policy=pol, records=rec)) from .NET: the
// objects live in a Python kernel in its own venv; .NET calls them as if they were local.
using Mesh.Client;
using Mesh.Client.Launching;
using Mesh.Client.Managing;
using Mesh.Proxy;

string repo = AppContext.BaseDirectory;
while (!File.Exists(Path.Combine(repo, "OgClews.sln"))) repo = Path.GetDirectoryName(repo) ?? throw new DirectoryNotFoundException("OgClews.sln");

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
