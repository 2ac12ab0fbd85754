using Mesh;
using Mesh.Client;
using Mesh.Client.Managing;
using Mesh.Values;

namespace OgClews.Energy.Tests;

/// <summary>
/// solve's output options: return_variables / return_constraints (the coupled run reads only the
/// model's result tables), return_tables (only some of those) and keep_outputs (the model's files
/// kept in a folder, where the ETL kernel reads them).
/// </summary>
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

    [Fact]
    public async Task Only_the_tables_asked_for_travel_and_keep_outputs_holds_every_file_the_model_wrote()
    {
        await using var manager = new KernelManager();
        var energy = await manager.StartAsync(EnergyModel.Spec("energy"));
        string keep = Path.Combine(Path.GetTempPath(), $"keep-outputs-{Guid.NewGuid():N}", "nested", "energy");
        try
        {
            async Task<Dictionary<string, object?>> Solve(Dictionary<string, object?> options) =>
                await energy.Client.CallAsync<Dictionary<string, object?>>("solve",
                    Arguments.None.With("model", EnergyModel.Model).With("data", new object?[] { EnergyModel.DemoData }).With("options", options));
            var full = await Solve(new() { ["presolve"] = false, ["return_variables"] = false, ["return_constraints"] = false });
            var fullTables = (Dictionary<string, object?>)full["tables"]!;
            // A stale file of the same name is replaced, and the folder (with its parents) is created.
            Directory.CreateDirectory(keep);
            File.WriteAllText(Path.Combine(keep, "Demand.csv"), "stale");
            var lean = await Solve(new()
            {
                ["presolve"] = false, ["return_variables"] = false, ["return_constraints"] = false,
                ["return_tables"] = new object?[] { "Demand", "NewCapacity.csv" }, ["keep_outputs"] = keep,
            });
            Assert.Equal(full["objective"], lean["objective"]);
            var leanTables = (Dictionary<string, object?>)lean["tables"]!;
            Assert.Equal(["Demand.csv", "NewCapacity.csv"], leanTables.Keys.Order());
            Assert.Equal((Table)fullTables["Demand.csv"]!, (Table)leanTables["Demand.csv"]!);
            Assert.Equal(fullTables.Keys.Order(), Directory.GetFiles(keep).Select(Path.GetFileName).Order());
            Assert.StartsWith("REGION,", File.ReadAllText(Path.Combine(keep, "Demand.csv")));
            Assert.Empty(Directory.GetFiles(keep, "*.part"));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(Path.GetDirectoryName(keep))!, recursive: true);
        }
    }

    [Theory]
    [InlineData("return_tables", "Demand", "return_tables must be a list of table names")]
    [InlineData("keep_outputs", "", "keep_outputs must be a folder path")]
    public async Task Bad_output_options_are_refused_naming_them(string option, string value, string message)
    {
        await using var manager = new KernelManager();
        var energy = await manager.StartAsync(EnergyModel.Spec("energy"));
        var e = await Assert.ThrowsAsync<RemoteTaskException>(() => energy.Client.CallAsync("solve",
            Arguments.None.With("model", EnergyModel.Model).With("data", new object?[] { EnergyModel.DemoData })
                .With("options", new Dictionary<string, object?> { [option] = value })));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public async Task A_keep_outputs_folder_that_cannot_be_created_fails_the_solve_naming_it()
    {
        await using var manager = new KernelManager();
        var energy = await manager.StartAsync(EnergyModel.Spec("energy"));
        string file = Path.GetTempFileName();
        try
        {
            var e = await Assert.ThrowsAsync<RemoteTaskException>(() => energy.Client.CallAsync("solve",
                Arguments.None.With("model", EnergyModel.Model).With("data", new object?[] { EnergyModel.DemoData })
                    .With("options", new Dictionary<string, object?> { ["keep_outputs"] = Path.Combine(file, "sub") })));
            Assert.Contains("keep_outputs", e.Message);
            Assert.Contains(file, e.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
