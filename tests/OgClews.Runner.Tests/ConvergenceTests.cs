using OgClews.Coupling.Orchestration;
using OgClews.Runner;

namespace OgClews.Runner.Tests;

/// <summary>The coupled demo on the real kernels, with each method.</summary>
public class ConvergenceTests
{
    [Fact]
    public async Task Each_method_converges_below_the_tolerance_and_the_three_agree_on_the_paths()
    {
        var results = new Dictionary<string, CoupledRunResult>();
        foreach (string method in CoupledRunOptions.Methods)
        {
            var options = Runs.Options(method, Runs.NewFolder(method));
            var result = await CoupledRun.RunAsync(options);
            Assert.Equal(ConvergenceStatus.Converged, result.Convergence.Status);
            // The stopping rule is the true relative residual of the last evaluated iterate, recomputed here.
            var last = result.Convergence.Records[^1];
            double residual = 0;
            for (int i = 0; i < last.X.Length; i++)
                residual = Math.Max(residual, Math.Abs(last.GX[i] - last.X[i]) / Math.Max(Math.Abs(last.GX[i]), 1e-8));
            Assert.Equal(residual, last.Residual, 15);
            Assert.True(residual < options.Tolerance, $"{method}: residual {residual} at exit");
            Assert.True(File.Exists(Path.Combine(options.OutputFolder, "paths.csv")));
            Assert.True(File.Exists(Path.Combine(options.OutputFolder, "energy", "Demand.csv")));
            results[method] = result;
        }

        var reference = results["anderson"].Convergence.GX!;
        foreach (var (method, result) in results)
        {
            var gx = result.Convergence.GX!;
            for (int i = 0; i < gx.Length; i++)
                Assert.True(Math.Abs(gx[i] - reference[i]) <= 1e-5 * Math.Abs(reference[i]), $"{method} differs from anderson at component {i}: {gx[i]} vs {reference[i]}");
        }

        // The coupling does something: GDP reacts to cheaper energy, demand follows GDP.
        var a = results["anderson"];
        Assert.NotEqual(a.Baseline.Gdp[^1], a.Final.GdpOut[^1]);
        Assert.NotEqual(a.Baseline.FinalEnergy[^1], a.Final.FinalEnergy[^1]);

        int anderson = results["anderson"].Convergence.Iterations, damped = results["damped"].Convergence.Iterations;
        Assert.True(3 * anderson <= damped, $"Anderson took {anderson} iterations, damped alpha = 0.5 {damped}: more than a third");
    }
}
