using System.Diagnostics;
using Mesh.Client;
using Mesh.Client.Managing;
using Mesh.Proxy;

namespace Mesh.Benchmarks;

/// <summary>A proxy method call against a plain task call on the same kernel.</summary>
internal static class ProxyCalls
{
    /// <summary>
    /// counter.add(1) on a remote Counter through RemoteObject.CallMethodAsync, interleaved with
    /// a plain task call add(1.0, 2.0) so machine noise hits both alike (issue #5's ratio).
    /// </summary>
    public static async Task<List<Row>> MeasureAsync(KernelKind kind, Plan plan)
    {
        await using var manager = new KernelManager();
        var kernel = await manager.StartAsync(kind.Spec("proxy-bench"));
        await using var proxies = new ProxyClient(kernel.Client);
        var counter = (RemoteObject)(await ((RemoteObject)await proxies.GetRemoteAsync("Counter")).CallAsync(Arguments.Of(0L)))!;
        int n = plan.Calls();
        var one = Arguments.Of(1L);
        var plain = Arguments.Of(1.0, 2.0);
        var taskTimes = new List<double>(n);
        var proxyTimes = new List<double>(n);
        await plan.SettleJitAsync(async () =>
        {
            await kernel.Client.CallAsync("add", plain);
            await counter.CallMethodAsync("add", one);
        }, kernel.ConnectionInfo.Pid is { } pid ? [pid] : []);
        long start = 0;
        for (int i = -plan.Warmup(n); i < n; i++)
        {
            if (i == 0) start = Stopwatch.GetTimestamp();
            long t0 = Stopwatch.GetTimestamp();
            await kernel.Client.CallAsync("add", plain);
            long t1 = Stopwatch.GetTimestamp();
            await counter.CallMethodAsync("add", one);
            long t2 = Stopwatch.GetTimestamp();
            if (i < 0) continue;
            taskTimes.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMicroseconds);
            proxyTimes.Add(Stopwatch.GetElapsedTime(t1, t2).TotalMicroseconds);
        }
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        await counter.DisposeAsync();
        // Each loop does both calls: a call's own rate is taken from its share of the loop's time.
        double taskShare = taskTimes.Sum() / (taskTimes.Sum() + proxyTimes.Sum());
        var task = Stats.Of(taskTimes, seconds * taskShare);
        var proxy = Stats.Of(proxyTimes, seconds * (1 - taskShare));
        return
        [
            new Row(Section.Call, $"Mesh .NET→{kind.Label} add call (interleaved with proxy)", ".NET", kind.Label, 0, n, task.P50, task.P99, task.CallsPerS,
                Transport: kernel.ConnectionInfo.Transport),
            new Row(Section.Call, $"Mesh .NET→{kind.Label} proxy call", ".NET", kind.Label, 0, n, proxy.P50, proxy.P99, proxy.CallsPerS,
                $"counter.add(1); p50 ratio to the interleaved add call {proxy.P50 / task.P50:0.00}x", kernel.ConnectionInfo.Transport),
        ];
    }
}
