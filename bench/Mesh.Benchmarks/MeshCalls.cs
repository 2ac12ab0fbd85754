using System.Diagnostics;
using Mesh.Client;
using Mesh.Client.Launching;
using Mesh.Client.Managing;
using OgClews.Energy.Tests;

namespace Mesh.Benchmarks;

/// <summary>Where the kernels and tools live.</summary>
internal static class Paths
{
    public static string Root => EnergyModel.Root;
    public static string DotNetKernel => Path.Combine(AppContext.BaseDirectory, "testkernel", "Mesh.TestKernel.dll");
    public static string Venv => Path.Combine(Root, ".venv", "kernel");
    public static string VenvPython => Path.Combine(Venv, "bin", "python");
    public static string CKernel => EnergyModel.KernelBinary;
    public static string WebEcho => Path.Combine(AppContext.BaseDirectory, "webecho", "Mesh.Benchmarks.WebEcho.dll");
}

/// <summary>One of our kernels: how the .NET manager starts it and how the Python one does.</summary>
internal sealed record KernelKind(string Label, Func<string, KernelSpec> Spec, string[] Argv, string? InlineEcho = null)
{
    // One worker per kernel everywhere, so no case gains from parallel handlers.
    static readonly Dictionary<string, string?> OneWorker = new() { ["MESH_MAX_CONCURRENCY"] = "1" };

    /// <summary>The .NET test kernel (tests/Mesh.TestKernel).</summary>
    public static KernelKind DotNet => new(".NET",
        id => new() { Id = id, Launcher = new DotNetLauncher(Paths.DotNetKernel), Environment = OneWorker },
        ["dotnet", Paths.DotNetKernel], InlineEcho: "echo_inline");

    /// <summary>The Python conformance kernel in the project's kernel venv.</summary>
    public static KernelKind Python => new("Python",
        id => new() { Id = id, Launcher = new PythonLauncher(PythonEnvironment.Venv(Paths.Venv), "mesh_conformance_kernel"), Environment = OneWorker },
        [Paths.VenvPython, "-m", "mesh", "mesh_conformance_kernel"], InlineEcho: "echo_inline");

    /// <summary>The native GLPK kernel (its conformance endpoints include echo and add).</summary>
    public static KernelKind C => new("C",
        id => new() { Id = id, Launcher = new ExecutableLauncher(Paths.CKernel), Environment = OneWorker },
        [Paths.CKernel]);
}

/// <summary>Mesh calls from the .NET client to a kernel in another process.</summary>
internal static class MeshCalls
{
    /// <summary>Echo round trips at every payload size, then pipelined small calls.</summary>
    public static async Task<List<Row>> MeasureAsync(KernelKind kind, Plan plan)
    {
        await using var manager = new KernelManager();
        var kernel = await manager.StartAsync(kind.Spec("bench"));
        var client = kernel.Client;
        int[] kernelPid = kernel.ConnectionInfo.Pid is { } pid ? [pid] : [];
        var rows = new List<Row>();
        var small = Arguments.Of(new byte[1]);
        await plan.SettleJitAsync(async () =>
        {
            await client.CallAsync("echo", small);
            if (kind.InlineEcho is { } name) await client.CallAsync(name, small);
        }, kernelPid);
        string transport = kernel.ConnectionInfo.Transport;
        await EchoRowsAsync(client, "echo", $"Mesh .NET→{kind.Label} call", kind, kernelPid, transport, Plan.Sizes, plan, rows);
        // Kernels that can run a handler on their I/O thread (MapInline): the same echo without the worker hop.
        if (kind.InlineEcho is { } inline)
            await EchoRowsAsync(client, inline, $"Mesh .NET→{kind.Label} call, inline endpoint", kind, kernelPid, transport, Plan.Sizes.Where(s => s <= 64 * 1024), plan, rows);

        int calls = plan.PipelinedCalls, window = plan.Window;
        var sw = Stopwatch.StartNew();
        var inFlight = new Queue<Task<object?>>(window);
        var one = Arguments.Of(1.0, 2.0);
        for (int i = 0; i < calls; i++)
        {
            if (inFlight.Count == window) await inFlight.Dequeue();
            inFlight.Enqueue(client.CallAsync("add", one));
        }
        while (inFlight.Count > 0) await inFlight.Dequeue();
        double seconds = sw.Elapsed.TotalSeconds;
        // p50/p99 are meaningless for a pipelined batch; the mean time per call stands in for both.
        rows.Add(new Row(Section.Pipelined, $"Mesh .NET→{kind.Label} pipelined add ({window} in flight)", ".NET", kind.Label, 0, calls,
            seconds / calls * 1e6, seconds / calls * 1e6, calls / seconds));
        return rows;
    }

    static async Task EchoRowsAsync(Client.Client client, string endpoint, string name, KernelKind kind, int[] kernelPid, string transport, IEnumerable<int> sizes, Plan plan, List<Row> rows)
    {
        foreach (var size in sizes)
        {
            // 1 B travels as bin; larger payloads as float64 arrays (raw buffer frames above 1 KiB).
            object payload = size < 8 ? new byte[size] : Enumerable.Range(0, size / 8).Select(i => (double)i).ToArray();
            var args = Arguments.Of(payload);
            int n = plan.Iterations(size);
            var times = new List<double>(n);
            // A payload size takes code paths the earlier ones did not: they too must be compiled first.
            if (size <= Plan.SettlePerSizeUpTo)
                await plan.SettleJitAsync(async () => CheckEcho(payload, await client.CallAsync(endpoint, args)), kernelPid, TimeSpan.Zero, report: false);
            long start = 0;
            for (int i = -plan.Warmup(n); i < n; i++)
            {
                if (i == 0) start = Stopwatch.GetTimestamp();
                long t0 = Stopwatch.GetTimestamp();
                var back = await client.CallAsync(endpoint, args);
                if (i >= 0) times.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
                CheckEcho(payload, back);
            }
            var s = Stats.Of(times, Stopwatch.GetElapsedTime(start).TotalSeconds);
            rows.Add(new Row(Section.Call, name, ".NET", kind.Label, size, n, s.P50, s.P99, s.CallsPerS, Transport: transport));
        }
    }

    /// <summary>Launch → registration → first health reply, as the caller of StartAsync sees it.</summary>
    public static async Task<Row> StartupAsync(KernelKind kind, Plan plan)
    {
        await using var manager = new KernelManager();
        var times = new List<double>();
        for (int i = 0; i < plan.Starts; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            var k = await manager.StartAsync(kind.Spec($"startup-{i}"));
            times.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
            await manager.StopAsync(k);
        }
        times.Sort();
        return new Row(Section.Startup, $"Mesh {kind.Label} kernel start-to-ready", ".NET", kind.Label, 0, times.Count,
            times[times.Count / 2], times[^1], 1e6 / times.Average());
    }

    static void CheckEcho(object sent, object? back)
    {
        long want = sent is byte[] b ? b.Length : ((double[])sent).Length * 8L;
        long got = back switch
        {
            byte[] x => x.Length,
            double[] x => x.Length * 8L,
            Mesh.Values.NDArray a => a.ByteLength,
            _ => -1,
        };
        if (got != want) throw new InvalidOperationException($"echo of {want} bytes came back as {back?.GetType().Name} ({got} bytes)");
    }
}
