using System.Diagnostics;
using Mesh.Client.Launching;
using Mesh.Client.Managing;

namespace Mesh.Client.Tests;

/// <summary>Reference lifetimes in the native C kernel (kernels/native/glpk): leases free what a dead client held.</summary>
public class NativeProxyLifetimeTests
{
    private static string Binary => Path.Combine(TestKernels.RepoRoot, "kernels", "native", "glpk", "build", "mesh-glpk-kernel");

    private static async Task<long> Objects(Client client) =>
        (long)(await client.CallAsync<Dictionary<string, object?>>("mesh.objects", Arguments.None))["objects"]!;

    [Fact]
    public async Task A_killed_client_process_holding_a_thousand_references_is_cleaned_up_within_the_lease()
    {
        await using var manager = new KernelManager();
        var kernel = await manager.StartAsync(new KernelSpec
        {
            Id = "native-leased",
            Launcher = new ExecutableLauncher(Binary),
            Environment = new Dictionary<string, string?> { ["MESH_PROXY_LEASE"] = "2" },
        });
        // The holder is another process (the .NET test kernel in its client mode): it takes 1 000
        // references to new Counters in the C kernel, then waits to be killed.
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
        Assert.InRange(sw.Elapsed.TotalSeconds, 0.5, 4.5); // freed by the 2 s lease, not at once and not late
    }
}
