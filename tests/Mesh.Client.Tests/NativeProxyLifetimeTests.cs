using Mesh.Client.Launching;
using Mesh.Client.Managing;

namespace Mesh.Client.Tests;

/// <summary>Reference lifetimes in the native C kernel (kernels/native/glpk): leases free what a dead client held.</summary>
public class NativeProxyLifetimeTests
{
    private static string Binary => Path.Combine(TestKernels.RepoRoot, "kernels", "native", "glpk", "build", "mesh-glpk-kernel");

    [Fact]
    public Task A_killed_client_process_holding_a_thousand_references_is_cleaned_up_within_the_lease() =>
        ProxyLifetimeTests.AssertLeaseFreesKilledHolder(new KernelSpec
        {
            Id = "native-leased",
            Launcher = new ExecutableLauncher(Binary),
            Environment = new Dictionary<string, string?> { ["MESH_PROXY_LEASE"] = "2" },
        });
}
