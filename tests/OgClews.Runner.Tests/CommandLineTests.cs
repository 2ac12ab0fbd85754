namespace OgClews.Runner.Tests;

/// <summary>Bad input to ogclews: a clear message naming the problem, and a non-zero exit.</summary>
public class CommandLineTests
{
    [Fact]
    public async Task An_unknown_scenario_is_refused_with_the_known_ones()
    {
        var (code, _, err) = await Runs.RunCliAsync("converge", "--scenario", "atlantis2", "--out", Runs.NewFolder("bad"));
        Assert.Equal(2, code);
        Assert.Contains("unknown scenario 'atlantis2'", err);
        Assert.Contains("demo, carbon", err);
    }

    [Fact]
    public async Task An_unknown_method_and_a_bad_tolerance_are_refused_naming_the_option()
    {
        var (code, _, err) = await Runs.RunCliAsync("converge", "--method", "newton", "--out", Runs.NewFolder("bad"));
        Assert.NotEqual(0, code);
        Assert.Contains("newton", err);

        (code, _, err) = await Runs.RunCliAsync("converge", "--tol", "0", "--out", Runs.NewFolder("bad"));
        Assert.Equal(2, code);
        Assert.Contains("--tol", err);
    }

    [Fact]
    public async Task A_folder_holding_a_run_is_not_overwritten_without_resume()
    {
        string folder = Runs.NewFolder("taken");
        Directory.CreateDirectory(Path.Combine(folder, "checkpoints"));
        File.WriteAllText(Path.Combine(folder, "checkpoints", "iter-0000.json"), "{}");
        var (code, _, err) = await Runs.RunCliAsync("converge", "--macro-S", "40", "--out", folder);
        Assert.Equal(3, code);
        Assert.Contains("already holds a run", err);
        Assert.Equal("{}", File.ReadAllText(Path.Combine(folder, "checkpoints", "iter-0000.json")));
    }

    [Fact]
    public async Task Kernels_command_starts_and_checks_the_three_kernels()
    {
        var (code, stdout, err) = await Runs.RunCliAsync("kernels");
        Assert.True(code == 0, err);
        foreach (string id in new[] { "energy", "etl", "macro" }) Assert.Contains(id + " ", stdout);
        Assert.Contains("solve", stdout);
        Assert.Contains("macro_to_energy", stdout);
    }
}
