// Mesh benchmarks: the libzmq floor and Mesh calls measured in one run, figures printed.
// Usage: dotnet Mesh.Benchmarks.dll [--quick]
using System.Diagnostics;
using Mesh.Benchmarks;
using Mesh.Transport;

if (args.Length == 2 && args[0] == "--floor-server") { FloorServer.Run(args[1]); return 0; }
bool quick = args.Contains("--quick");

Console.WriteLine($"Mesh benchmarks — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}, libzmq {ZmqContext.Version}");
Console.WriteLine($"machine: {Machine.Describe()}");
Console.WriteLine();

int[] sizes = [1, 1024, 64 * 1024, 1024 * 1024, 16 * 1024 * 1024];
var floor = await Floor.MeasureAsync(sizes, quick);
var mesh = await MeshCalls.MeasureAsync(sizes, quick, MeshCalls.DotNetSpec);

Console.WriteLine("round trip, payload echoed both ways (p50 / p99, microseconds)");
Console.WriteLine($"{"payload",10} | {"zmq REQ/REP floor",22} | {"Mesh .NET→.NET call",22} | {"p50 ratio",9}");
foreach (var size in sizes)
{
    var f = floor[size];
    var m = mesh.Latency[size];
    Console.WriteLine($"{Format(size),10} | {f.P50,10:F1} / {f.P99,9:F1} | {m.P50,10:F1} / {m.P99,9:F1} | {m.P50 / f.P50,8:F2}x");
}
Console.WriteLine();
Console.WriteLine($"pipelined small calls: {mesh.Throughput:N0} calls/s ({mesh.ThroughputCalls:N0} calls, {mesh.Window} in flight)");
Console.WriteLine($".NET kernel start-to-ready: median {mesh.StartupMedianMs:F0} ms (min {mesh.StartupMinMs:F0}, max {mesh.StartupMaxMs:F0}, {mesh.StartupRuns} starts)");
Console.WriteLine();

var (taskCall, proxyCall) = await ProxyCalls.MeasureAsync(quick);
Console.WriteLine($"proxy method call (counter.Add) p50 {proxyCall.P50:F1} µs / p99 {proxyCall.P99:F1} µs vs plain task call (add) p50 {taskCall.P50:F1} µs / p99 {taskCall.P99:F1} µs: ratio {proxyCall.P50 / taskCall.P50:F2}x");
Console.WriteLine();

var (cli, cold, warm) = await EnergySolves.MeasureAsync(10);
Console.WriteLine($"demo energy model, 10 demand changes (median per solve): glpsol CLI {cli:F0} ms, kernel cold solve {cold:F0} ms, kernel warm re-solve {warm:F0} ms — warm is {cli / warm:F1}x faster than the CLI");
Console.WriteLine();

var venv = Path.Combine(OgClews.Energy.Tests.EnergyModel.Root, ".venv", "kernel");
var pyFloor = await Floor.MeasurePyzmqAsync(sizes, quick, Path.Combine(venv, "bin", "python"));
var py = await MeshCalls.MeasureAsync(sizes, quick, id => MeshCalls.PythonSpec(id, venv));
Console.WriteLine(".NET client → Python kernel (p50 / p99, microseconds)");
Console.WriteLine($"{"payload",10} | {"pyzmq REQ/REP floor",22} | {"Mesh .NET→Python call",22} | {"p50 ratio",9}");
foreach (var size in sizes)
{
    var f = pyFloor[size];
    var m = py.Latency[size];
    Console.WriteLine($"{Format(size),10} | {f.P50,10:F1} / {f.P99,9:F1} | {m.P50,10:F1} / {m.P99,9:F1} | {m.P50 / f.P50,8:F2}x");
}
Console.WriteLine();
Console.WriteLine($"pipelined small calls to Python: {py.Throughput:N0} calls/s");
Console.WriteLine($"Python kernel start-to-ready: median {py.StartupMedianMs:F0} ms (min {py.StartupMinMs:F0}, max {py.StartupMaxMs:F0}, {py.StartupRuns} starts)");
return 0;

static string Format(int bytes) => bytes switch
{
    >= 1024 * 1024 => $"{bytes / (1024 * 1024)} MiB",
    >= 1024 => $"{bytes / 1024} KiB",
    _ => $"{bytes} B",
};

namespace Mesh.Benchmarks
{
    internal readonly record struct Stats(double P50, double P99)
    {
        public static Stats Of(List<double> micros)
        {
            micros.Sort();
            return new(micros[micros.Count / 2], micros[Math.Min(micros.Count - 1, (int)(micros.Count * 0.99))]);
        }
    }

    internal static class Iterations
    {
        public static int For(int size, bool quick) => (size, quick) switch
        {
            (>= 16 * 1024 * 1024, _) => quick ? 10 : 40,
            (>= 1024 * 1024, _) => quick ? 50 : 300,
            (>= 64 * 1024, _) => quick ? 300 : 3000,
            _ => quick ? 2000 : 20000,
        };
    }

    internal static class Machine
    {
        public static string Describe()
        {
            string cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
            string mem = File.ReadLines("/proc/meminfo").FirstOrDefault()?.Split(':', 2)[1].Trim() ?? "";
            return $"{cpu}, {mem} RAM, {Environment.OSVersion}";
        }
    }
}
