using Mesh.Client.Launching;
using Mesh.Client.Managing;

namespace Mesh.Client.Tests;

/// <summary>The OG macro model (kernels/python/ogmacro) served from its own venv and called from .NET.</summary>
public class MacroKernelTests
{
    private static string Venv => TestKernels.KernelVenv;

    [Fact]
    public async Task The_macro_kernel_solves_steady_states_and_transitions_and_names_bad_parameters()
    {
        await using var manager = new KernelManager();
        var macro = await manager.StartAsync(new KernelSpec
        {
            Id = "macro",
            Launcher = new PythonLauncher(PythonEnvironment.Venv(Venv), "ogmacro.kernel"),
        });
        var client = macro.Client;
        var ss = await client.CallAsync<Dictionary<string, object?>>("solve_steady_state", Arguments.None);
        Assert.True((double)ss["resource_constraint_error"]! < 1e-8);
        Assert.True((double)ss["max_euler_error"]! < 1e-8);
        Assert.Equal(80, ((Mesh.Values.NDArray)ss["b"]!).Length);

        var pricier = await client.CallAsync<Dictionary<string, object?>>("solve_steady_state",
            Arguments.None.With("params", new Dictionary<string, object?> { ["p_E"] = 1.25 }));
        Assert.True((double)pricier["K"]! < (double)ss["K"]!, "a higher energy price must lower capital");

        int T = 240;
        var path = Enumerable.Repeat(1.25, T).ToArray();
        var tpi = await client.CallAsync<Dictionary<string, object?>>("solve_transition_path",
            Arguments.None.With("paths", new Dictionary<string, object?> { ["p_E"] = path }));
        Assert.Equal(T, ((Mesh.Values.NDArray)tpi["Y"]!).Length);

        // The same model as a remote object: og = macro.Model(params); og.SolveSteadyState(); og.SolveTransition(paths).
        await using (var proxies = new Mesh.Proxy.ProxyClient(client))
        {
            dynamic Model = await proxies.GetRemoteAsync("Model");
            dynamic og = await Model(new Dictionary<string, object?> { ["p_E"] = 1.25 });
            var viaProxy = (Dictionary<string, object?>)await og.SolveSteadyState();
            Assert.Equal((double)pricier["K"]!, (double)viaProxy["K"]!);
            var cached = (Dictionary<string, object?>)await og.SteadyState;
            Assert.Equal((double)viaProxy["Y"]!, (double)cached["Y"]!);
            var transition = (Dictionary<string, object?>)await og.SolveTransition(new Dictionary<string, object?> { ["p_E"] = Enumerable.Repeat(1.5, T).ToArray() });
            Assert.Equal(T, ((Mesh.Values.NDArray)transition["K"]!).Length);
            await ((Mesh.Proxy.RemoteObject)og).DisposeAsync();
            await ((Mesh.Proxy.RemoteObject)Model).DisposeAsync();
        }

        var e = await Assert.ThrowsAsync<RemoteTaskException>(() => client.CallAsync<object?>("solve_steady_state",
            Arguments.None.With("params", new Dictionary<string, object?> { ["beta_annual"] = -0.5 })));
        Assert.Equal("ValueError", e.RemoteType);
        Assert.Contains("beta_annual", e.Message);
    }
}
