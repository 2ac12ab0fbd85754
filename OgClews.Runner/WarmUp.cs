using Mesh.Values;
using OgClews.Coupling;
using OgClews.Coupling.Orchestration;

namespace OgClews.Runner;

/// <summary>
/// Compiles the orchestrator's own code paths (acceleration, checkpoints, iteration records,
/// detail files, table conversion) while the kernels start, so that the first iterations do not
/// pay the JIT: starting the three kernels takes ≈0.3 s of waiting, which this work overlaps.
/// </summary>
internal static class WarmUp
{
    /// <summary>Runs a tiny in-process fixed-point problem through a real orchestrator and run folder with <paramref name="options"/>' method.</summary>
    public static async Task RunAsync(CoupledRunOptions options)
    {
        string folder = Path.Combine(Path.GetTempPath(), $"ogclews-warmup-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            var problem = FixedPointProblem.Concatenate([("gdp", [1.0, 1.02, 1.04]), ("r", [0.06, 0.06, 0.06])], OgClewsMap.ComponentNames);
            var orchestrator = new ConvergenceOrchestrator(new ContractionMap(), problem, new ConvergenceOptions
            {
                Accelerator = options.Accelerator(),
                Tolerance = 1e-12,
                MaxIterations = 6,
                RunFolder = folder,
                DurableCheckpoints = false,
            });
            await orchestrator.RunAsync().ConfigureAwait(false);
            double[] two = [1.0, 2.0];
            new Evaluation
            {
                Iteration = 0, Years = [2025, 2026], Gdp = two, InterestRate = two, DiscountRate = 0, Objective = 0,
                FinalEnergy = two, EnergySystemCost = two, CarbonPayments = two, EnergyCostIndex = two, EnergyPriceIndex = two,
                Emissions = two, CarbonRevenueShare = two, Investment = two, GdpOut = two, InterestRateOut = two,
                KernelSeconds = new() { ["energy"] = 0 },
            }.WriteJson(Path.Combine(folder, "evaluation.json"));
            var table = new Table().Add("year", new long[] { 2025, 2026 }).Add("value", two);
            _ = ValueConverter.ConvertTo<Table>(table);
            _ = TableCsv.Write(table);
        }
        finally
        {
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>x ↦ x/2 + 1: converges to 2 in every component.</summary>
    private sealed class ContractionMap : IFixedPointMap
    {
        public ValueTask<MapEvaluation> EvaluateAsync(double[] x, int iteration, CancellationToken ct)
        {
            var gx = x.Select(v => v / 2 + 1).ToArray();
            var times = OgClewsMap.ComponentNames.ToDictionary(n => n, _ => TimeSpan.Zero);
            return ValueTask.FromResult(new MapEvaluation(gx, times));
        }
    }
}
