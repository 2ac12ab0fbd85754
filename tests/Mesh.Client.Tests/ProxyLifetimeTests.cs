using System.Diagnostics;
using System.Runtime.CompilerServices;
using Mesh.Client.Managing;
using Mesh.Proxy;

namespace Mesh.Client.Tests;

/// <summary>Reference lifetimes: leases for dead clients, finalizers that only queue.</summary>
public class ProxyLifetimeTests
{
    private static async Task<long> Objects(Client client) =>
        (long)(await client.CallAsync<Dictionary<string, object?>>("mesh.objects", Arguments.None))["objects"]!;

    [Fact]
    public async Task A_killed_client_process_holding_a_thousand_references_is_cleaned_up_within_the_lease()
    {
        var spec = TestKernels.Spec("leased");
        await AssertLeaseFreesKilledHolder(spec with { Environment = new Dictionary<string, string?>(spec.Environment) { ["MESH_PROXY_LEASE"] = "2" } });
    }

    /// <summary>
    /// Starts the kernel of <paramref name="specWithTwoSecondLease"/>, lets another process (the .NET
    /// test kernel in its client mode) take 1 000 references to new Counters, kills that process, and
    /// checks that the kernel frees them by the 2 s lease: not at once and not late.
    /// </summary>
    internal static async Task AssertLeaseFreesKilledHolder(KernelSpec specWithTwoSecondLease)
    {
        await using var manager = new KernelManager();
        var kernel = await manager.StartAsync(specWithTwoSecondLease);
        var holder = Process.Start(new ProcessStartInfo("dotnet", [TestKernels.Dll, kernel.ClientConnectionFile!, "1000"])
        {
            Environment = { ["MESH_TEST_FAULT"] = "hold-references" },
            RedirectStandardOutput = true,
        })!;
        Assert.Equal("holding", await holder.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(1001, await Objects(kernel.Client)); // 1 000 counters and the Counter type
        holder.Kill();
        await holder.WaitForExitAsync();
        var sw = Stopwatch.StartNew();
        while (await Objects(kernel.Client) > 0 && sw.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(100);
        Assert.Equal(0, await Objects(kernel.Client));
        Assert.InRange(sw.Elapsed.TotalSeconds, 0.5, 4.5);
    }

    [Fact]
    public async Task Collected_proxies_are_released_by_the_background_batch()
    {
        await using var manager = new KernelManager();
        var kernel = await manager.StartAsync(TestKernels.Spec("finalized"));
        await using var proxies = new ProxyClient(kernel.Client);
        Assert.True(await CreateAndDrop(proxies, kernel.Client, 500) >= 500);
        // Collect on every poll: the last few proxies can stay reachable for a moment from a completed
        // task or a thread-pool frame, and which ones is up to the JIT, not to the code under test.
        var sw = Stopwatch.StartNew();
        do
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            await Task.Delay(50);
        }
        while (await Objects(kernel.Client) > 0 && sw.Elapsed < TimeSpan.FromSeconds(10));
        Assert.Equal(0, await Objects(kernel.Client));
    }

    /// <summary>Creates n proxies, counts the kernel's objects while they are alive, then lets them all go unreachable.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<long> CreateAndDrop(ProxyClient proxies, Client client, int n)
    {
        var type = (RemoteObject)await proxies.GetRemoteAsync("Counter");
        var held = new List<object?>();
        for (int i = 0; i < n; i++) held.Add(await type.CallAsync(Arguments.Of((long)i)));
        long alive = await Objects(client);
        GC.KeepAlive(held);
        GC.KeepAlive(type);
        return alive;
    }
}
