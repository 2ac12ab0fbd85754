using System.Diagnostics;
using Mesh.Client;
using Mesh.Client.Managing;
using Mesh.Proxy;

namespace Mesh.Benchmarks;

/// <summary>A proxy method call against a plain task call on the same kernel.</summary>
internal static class ProxyCalls
{
    public static async Task<(Stats Task, Stats Proxy)> MeasureAsync(bool quick)
    {
        await using var manager = new KernelManager();
        var kernel = await manager.StartAsync(MeshCalls.DotNetSpec("proxy-bench"));
        await using var proxies = new ProxyClient(kernel.Client);
        var counter = (RemoteObject)(await ((RemoteObject)await proxies.GetRemoteAsync("Counter")).CallAsync(Arguments.Of(0L)))!;
        int n = quick ? 2000 : 20000;
        var one = Arguments.Of(1L);
        var plain = Arguments.Of(1.0, 2.0);
        var taskTimes = new List<double>(n);
        var proxyTimes = new List<double>(n);
        // Interleave the two so machine noise hits both alike.
        for (int i = -n / 10; i < n; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            await kernel.Client.CallAsync("add", plain);
            long t1 = Stopwatch.GetTimestamp();
            await counter.CallMethodAsync("add", one);
            long t2 = Stopwatch.GetTimestamp();
            if (i < 0) continue;
            taskTimes.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMicroseconds);
            proxyTimes.Add(Stopwatch.GetElapsedTime(t1, t2).TotalMicroseconds);
        }
        await counter.DisposeAsync();
        return (Stats.Of(taskTimes), Stats.Of(proxyTimes));
    }
}
