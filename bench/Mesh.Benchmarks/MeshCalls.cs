using System.Diagnostics;
using Mesh.Client;
using Mesh.Client.Launching;
using Mesh.Client.Managing;

namespace Mesh.Benchmarks;

/// <summary>Mesh calls from a .NET client to a .NET kernel in another process.</summary>
internal static class MeshCalls
{
    public sealed record Result(Dictionary<int, Stats> Latency, double Throughput, int ThroughputCalls, int Window,
        double StartupMedianMs, double StartupMinMs, double StartupMaxMs, int StartupRuns);

    /// <summary>The .NET test kernel.</summary>
    public static KernelSpec DotNetSpec(string id) => new()
    {
        Id = id,
        Launcher = new DotNetLauncher(Path.Combine(AppContext.BaseDirectory, "testkernel", "Mesh.TestKernel.dll")),
        Environment = new Dictionary<string, string?> { ["MESH_MAX_CONCURRENCY"] = "1" },
    };

    /// <summary>The Python conformance kernel in the project's kernel venv.</summary>
    public static KernelSpec PythonSpec(string id, string venv) => new()
    {
        Id = id,
        Launcher = new PythonLauncher(PythonEnvironment.Venv(venv), "mesh_conformance_kernel"),
        Environment = new Dictionary<string, string?> { ["MESH_MAX_CONCURRENCY"] = "1" },
    };

    public static async Task<Result> MeasureAsync(int[] sizes, bool quick, Func<string, KernelSpec> spec)
    {
        await using var manager = new KernelManager();
        var kernel = await manager.StartAsync(spec("bench"));
        var Spec = spec;
        var client = kernel.Client;
        var latency = new Dictionary<int, Stats>();
        foreach (var size in sizes)
        {
            // 1 B travels as bin; larger payloads as float64 arrays (raw buffer frames above 1 KiB).
            object payload = size < 8 ? new byte[size] : Enumerable.Range(0, size / 8).Select(i => (double)i).ToArray();
            var args = Arguments.Of(payload);
            int n = Iterations.For(size, quick);
            var times = new List<double>(n);
            for (int i = -n / 10 - 5; i < n; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                var back = await client.CallAsync("echo", args);
                if (i >= 0) times.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
                GC.KeepAlive(back);
            }
            latency[size] = Stats.Of(times);
        }

        int calls = quick ? 20_000 : 200_000, window = 1000;
        var sw = Stopwatch.StartNew();
        var inFlight = new Queue<Task<object?>>(window);
        var one = Arguments.Of(1.0, 2.0);
        for (int i = 0; i < calls; i++)
        {
            if (inFlight.Count == window) await inFlight.Dequeue();
            inFlight.Enqueue(client.CallAsync("add", one));
        }
        while (inFlight.Count > 0) await inFlight.Dequeue();
        double throughput = calls / sw.Elapsed.TotalSeconds;

        int runs = quick ? 3 : 10;
        var startups = new List<double>();
        for (int i = 0; i < runs; i++)
        {
            var k = await manager.StartAsync(Spec($"startup-{i}"));
            startups.Add(k.StartupTime.TotalMilliseconds);
            await manager.StopAsync(k);
        }
        startups.Sort();
        return new Result(latency, throughput, calls, window, startups[runs / 2], startups[0], startups[^1], runs);
    }
}
