using Mesh.Client;
using Mesh.Client.Managing;
using Mesh.Values;

namespace OgClews.Energy.Tests;

/// <summary>The demo energy model solved by the native GLPK kernel, against the glpsol command line.</summary>
public class DemoModelTests
{
    public static TheoryData<bool, bool> Scenarios => new() { { false, true }, { false, false }, { true, true }, { true, false } };

    /// <summary>
    /// The demo LP has alternative optima, so only the same sequence of GLPK calls reaches the
    /// same vertex: the kernel's default solve is glpsol's default run (with the LP presolver), and
    /// presolve: false is <c>glpsol --nopresol</c>. Every column (value and reduced cost) and every
    /// row (activity and dual) must agree to 1e-9, with and without the carbon price.
    /// </summary>
    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task The_kernel_solves_the_demo_like_glpsol_variable_by_variable(bool carbonPrice, bool presolve)
    {
        var dir = Directory.CreateTempSubdirectory("ogclews-demo").FullName;
        string[] data = carbonPrice ? [EnergyModel.DemoData, EnergyModel.CarbonPriceData] : [EnergyModel.DemoData];
        var expected = EnergyModel.GlpsolByName(dir, presolve, data);
        await using var manager = new KernelManager();
        var energy = await manager.StartAsync(EnergyModel.Spec("energy"));
        var options = presolve ? new Dictionary<string, object?>() : new Dictionary<string, object?> { ["presolve"] = false };
        var result = await energy.Client.CallAsync<Dictionary<string, object?>>("solve",
            Arguments.None.With("model", EnergyModel.Model).With("data", data.Cast<object?>().ToArray()).With("options", options));
        Assert.Equal("optimal", result["status"]);
        double objective = (double)result["objective"]!;
        Assert.True(Math.Abs(objective - expected.Objective) <= 1e-9 * Math.Abs(expected.Objective), $"kernel {objective:R} vs glpsol {expected.Objective:R}");
        var columns = EnergyModel.ByName((Dictionary<string, object?>)result["variables"]!, "value", "reduced_cost");
        var rows = EnergyModel.ByName((Dictionary<string, object?>)result["constraints"]!, "activity", "dual");
        Assert.Equal(2340, expected.Columns.Count);
        var bad = EnergyModel.Differences(expected.Columns, columns).Concat(EnergyModel.Differences(expected.Rows, rows)).ToList();
        Assert.True(bad.Count == 0, $"{bad.Count} of the {expected.Columns.Count} columns and {expected.Rows.Count} rows differ from glpsol, e.g.\n" + string.Join("\n", bad.Take(5)));
    }

    [Fact]
    public async Task The_kernel_returns_the_demo_result_tables()
    {
        await using var manager = new KernelManager();
        var energy = await manager.StartAsync(EnergyModel.Spec("energy-tables"));
        var result = await energy.Client.CallAsync<Dictionary<string, object?>>("solve",
            Arguments.None.With("model", EnergyModel.Model).With("data", new object?[] { EnergyModel.DemoData }));
        Assert.Equal("optimal", result["status"]);
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
    public async Task An_infeasible_LP_is_a_clear_status_and_the_kernel_carries_on()
    {
        // No demand level makes the demo infeasible (fossil supply is not capped), and demand x 1e9
        // only makes it numerically hopeless: glpsol itself stalls on it (no progress in 95 000
        // iterations). A capacity cap below zero new capacity is a plain infeasibility: a MaxCapacity
        // row reads sum(NewCapacity) <= TotalAnnualMaxCapacity - ResidualCapacity.
        await using var manager = new KernelManager();
        var energy = await manager.StartAsync(EnergyModel.Spec("energy-infeasible"));
        var client = energy.Client;
        var loaded = await client.CallAsync<Dictionary<string, object?>>("load",
            Arguments.None.With("model", EnergyModel.Model).With("data", new object?[] { EnergyModel.DemoData }));
        long handle = (long)loaded["handle"]!;
        var updated = await client.CallAsync<Dictionary<string, object?>>("set_row_bounds",
            Arguments.Of(handle, "MaxCapacity[ATLANTIS,PWRSOL,2030]", new[] { -1.0 }));
        Assert.Equal(1L, updated["updated"]);
        var result = await client.CallAsync<Dictionary<string, object?>>("solve_handle", Arguments.Of(handle));
        Assert.Equal("infeasible", result["status"]);
        Assert.Equal("ok", (await client.HealthAsync()).Status);
        Assert.Equal(3.0, await client.CallAsync<double>("add", 1.0, 2.0));
    }
}
