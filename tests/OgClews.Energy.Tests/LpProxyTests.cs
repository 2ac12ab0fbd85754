using Mesh.Client;
using Mesh.Client.Managing;
using Mesh.Proxy;
using Mesh.Values;

namespace OgClews.Energy.Tests;

/// <summary>The GLPK kernel's LP objects seen through a .NET interface (a typed proxy drops the trailing Async on the wire).</summary>
public interface ILinearProgram : IAsyncDisposable
{
    Task<Dictionary<string, object?>> SetRowBoundsAsync(string[] names, double[] values);
    Task<Dictionary<string, object?>> SolveAsync(CancellationToken cancellationToken = default);
    Task<Dictionary<string, object?>> VariablesAsync(string filter);
    string Status { get; }
    long Rows { get; }
    long Columns { get; }
}

/// <summary>The demo LP held as a remote object of the native kernel (solver.Load → LP), against the handle endpoints and glpsol.</summary>
public class LpProxyTests
{
    [Fact]
    public async Task A_warm_re_solve_through_the_LP_proxy_matches_the_handle_endpoints_and_a_cold_glpsol_run()
    {
        var dir = Directory.CreateTempSubdirectory("ogclews-proxy").FullName;
        const double scale = 1.03;
        double glpsol = EnergyModel.GlpsolObjective(dir, EnergyModel.ScaledData(dir, scale));
        var (rows, values) = EnergyModel.DemandRows(scale);
        await using var manager = new KernelManager();
        var client = (await manager.StartAsync(EnergyModel.Spec("energy-proxy"))).Client;

        // The task endpoints: an integer handle.
        var loaded = await client.CallAsync<Dictionary<string, object?>>("load",
            Arguments.None.With("model", EnergyModel.Model).With("data", new object?[] { EnergyModel.DemoData }));
        long handle = (long)loaded["handle"]!;
        var handleFirst = await client.CallAsync<Dictionary<string, object?>>("solve_handle", Arguments.Of(handle));
        await client.CallAsync("set_row_bounds", Arguments.Of(handle, (object)rows, values));
        var handleWarm = await client.CallAsync<Dictionary<string, object?>>("solve_handle", Arguments.Of(handle));
        var handleVariables = await client.CallAsync<Dictionary<string, object?>>("get_variables", Arguments.Of(handle, "NewCapacity"));
        await client.CallAsync("release", Arguments.Of(handle));

        // The same LP as a remote object.
        await using var proxies = new ProxyClient(client);
        dynamic solver = await proxies.GetRemoteAsync("solver");
        dynamic lp = await solver.Load(EnergyModel.Model, new[] { EnergyModel.DemoData });
        Assert.Equal("unsolved", (string)await lp.Status);
        var first = (Dictionary<string, object?>)await lp.Solve();
        Assert.Equal("optimal", first["status"]);
        Assert.False((bool)first["warm"]!);
        Assert.Equal((double)handleFirst["objective"]!, (double)first["objective"]!);
        var updated = (Dictionary<string, object?>)await lp.SetRowBounds(rows, values);
        Assert.Equal((long)rows.Length, updated["updated"]);
        var warm = (Dictionary<string, object?>)await lp.Solve();
        Assert.Equal("optimal", warm["status"]);
        Assert.True((bool)warm["warm"]!);
        double objective = (double)warm["objective"]!;
        // The same GLPK calls on the same problem: the very same optimum as the handle path.
        Assert.Equal((double)handleWarm["objective"]!, objective);
        Assert.True(Math.Abs(objective - glpsol) <= 1e-9 * Math.Abs(glpsol), $"warm proxy {objective:R} vs cold glpsol {glpsol:R}");
        Assert.True(objective > (double)first["objective"]!, "more demand must cost more");
        var variables = (Dictionary<string, object?>)await lp.Variables("NewCapacity");
        Assert.Equal((Table)handleVariables["NewCapacity"]!, (Table)variables["NewCapacity"]!);
        Assert.Equal(objective, (double)await lp.Objective);

        // A typed view of the same object: SolveAsync is called as Solve.
        await using (var typed = proxies.As<ILinearProgram>((RemoteObject)lp))
        {
            Assert.Equal(3225L, typed.Rows);
            Assert.Equal(2340L, typed.Columns);
            var again = await typed.SolveAsync();
            Assert.True((bool)again["warm"]!);
            Assert.Equal(objective, (double)again["objective"]!);
            Assert.Equal("optimal", typed.Status);
        }
        await ((RemoteObject)solver).DisposeAsync();
        Assert.Equal(0, (await proxies.ObjectCountAsync()).Objects);
    }
}
