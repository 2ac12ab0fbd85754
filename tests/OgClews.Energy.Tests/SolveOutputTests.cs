using Mesh;
using Mesh.Client;
using Mesh.Client.Managing;
using Mesh.Values;

namespace OgClews.Energy.Tests;

/// <summary>solve's return_variables / return_constraints options: the coupled run reads only the model's result tables.</summary>
public class SolveOutputTests
{
    [Fact]
    public async Task Variables_and_constraints_can_be_left_out_without_changing_the_solution_or_the_tables()
    {
        await using var manager = new KernelManager();
        var energy = await manager.StartAsync(EnergyModel.Spec("energy"));
        async Task<Dictionary<string, object?>> Solve(Dictionary<string, object?> options) =>
            await energy.Client.CallAsync<Dictionary<string, object?>>("solve",
                Arguments.None.With("model", EnergyModel.Model).With("data", new object?[] { EnergyModel.DemoData }).With("options", options));

        var full = await Solve(new() { ["presolve"] = false });
        var lean = await Solve(new() { ["presolve"] = false, ["return_variables"] = false, ["return_constraints"] = false });

        Assert.Equal(full["objective"], lean["objective"]);
        Assert.NotEmpty((Dictionary<string, object?>)full["variables"]!);
        Assert.Empty((Dictionary<string, object?>)lean["variables"]!);
        Assert.Empty((Dictionary<string, object?>)lean["constraints"]!);
        var fullTables = (Dictionary<string, object?>)full["tables"]!;
        var leanTables = (Dictionary<string, object?>)lean["tables"]!;
        Assert.Equal(fullTables.Keys.Order(), leanTables.Keys.Order());
        Assert.Equal((Table)fullTables["NewCapacity.csv"]!, (Table)leanTables["NewCapacity.csv"]!);
    }

    [Fact]
    public async Task A_non_boolean_return_option_is_refused_naming_it()
    {
        await using var manager = new KernelManager();
        var energy = await manager.StartAsync(EnergyModel.Spec("energy"));
        var e = await Assert.ThrowsAsync<RemoteTaskException>(() => energy.Client.CallAsync("solve",
            Arguments.None.With("model", EnergyModel.Model).With("data", new object?[] { EnergyModel.DemoData })
                .With("options", new Dictionary<string, object?> { ["return_variables"] = "no" })));
        Assert.Contains("return_variables must be a bool", e.Message);
    }
}
