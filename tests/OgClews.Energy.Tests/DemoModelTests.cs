using Mesh.Client;
using Mesh.Client.Managing;
using Mesh.Values;

namespace OgClews.Energy.Tests;

/// <summary>The demo energy model solved by the native GLPK kernel, against the glpsol command line.</summary>
public class DemoModelTests
{
    [Fact]
    public async Task The_kernel_solves_the_demo_like_glpsol_and_returns_the_result_tables()
    {
        var dir = Directory.CreateTempSubdirectory("ogclews-demo").FullName;
        // Objective only: the demo LP is degenerate (the same optimum is reached at different
        // vertices: a per-column comparison with glpsol differs at column 1486 while the objectives
        // agree to 1e-9), so its variable values are not unique. Per-column agreement is checked on
        // GLPK's own examples by the C kernel's ctest suite.
        var (expected, _) = EnergyModel.Glpsol(dir, EnergyModel.DemoData);
        await using var manager = new KernelManager();
        var energy = await manager.StartAsync(EnergyModel.Spec("energy"));
        // Same algorithm as the glpsol run (simplex, no presolve), so the same vertex of the optimal face.
        var result = await energy.Client.CallAsync<Dictionary<string, object?>>("solve",
            Arguments.None.With("model", EnergyModel.Model).With("data", new object?[] { EnergyModel.DemoData })
                .With("options", new Dictionary<string, object?> { ["presolve"] = false }));
        Assert.Equal("optimal", result["status"]);
        double objective = (double)result["objective"]!;
        Assert.True(Math.Abs(objective - expected) <= 1e-9 * Math.Abs(expected), $"kernel {objective:R} vs glpsol {expected:R}");
        var tables = (Dictionary<string, object?>)result["tables"]!;
        var capital = (Table)tables.First(kv => kv.Key.Contains("CapitalInvestment")).Value!;
        Assert.Equal(["REGION", "TECHNOLOGY", "YEAR", "VALUE"], capital.Names);
        Assert.Contains(tables.Keys, k => k.Contains("AnnualEmissions"));
    }

    [Fact]
    public async Task A_warm_re_solve_after_a_demand_change_matches_a_cold_glpsol_run_on_the_changed_data()
    {
        var dir = Directory.CreateTempSubdirectory("ogclews-warm").FullName;
        const double scale = 1.03;
        double expected = EnergyModel.GlpsolObjective(dir, EnergyModel.ScaledData(dir, scale));
        await using var manager = new KernelManager();
        var energy = await manager.StartAsync(EnergyModel.Spec("energy-warm"));
        var client = energy.Client;
        var loaded = await client.CallAsync<Dictionary<string, object?>>("load",
            Arguments.None.With("model", EnergyModel.Model).With("data", new object?[] { EnergyModel.DemoData }));
        long handle = (long)loaded["handle"]!;
        var first = await client.CallAsync<Dictionary<string, object?>>("solve_handle", Arguments.Of(handle));
        Assert.Equal("optimal", first["status"]);
        var (rows, values) = EnergyModel.DemandRows(scale);
        var updated = await client.CallAsync<Dictionary<string, object?>>("set_row_bounds",
            Arguments.Of(handle, (object)rows, values));
        Assert.Equal((long)rows.Length, updated["updated"]);
        var warm = await client.CallAsync<Dictionary<string, object?>>("solve_handle", Arguments.Of(handle).With("warm", true));
        Assert.Equal("optimal", warm["status"]);
        double objective = (double)warm["objective"]!;
        Assert.True(Math.Abs(objective - expected) <= 1e-9 * Math.Abs(expected), $"warm {objective:R} vs cold glpsol {expected:R}");
        Assert.True(objective > (double)first["objective"]!, "more demand must cost more");
        await client.CallAsync("release", Arguments.Of(handle));
    }

    [Fact]
    public async Task An_infeasible_demand_is_a_clear_status_and_the_kernel_carries_on()
    {
        await using var manager = new KernelManager();
        var energy = await manager.StartAsync(EnergyModel.Spec("energy-infeasible"));
        var client = energy.Client;
        var loaded = await client.CallAsync<Dictionary<string, object?>>("load",
            Arguments.None.With("model", EnergyModel.Model).With("data", new object?[] { EnergyModel.DemoData }));
        long handle = (long)loaded["handle"]!;
        var (rows, values) = EnergyModel.DemandRows(1e9); // far beyond every capacity and import limit
        await client.CallAsync("set_row_bounds", Arguments.Of(handle, (object)rows, values));
        var result = await client.CallAsync<Dictionary<string, object?>>("solve_handle", Arguments.Of(handle));
        Assert.NotEqual("optimal", result["status"]);
        Assert.Equal("ok", (await client.HealthAsync()).Status);
        Assert.Equal(3.0, await client.CallAsync<double>("add", 1.0, 2.0));
    }
}
