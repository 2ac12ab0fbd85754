using OgClews.Coupling.Acceleration;
using OgClews.Coupling.Orchestration;
using Xunit.Abstractions;

namespace OgClews.Coupling.Tests;

public class ConvergenceTests(ITestOutputHelper output)
{
    private static async Task<ConvergenceResult> Solve(Func<double[], double[]> g, double[] x0, IFixedPointAccelerator accelerator,
        double tolerance = 1e-10, int maxIterations = 2000, Func<ConvergenceOptions, ConvergenceOptions>? configure = null)
    {
        var options = new ConvergenceOptions { Accelerator = () => accelerator, Tolerance = tolerance, MaxIterations = maxIterations };
        if (configure is not null) options = configure(options);
        return await new ConvergenceOrchestrator(new FunctionMap(g), new FixedPointProblem(x0), options).RunAsync();
    }

    private static AndersonAcceleration PureAnderson(int depth) =>
        new(new AndersonOptions { Depth = depth, Regularization = 0, SafeguardGrowthFactor = double.PositiveInfinity });

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(8)]
    public async Task Anderson_with_depth_n_reaches_the_fixed_point_of_an_affine_map_by_x_n_plus_1(int n)
    {
        // Non-symmetric M with eigenvalues spread over [−0.8, 0.8]: a contraction with transient growth.
        var m = TestMaps.WithEigenvalues([.. Enumerable.Range(0, n).Select(i => -0.8 + 1.6 * i / (n - 1))], seed: n);
        double[] b = [.. Enumerable.Range(0, n).Select(i => 1.0 + i)];
        var xStar = TestMaps.AffineFixedPoint(m, b);

        var pure = await Solve(TestMaps.Affine(m, b), new double[n], PureAnderson(n));
        Assert.Equal(ConvergenceStatus.Converged, pure.Status);
        Assert.True(pure.Records[^1].Iteration <= n + 1, $"converged at x_{pure.Records[^1].Iteration}, n = {n}");
        for (int i = 0; i < n; i++) Assert.Equal(xStar[i], pure.X[i], 1e-9 * (1 + Math.Abs(xStar[i])));

        // The default safeguards and regularisation cost at most two more steps here.
        var regularised = await Solve(TestMaps.Affine(m, b), new double[n], new AndersonAcceleration(new AndersonOptions { Depth = n }));
        Assert.Equal(ConvergenceStatus.Converged, regularised.Status);
        Assert.True(regularised.Records[^1].Iteration <= n + 3);

        var damped = await Solve(TestMaps.Affine(m, b), new double[n], new DampedRelaxation(0.5));
        output.WriteLine($"affine n={n}: anderson (λ=0) converged at x_{pure.Records[^1].Iteration}, anderson (defaults, depth n) at x_{regularised.Records[^1].Iteration}, damped α=0.5 at x_{damped.Records[^1].Iteration}");
    }

    [Fact]
    public async Task Anderson_needs_at_most_a_third_of_the_damped_iterations_on_a_mildly_nonlinear_map()
    {
        var g = TestMaps.MildlyNonlinear(20, seed: 7);
        var damped = await Solve(g, new double[20], new DampedRelaxation(0.5));
        var anderson = await Solve(g, new double[20], new AndersonAcceleration());
        var aitken = await Solve(g, new double[20], new AitkenRelaxation());
        output.WriteLine($"mildly nonlinear n=20: damped α=0.5 {damped.Iterations} iterations, Aitken {aitken.Iterations}, Anderson(m=5) {anderson.Iterations}");
        Assert.Equal(ConvergenceStatus.Converged, damped.Status);
        Assert.Equal(ConvergenceStatus.Converged, anderson.Status);
        Assert.Equal(ConvergenceStatus.Converged, aitken.Status);
        Assert.True(3 * anderson.Iterations <= damped.Iterations, $"Anderson {anderson.Iterations} vs damped {damped.Iterations}");
        AssertClose(damped.X, anderson.X, 1e-8);
        AssertClose(damped.X, aitken.X, 1e-8);
    }

    public static TheoryData<string> NonlinearMaps => ["cosine", "olg"];

    [Theory]
    [MemberData(nameof(NonlinearMaps))]
    public async Task All_three_methods_reach_tolerance_and_agree_on_a_nonlinear_map(string name)
    {
        var (g, x0) = name == "cosine"
            ? (TestMaps.CosineSystem(8, seed: 3), new double[8])
            : (TestMaps.OlgInterestPath(30), Enumerable.Repeat(0.1, 30).ToArray());
        var results = new Dictionary<string, ConvergenceResult>
        {
            ["damped"] = await Solve(g, x0, new DampedRelaxation(0.5)),
            ["aitken"] = await Solve(g, x0, new AitkenRelaxation()),
            ["anderson"] = await Solve(g, x0, new AndersonAcceleration()),
        };
        output.WriteLine($"{name}: " + string.Join(", ", results.Select(r => $"{r.Key} {r.Value.Iterations} iterations (residual {r.Value.Residual:G3})")));
        foreach (var (method, r) in results)
        {
            Assert.True(r.Status == ConvergenceStatus.Converged, $"{method}: {r.Message}");
            Assert.True(r.Residual < 1e-10);
            // The reported residual is the true one of the returned x.
            var gx = g(r.X);
            Assert.All(Enumerable.Range(0, x0.Length), i => Assert.True(Math.Abs(gx[i] - r.X[i]) <= 1e-10 * Math.Max(Math.Abs(gx[i]), 1e-8)));
        }
        AssertClose(results["damped"].X, results["aitken"].X, 1e-8);
        AssertClose(results["damped"].X, results["anderson"].X, 1e-8);
        if (name == "olg")
        {
            // Capital accumulates from k0 below the steady state, so the interest rate falls along the path.
            var r = results["anderson"].X;
            Assert.True(r[0] > r[10] && r[10] > r[29]);
        }
    }

    [Fact]
    public async Task The_run_stops_on_the_true_residual_never_on_a_tiny_step()
    {
        // α = 1e-12: every step is ~1e-12, far below the tolerance, while the residual stays ~1.
        Func<double[], double[]> g = x => [.. x.Select(v => 0.5 * v + 1)];
        var r = await Solve(g, [0, 0, 0], new DampedRelaxation(1e-12), maxIterations: 30,
            configure: o => o with { OscillationWindow = 0, DivergenceWindow = 0 });
        Assert.Equal(ConvergenceStatus.MaxIterations, r.Status);
        Assert.Equal(30, r.Iterations);
        Assert.All(r.Records, rec =>
        {
            Assert.True(rec.StepSize < 1e-10, $"step {rec.StepSize}");
            Assert.True(rec.Residual > 0.99, $"residual {rec.Residual}");
            Assert.Equal(StepMethods.Damped, rec.Method);
        });
        Assert.Contains("Not converged after 30 iterations", r.Message);

        // With the default criteria the stall is reported as such after two windows.
        var stalled = await Solve(g, [0, 0, 0], new DampedRelaxation(1e-12), maxIterations: 100);
        Assert.Equal(ConvergenceStatus.Oscillating, stalled.Status);
        Assert.Equal(20, stalled.Iterations);
        Assert.Contains("stagnating", stalled.Message);
    }

    [Fact]
    public async Task Plain_iteration_of_an_expanding_map_diverges_and_anderson_still_solves_it()
    {
        var m = TestMaps.SymmetricWithEigenvalues([1.5, 0.3, -0.2, 0.6], seed: 5); // spectral radius 1.5
        double[] b = [1, 2, 3, 4];
        var plain = await Solve(TestMaps.Affine(m, b), new double[4], new DampedRelaxation(1.0));
        output.WriteLine($"expanding map: damped α=1 {plain.Status} after {plain.Iterations}: {plain.Message}");
        Assert.Equal(ConvergenceStatus.Diverged, plain.Status);
        Assert.Contains("grew in each of the last", plain.Message);
        Assert.True(plain.Iterations <= 12);

        var anderson = await Solve(TestMaps.Affine(m, b), new double[4], new AndersonAcceleration());
        output.WriteLine($"expanding map: Anderson {anderson.Status} after {anderson.Iterations}");
        Assert.Equal(ConvergenceStatus.Converged, anderson.Status);
        AssertClose(TestMaps.AffineFixedPoint(m, b), anderson.X, 1e-9);
    }

    [Fact]
    public async Task A_non_finite_map_value_is_divergence_naming_the_block()
    {
        var problem = FixedPointProblem.Concatenate([("gdp", [1.0, 1.0]), ("r", [0.05, 0.05])]);
        var map = new FunctionMap(x => [x[0], x[1], x[2], double.PositiveInfinity]);
        var r = await new ConvergenceOrchestrator(map, problem, new ConvergenceOptions()).RunAsync();
        Assert.Equal(ConvergenceStatus.Diverged, r.Status);
        Assert.Contains("block 'r', index 1", r.Message);
        Assert.Null(r.NextX);
        Assert.Equal(1, r.Iterations);
    }

    [Fact]
    public async Task A_residual_above_the_threshold_is_divergence()
    {
        var r = await Solve(_ => [1e-3], [1e9], new DampedRelaxation(0.5));
        Assert.Equal(ConvergenceStatus.Diverged, r.Status);
        Assert.Contains("exceeds the divergence threshold", r.Message);
        Assert.Equal(1, r.Iterations);
    }

    [Fact]
    public async Task A_two_cycle_is_oscillation_and_damping_removes_it()
    {
        var cycle = await Solve(TestMaps.Logistic, [0.3], new DampedRelaxation(1.0));
        output.WriteLine($"logistic, α=1: {cycle.Status} after {cycle.Iterations}: {cycle.Message}");
        Assert.Equal(ConvergenceStatus.Oscillating, cycle.Status);
        Assert.Contains("alternating", cycle.Message);
        Assert.Equal(20, cycle.Iterations);

        var damped = await Solve(TestMaps.Logistic, [0.3], new DampedRelaxation(0.5));
        Assert.Equal(ConvergenceStatus.Converged, damped.Status);
        Assert.Equal(0.6875, damped.X[0], 9);
        var anderson = await Solve(TestMaps.Logistic, [0.3], new AndersonAcceleration());
        var aitken = await Solve(TestMaps.Logistic, [0.3], new AitkenRelaxation());
        output.WriteLine($"logistic: damped α=0.5 {damped.Iterations}, Aitken {aitken.Iterations}, Anderson {anderson.Iterations} iterations");
        Assert.Equal(ConvergenceStatus.Converged, anderson.Status);
        Assert.Equal(ConvergenceStatus.Converged, aitken.Status);
    }

    [Fact]
    public void Residual_norms_componentwise_blockwise_normwise()
    {
        var problem = new FixedPointProblem([10000, 20000, 0.05, 0.0], [new("gdp", 0, 2), new("r", 2, 2, Floor: 1e-3)]);
        double[] x = [10000, 20000, 0.05, 0.0];
        double[] g = [10010, 20000, 0.0505, 1e-6];
        var options = new ConvergenceOptions();

        var c = Residuals.Measure(x, g, problem, options with { Norm = ResidualNorm.Componentwise });
        Assert.Equal(10 / 10010.0, c.Blocks["gdp"], 15);
        Assert.Equal(Math.Max(0.0005 / 0.0505, 1e-6 / 1e-3), c.Blocks["r"], 12); // the r block's floor 1e-3 applies to r[1] ≈ 0
        Assert.Equal(c.Blocks.Values.Max(), c.Relative);
        Assert.Equal(10, c.Absolute, 12);

        var b = Residuals.Measure(x, g, problem, options with { Norm = ResidualNorm.Blockwise });
        Assert.Equal(10 / 20000.0, b.Blocks["gdp"], 15);
        Assert.Equal(0.0005 / 0.0505, b.Blocks["r"], 12);
        Assert.Equal(0.0005 / 0.0505, b.Relative, 12); // the interest rate is not swamped by GDP

        var n = Residuals.Measure(x, g, problem, options with { Norm = ResidualNorm.Normwise });
        Assert.Equal(10 / 20000.0, n.Relative, 15);
    }

    [Fact]
    public async Task Records_carry_component_timings_map_time_and_overhead()
    {
        var timings = new Dictionary<string, TimeSpan> { ["energy"] = TimeSpan.FromMilliseconds(3), ["macro"] = TimeSpan.FromMilliseconds(2) };
        var map = new SlowMap(x => [.. x.Select(v => 0.5 * v + 1)], timings, TimeSpan.FromMilliseconds(5));
        var problem = new FixedPointProblem([0.0, 0.0]);
        var r = await new ConvergenceOrchestrator(map, problem, new ConvergenceOptions { Accelerator = () => new AndersonAcceleration(), Tolerance = 1e-12 }).RunAsync();
        Assert.Equal(ConvergenceStatus.Converged, r.Status);
        Assert.All(r.Records, rec =>
        {
            Assert.Equal(timings, rec.ComponentTimes);
            Assert.True(rec.MapTime >= TimeSpan.FromMilliseconds(4), $"map time {rec.MapTime}");
            Assert.True(rec.WallTime >= rec.MapTime);
            Assert.Equal(rec.WallTime - rec.MapTime, rec.Overhead);
        });
        Assert.True(r.MapTime >= TimeSpan.FromMilliseconds(4 * r.Iterations));
        Assert.Equal(r.Iterations, r.Evaluations);
    }

    [Fact]
    public async Task A_map_result_of_the_wrong_length_is_an_error()
    {
        var o = new ConvergenceOrchestrator(new FunctionMap(_ => [1.0]), new FixedPointProblem([1.0, 2.0]));
        var e = await Assert.ThrowsAsync<CouplingException>(() => o.RunAsync());
        Assert.Contains("returned 1 values at iteration 0", e.Message);
    }

    [Fact]
    public async Task The_iteration_limit_counts_evaluations_and_leaves_the_next_iterate()
    {
        var r = await Solve(TestMaps.CosineSystem(3, 1), new double[3], new DampedRelaxation(0.1), maxIterations: 4);
        Assert.Equal(ConvergenceStatus.MaxIterations, r.Status);
        Assert.Equal(4, r.Iterations);
        Assert.Equal(4, r.Evaluations);
        Assert.NotNull(r.NextX);
        Assert.Equal([0, 1, 2, 3], r.Records.Select(x => x.Iteration));
    }

    private static void AssertClose(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"[{i}]: {expected[i]:R} vs {actual[i]:R}");
    }

    private sealed class SlowMap(Func<double[], double[]> g, IReadOnlyDictionary<string, TimeSpan> timings, TimeSpan delay) : IFixedPointMap
    {
        public async ValueTask<MapEvaluation> EvaluateAsync(double[] x, int iteration, CancellationToken ct)
        {
            await Task.Delay(delay, ct);
            return new MapEvaluation(g(x), timings);
        }
    }
}
