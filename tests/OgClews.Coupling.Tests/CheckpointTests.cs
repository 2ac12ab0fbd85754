using System.Text.Json;
using OgClews.Coupling.Acceleration;
using OgClews.Coupling.Checkpointing;
using OgClews.Coupling.Orchestration;

namespace OgClews.Coupling.Tests;

public class CheckpointTests
{
    private const int Dimension = 8;

    private static readonly Func<double[], double[]> Map = TestMaps.CosineSystem(Dimension, seed: 11);

    private static readonly IReadOnlyDictionary<string, TimeSpan> Timings =
        new Dictionary<string, TimeSpan> { ["energy"] = TimeSpan.FromMilliseconds(1.5), ["etl"] = TimeSpan.FromMilliseconds(0.25), ["macro"] = TimeSpan.FromMilliseconds(2) };

    private static FixedPointProblem Problem() =>
        FixedPointProblem.Concatenate([("gdp", new double[4]), ("demand", new double[4])]);

    private static IFixedPointAccelerator Create(string kind) => kind switch
    {
        "damped" => new DampedRelaxation(0.5),
        "aitken" => new AitkenRelaxation(),
        _ => new AndersonAcceleration(new AndersonOptions { Depth = 4 }),
    };

    // Checkpoints are not flushed to disk (fsync) in most tests, to keep them fast; the truncation
    // test flushes.
    private static ConvergenceOptions Options(string kind, string? folder, int maxIterations = 200, double tolerance = 1e-12, bool durable = false) => new()
    {
        Accelerator = () => Create(kind),
        Tolerance = tolerance,
        MaxIterations = maxIterations,
        RunFolder = folder,
        DurableCheckpoints = durable,
    };

    public static TheoryData<string> Kinds => ["damped", "aitken", "anderson"];

    [Fact]
    public void Doubles_round_trip_bit_exactly_through_checkpoint_json()
    {
        var values = new List<double>
        {
            0.0, -0.0, 0.1, 1.0 / 3, Math.PI, -Math.E, double.Epsilon, -double.Epsilon, double.MaxValue, double.MinValue,
            2.2250738585072014E-308, 2.2250738585072009E-308, 1e-320, 9007199254740993.0, 1e16, 123456789012345680000.0,
            double.NaN, double.PositiveInfinity, double.NegativeInfinity, BitConverter.Int64BitsToDouble(0x3FF0000000000001),
        };
        var rng = new Random(42);
        for (int i = 0; i < 20000; i++)
        {
            double d = BitConverter.Int64BitsToDouble(rng.NextInt64(long.MinValue, long.MaxValue));
            if (!double.IsNaN(d)) values.Add(d); // NaN payloads are not kept: every NaN is written as "NaN"
        }
        var array = values.ToArray();

        string json = JsonSerializer.Serialize(array, CheckpointStore.Json);
        var back = JsonSerializer.Deserialize<double[]>(json, CheckpointStore.Json)!;
        Assert.Equal(array.Select(BitConverter.DoubleToInt64Bits), back.Select(BitConverter.DoubleToInt64Bits));

        // The same converter is used inside objects and dictionaries, and numbers are the shortest exact form.
        var state = new AcceleratorState { Kind = "k", Scalars = new Dictionary<string, double> { ["a"] = -0.0, ["b"] = 0.1 }, Lists = new Dictionary<string, double[][]> { ["l"] = [array[..50]] } };
        string stateJson = JsonSerializer.Serialize(state, CheckpointStore.Json);
        Assert.Contains("\"b\": 0.1", stateJson);
        Assert.Contains("\"a\": -0", stateJson);
        var stateBack = JsonSerializer.Deserialize<AcceleratorState>(stateJson, CheckpointStore.Json)!;
        Assert.Equal(BitConverter.DoubleToInt64Bits(-0.0), BitConverter.DoubleToInt64Bits(stateBack.Scalars["a"]));
        Assert.Equal(array[..50].Select(BitConverter.DoubleToInt64Bits), stateBack.Lists["l"][0].Select(BitConverter.DoubleToInt64Bits));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_run_cancelled_mid_iteration_resumes_bit_identically_without_repeating_an_iteration(string kind)
    {
        using var reference = new TempFolder();
        var full = await new ConvergenceOrchestrator(new FunctionMap(Map, Timings), Problem(), Options(kind, reference.Path)).RunAsync();
        Assert.Equal(ConvergenceStatus.Converged, full.Status);
        Assert.True(full.Iterations > 8, $"{full.Iterations} iterations");

        // Cancelled while evaluating iteration 5, i.e. after 5 completed iterations (0..4).
        using var folder = new TempFolder();
        using var cts = new CancellationTokenSource();
        var first = await new ConvergenceOrchestrator(new CancellingMap(Map, cancelAt: 5, cts, Timings), Problem(), Options(kind, folder.Path)).RunAsync(cts.Token);
        Assert.Equal(ConvergenceStatus.Cancelled, first.Status);
        Assert.Contains("during iteration 5", first.Message);
        Assert.Contains("iteration, 4, is checkpointed", first.Message);
        Assert.Equal(5, first.Iterations);

        // The last complete checkpoint is intact, nothing of iteration 5 was written.
        string[] files = [.. Directory.GetFiles(folder["checkpoints"]).Select(f => Path.GetFileName(f)).Order()];
        Assert.Equal(["iter-0000.json", "iter-0001.json", "iter-0002.json", "iter-0003.json", "iter-0004.json"], files);
        var checkpoint = JsonSerializer.Deserialize<CheckpointDocument>(File.ReadAllBytes(folder["checkpoints/iter-0004.json"]), CheckpointStore.Json)!;
        Assert.Equal(4, checkpoint.Iteration);
        AssertBits(first.Records[4].X, checkpoint.Record.X);
        AssertBits(first.NextX!, checkpoint.Next!);
        using (var state = JsonDocument.Parse(File.ReadAllBytes(folder["state.json"])))
            Assert.Equal("checkpoints/iter-0004.json", state.RootElement.GetProperty("latest").GetString());

        // A new orchestrator, a new accelerator, a new map: resume.
        var map = new FunctionMap(Map, Timings);
        var resumed = await new ConvergenceOrchestrator(map, Problem(), Options(kind, folder.Path)).ResumeAsync();
        Assert.Equal(ConvergenceStatus.Converged, resumed.Status);
        Assert.Equal(4, resumed.ResumedFromIteration);
        Assert.Empty(resumed.Warnings);
        Assert.Equal(5, map.EvaluatedIterations[0]);
        Assert.Equal(full.Iterations - 5, map.Evaluations);
        Assert.Equal(full.Iterations - 5, resumed.Evaluations);
        AssertSameRun(full, resumed);

        // iterations.csv has every iteration once, in order.
        var rows = File.ReadAllLines(folder["iterations.csv"]);
        Assert.Equal("iteration,residual,absolute_residual,step_size,method,energy_seconds,etl_seconds,macro_seconds,map_seconds,wall_seconds,overhead_seconds", rows[0]);
        Assert.Equal(Enumerable.Range(0, full.Iterations).Select(i => i.ToString()), rows.Skip(1).Select(r => r.Split(',')[0]));
        Assert.Equal("0.0015", rows[1].Split(',')[5]);
    }

    [Fact]
    public async Task A_discarded_run_resumes_with_a_higher_iteration_limit_bit_identically()
    {
        using var reference = new TempFolder();
        var full = await new ConvergenceOrchestrator(new FunctionMap(Map), Problem(), Options("anderson", reference.Path)).RunAsync();

        using var folder = new TempFolder();
        var stopped = await new ConvergenceOrchestrator(new FunctionMap(Map), Problem(), Options("anderson", folder.Path, maxIterations: 5)).RunAsync();
        Assert.Equal(ConvergenceStatus.MaxIterations, stopped.Status);

        // Resuming with the same limit reports the same stop without evaluating anything.
        var again = new FunctionMap(Map);
        var same = await new ConvergenceOrchestrator(again, Problem(), Options("anderson", folder.Path, maxIterations: 5)).ResumeAsync();
        Assert.Equal(ConvergenceStatus.MaxIterations, same.Status);
        Assert.Equal(0, again.Evaluations);

        var map = new FunctionMap(Map);
        var resumed = await new ConvergenceOrchestrator(map, Problem(), Options("anderson", folder.Path)).ResumeAsync();
        Assert.Equal(full.Iterations - 5, map.Evaluations);
        Assert.Equal(5, map.EvaluatedIterations[0]);
        AssertSameRun(full, resumed);
    }

    [Fact]
    public async Task A_truncated_last_checkpoint_falls_back_to_the_previous_one_with_a_warning()
    {
        using var reference = new TempFolder();
        var full = await new ConvergenceOrchestrator(new FunctionMap(Map), Problem(), Options("anderson", reference.Path)).RunAsync();

        using var folder = new TempFolder();
        await new ConvergenceOrchestrator(new FunctionMap(Map), Problem(), Options("anderson", folder.Path, maxIterations: 6, durable: true)).RunAsync();
        string last = folder["checkpoints/iter-0005.json"];
        var bytes = File.ReadAllBytes(last);
        File.WriteAllBytes(last, bytes[..(bytes.Length / 2)]);

        var map = new FunctionMap(Map);
        var resumed = await new ConvergenceOrchestrator(map, Problem(), Options("anderson", folder.Path, durable: true)).ResumeAsync();
        var warning = Assert.Single(resumed.Warnings);
        Assert.Contains("checkpoints/iter-0005.json is unreadable", warning);
        Assert.Contains("resumes from the previous complete checkpoint, checkpoints/iter-0004.json", warning);
        Assert.Equal(4, resumed.ResumedFromIteration);
        Assert.Equal(5, map.EvaluatedIterations[0]); // the lost iteration is evaluated again, the others are not
        Assert.Equal(full.Iterations - 5, map.Evaluations);
        Assert.True(File.Exists(last + ".corrupt"));
        AssertSameRun(full, resumed);

        // The new iteration 5 replaced the truncated file.
        var rewritten = JsonSerializer.Deserialize<CheckpointDocument>(File.ReadAllBytes(last), CheckpointStore.Json)!;
        AssertBits(full.Records[5].X, rewritten.Record.X);
    }

    [Fact]
    public async Task A_converged_run_is_reported_again_and_a_tighter_tolerance_continues_it_bit_identically()
    {
        using var reference = new TempFolder();
        var tight = await new ConvergenceOrchestrator(new FunctionMap(Map), Problem(), Options("anderson", reference.Path, tolerance: 1e-13)).RunAsync();

        using var folder = new TempFolder();
        var loose = await new ConvergenceOrchestrator(new FunctionMap(Map), Problem(), Options("anderson", folder.Path, tolerance: 1e-6)).RunAsync();
        Assert.Equal(ConvergenceStatus.Converged, loose.Status);
        Assert.True(loose.Iterations < tight.Iterations);

        var none = new FunctionMap(Map);
        var again = await new ConvergenceOrchestrator(none, Problem(), Options("anderson", folder.Path, tolerance: 1e-6)).ResumeAsync();
        Assert.Equal(ConvergenceStatus.Converged, again.Status);
        Assert.Equal(0, none.Evaluations);
        AssertBits(loose.X, again.X);

        var map = new FunctionMap(Map);
        var continued = await new ConvergenceOrchestrator(map, Problem(), Options("anderson", folder.Path, tolerance: 1e-13)).ResumeAsync();
        Assert.Equal(tight.Iterations - loose.Iterations, map.Evaluations);
        AssertSameRun(tight, continued);
    }

    [Fact]
    public async Task A_diverged_run_is_reported_again_without_evaluating()
    {
        using var folder = new TempFolder();
        var m = TestMaps.SymmetricWithEigenvalues([1.5, 0.3, -0.2, 0.6, 0.1, 0.2, 0.3, 0.4], seed: 5);
        var g = TestMaps.Affine(m, [1, 2, 3, 4, 5, 6, 7, 8]);
        var diverged = await new ConvergenceOrchestrator(new FunctionMap(g), Problem(), Options("damped", folder.Path) with { Accelerator = () => new DampedRelaxation(1) }).RunAsync();
        Assert.Equal(ConvergenceStatus.Diverged, diverged.Status);

        var map = new FunctionMap(g);
        var again = await new ConvergenceOrchestrator(map, Problem(), Options("damped", folder.Path) with { Accelerator = () => new DampedRelaxation(1) }).ResumeAsync();
        Assert.Equal(ConvergenceStatus.Diverged, again.Status);
        Assert.Equal(diverged.Message, again.Message);
        Assert.Equal(0, map.Evaluations);
    }

    [Fact]
    public async Task A_run_whose_map_returned_non_finite_values_is_reported_again_without_evaluating()
    {
        using var folder = new TempFolder();
        Func<double[], double[]> g = x => [.. Map(x).Select((v, i) => i == 6 && x[0] > 0.5 ? double.NaN : v)];
        var first = await new ConvergenceOrchestrator(new FunctionMap(g), Problem(), Options("damped", folder.Path)).RunAsync();
        Assert.Equal(ConvergenceStatus.Diverged, first.Status);
        Assert.Contains("block 'demand', index 2", first.Message);

        var map = new FunctionMap(g);
        var again = await new ConvergenceOrchestrator(map, Problem(), Options("damped", folder.Path)).ResumeAsync();
        Assert.Equal(ConvergenceStatus.Diverged, again.Status);
        Assert.Equal(first.Message, again.Message);
        Assert.Equal(0, map.Evaluations);
        Assert.True(double.IsNaN(again.GX![6]));
    }

    [Fact]
    public async Task Resume_refuses_another_accelerator_setting_or_problem_shape_and_run_refuses_a_used_folder()
    {
        using var folder = new TempFolder();
        await new ConvergenceOrchestrator(new FunctionMap(Map), Problem(), Options("anderson", folder.Path, maxIterations: 3)).RunAsync();

        var e = await Assert.ThrowsAsync<CouplingException>(() =>
            new ConvergenceOrchestrator(new FunctionMap(Map), Problem(), Options("anderson", folder.Path)).RunAsync());
        Assert.Contains("already holds checkpoints", e.Message);

        e = await Assert.ThrowsAsync<CouplingException>(() =>
            new ConvergenceOrchestrator(new FunctionMap(Map), Problem(), Options("anderson", folder.Path) with { Accelerator = () => new AndersonAcceleration(new AndersonOptions { Depth = 6 }) }).ResumeAsync());
        Assert.Contains("depth = 4", e.Message);

        e = await Assert.ThrowsAsync<CouplingException>(() =>
            new ConvergenceOrchestrator(new FunctionMap(Map), Problem(), Options("aitken", folder.Path)).ResumeAsync());
        Assert.Contains("'anderson'", e.Message);

        var other = FixedPointProblem.Concatenate([("gdp", new double[4]), ("r", new double[4])]);
        e = await Assert.ThrowsAsync<CouplingException>(() =>
            new ConvergenceOrchestrator(new FunctionMap(Map), other, Options("anderson", folder.Path)).ResumeAsync());
        Assert.Contains("blocks [gdp:4, demand:4]", e.Message);

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            new ConvergenceOrchestrator(new FunctionMap(Map), Problem(), Options("anderson", null)).ResumeAsync());
    }

    [Fact]
    public async Task Resuming_an_empty_folder_starts_from_the_initial_guess_with_a_warning()
    {
        using var folder = new TempFolder();
        var map = new FunctionMap(Map);
        var r = await new ConvergenceOrchestrator(map, Problem(), Options("anderson", folder.Path)).ResumeAsync();
        Assert.Equal(ConvergenceStatus.Converged, r.Status);
        Assert.Contains("starts from the initial guess", Assert.Single(r.Warnings));
        Assert.Null(r.ResumedFromIteration);
        Assert.Equal(0, map.EvaluatedIterations[0]);
    }

    [Fact]
    public async Task When_every_checkpoint_is_unreadable_resume_fails_instead_of_starting_over()
    {
        using var folder = new TempFolder();
        await new ConvergenceOrchestrator(new FunctionMap(Map), Problem(), Options("anderson", folder.Path, maxIterations: 2)).RunAsync();
        foreach (string f in Directory.GetFiles(folder["checkpoints"])) File.WriteAllText(f, "{\"format\":");
        var e = await Assert.ThrowsAsync<CouplingException>(() =>
            new ConvergenceOrchestrator(new FunctionMap(Map), Problem(), Options("anderson", folder.Path)).ResumeAsync());
        Assert.Contains("No checkpoint", e.Message);
    }

    [Fact]
    public async Task Csv_columns_follow_the_problem_or_every_component_the_map_reports()
    {
        using var folder = new TempFolder();
        int calls = 0;
        var map = new VaryingTimingsMap(() => ++calls switch
        {
            1 => new Dictionary<string, TimeSpan> { ["energy"] = TimeSpan.FromSeconds(1) },
            _ => new Dictionary<string, TimeSpan> { ["energy"] = TimeSpan.FromSeconds(2), ["macro, OG"] = TimeSpan.FromSeconds(3) },
        });
        await new ConvergenceOrchestrator(map, Problem(), Options("anderson", folder.Path, maxIterations: 3)).RunAsync();
        var rows = File.ReadAllLines(folder["iterations.csv"]);
        Assert.Equal(4, rows.Length);
        Assert.StartsWith("iteration,residual,absolute_residual,step_size,method,energy_seconds,\"macro, OG_seconds\",map_seconds", rows[0]);
        Assert.Equal("1", rows[1].Split(',')[5]);
        Assert.Equal("", rows[1].Split(',')[6]);
        Assert.Equal("3", rows[2].Split(',')[6]);

        using var named = new TempFolder();
        var problem = new FixedPointProblem(new double[Dimension], componentNames: ["macro", "energy"]);
        await new ConvergenceOrchestrator(new FunctionMap(Map, Timings), problem, Options("anderson", named.Path, maxIterations: 2)).RunAsync();
        rows = File.ReadAllLines(named["iterations.csv"]);
        Assert.StartsWith("iteration,residual,absolute_residual,step_size,method,macro_seconds,energy_seconds,map_seconds", rows[0]);
        Assert.Equal("0.002", rows[1].Split(',')[5]);
    }

    private sealed class VaryingTimingsMap(Func<IReadOnlyDictionary<string, TimeSpan>> timings) : IFixedPointMap
    {
        public ValueTask<MapEvaluation> EvaluateAsync(double[] x, int iteration, CancellationToken ct) =>
            ValueTask.FromResult(new MapEvaluation(Map(x), timings()));
    }

    private static void AssertSameRun(ConvergenceResult expected, ConvergenceResult actual)
    {
        Assert.Equal(expected.Status, actual.Status);
        Assert.Equal(expected.Iterations, actual.Iterations);
        AssertBits(expected.X, actual.X);
        AssertBits(expected.GX!, actual.GX!);
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected.Residual), BitConverter.DoubleToInt64Bits(actual.Residual));
        Assert.Equal(expected.Records.Count, actual.Records.Count);
        for (int k = 0; k < expected.Records.Count; k++)
        {
            Assert.Equal(k, actual.Records[k].Iteration);
            AssertBits(expected.Records[k].X, actual.Records[k].X);
            AssertBits(expected.Records[k].GX, actual.Records[k].GX);
            Assert.Equal(expected.Records[k].Method, actual.Records[k].Method);
            Assert.Equal(BitConverter.DoubleToInt64Bits(expected.Records[k].Residual), BitConverter.DoubleToInt64Bits(actual.Records[k].Residual));
        }
    }

    private static void AssertBits(double[] expected, double[] actual) =>
        Assert.Equal(expected.Select(BitConverter.DoubleToInt64Bits), actual.Select(BitConverter.DoubleToInt64Bits));
}
