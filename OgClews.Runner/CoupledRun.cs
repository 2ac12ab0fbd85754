using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Mesh.Values;
using OgClews.Coupling;
using OgClews.Coupling.Acceleration;
using OgClews.Coupling.Orchestration;
using OgClews.Reporting;

namespace OgClews.Runner;

/// <summary>Settings of a coupled run (the <c>ogclews converge</c> options).</summary>
public sealed record CoupledRunOptions
{
    /// <summary>The methods <see cref="Method"/> accepts.</summary>
    public static IReadOnlyList<string> Methods { get; } = ["anderson", "aitken", "damped"];

    /// <summary>A built-in scenario name (<see cref="Scenario.BuiltInNames"/>); ignored when <see cref="ScenarioDefinition"/> is set.</summary>
    public string Scenario { get; init; } = "demo";

    /// <summary>A scenario given in full (overrides <see cref="Scenario"/>).</summary>
    public Scenario? ScenarioDefinition { get; init; }

    /// <summary>Macro parameters overriding the scenario's (e.g. <c>S</c> for a shorter life cycle).</summary>
    public IReadOnlyDictionary<string, object?> MacroOverrides { get; init; } = new Dictionary<string, object?>();

    /// <summary><c>anderson</c> (default), <c>aitken</c> or <c>damped</c>.</summary>
    public string Method { get; init; } = "anderson";

    /// <summary>Stop when the relative L∞ residual ‖G(x) − x‖∞ / max(|G(x)|, ε) is below this.</summary>
    public double Tolerance { get; init; } = 1e-6;

    /// <summary>The iteration limit.</summary>
    public int MaxIterations { get; init; } = 60;

    /// <summary>Relaxation weight α of the damped method (and the fallback step of the others).</summary>
    public double Alpha { get; init; } = 0.5;

    /// <summary>Anderson history depth m.</summary>
    public int AndersonDepth { get; init; } = 5;

    /// <summary>The run folder (created). Must be empty of checkpoints unless <see cref="Resume"/>.</summary>
    public required string OutputFolder { get; init; }

    /// <summary>Continue the run in <see cref="OutputFolder"/> from its last complete iteration.</summary>
    public bool Resume { get; init; }

    /// <summary>
    /// Start afresh in an <see cref="OutputFolder"/> that holds an earlier run: its run files (and only
    /// those, see <see cref="CoupledRun.RunFiles"/>) are deleted first. Not with <see cref="Resume"/>.
    /// </summary>
    public bool Overwrite { get; init; }

    /// <summary>Fsync every checkpoint (off only for tests that time out on slow disks).</summary>
    public bool DurableCheckpoints { get; init; } = true;

    /// <summary>Checks the values; the message names the option.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public void Validate()
    {
        if (!Methods.Contains(Method)) throw new ArgumentException($"--method: '{Method}' is not one of {string.Join(", ", Methods)}");
        if (!(Tolerance > 0 && Tolerance < 1)) throw new ArgumentException($"--tol: {Tolerance.ToString(CultureInfo.InvariantCulture)} must be in (0, 1)");
        if (MaxIterations < 1) throw new ArgumentException($"--max-iter: {MaxIterations} must be at least 1");
        if (!(Alpha > 0 && Alpha <= 1)) throw new ArgumentException($"--alpha: {Alpha.ToString(CultureInfo.InvariantCulture)} must be in (0, 1]");
        if (AndersonDepth < 1) throw new ArgumentException($"--depth: {AndersonDepth} must be at least 1");
        if (string.IsNullOrWhiteSpace(OutputFolder)) throw new ArgumentException("--out: the output folder is empty");
        if (Resume && Overwrite) throw new ArgumentException("--overwrite: cannot be combined with --resume");
    }

    /// <summary>The accelerator factory of <see cref="Method"/>.</summary>
    public Func<IFixedPointAccelerator> Accelerator() => Method switch
    {
        "damped" => () => new DampedRelaxation(Alpha),
        "aitken" => () => new AitkenRelaxation(new AitkenOptions { InitialOmega = Alpha }),
        _ => () => new AndersonAcceleration(new AndersonOptions { Depth = AndersonDepth, FallbackDamping = Alpha }),
    };
}

/// <summary>The outcome of a coupled run.</summary>
public sealed class CoupledRunResult
{
    /// <summary>The orchestrator's result (status, iterates, records, timings).</summary>
    public required ConvergenceResult Convergence { get; init; }

    /// <summary>The run folder.</summary>
    public required string OutputFolder { get; init; }

    /// <summary>The baseline evaluation (iteration 0: the models' own paths).</summary>
    public required Evaluation Baseline { get; init; }

    /// <summary>The evaluation at the final iterate.</summary>
    public required Evaluation Final { get; init; }

    /// <summary>Kernel compute seconds per component over the run's iterations (this process's share when resumed).</summary>
    public required IReadOnlyDictionary<string, double> KernelSeconds { get; init; }

    /// <summary>Share of the iteration loop's wall time spent outside the kernels' compute.</summary>
    public required double OverheadFraction { get; init; }

    /// <summary>Seconds to start the three kernels.</summary>
    public required double StartupSeconds { get; init; }
}

/// <summary>
/// One coupled OG-CLEWS run: start the kernels, calibrate the baseline, iterate to the joint fixed
/// point with checkpoints, and write the outputs (<c>iterations.csv</c>, <c>paths.csv</c>,
/// <c>energy/*.csv</c>, <c>macro_inputs.csv</c>, <c>run.json</c>, <c>ogclews.log</c>, <c>report.html</c>
/// and <c>convergence.png</c>).
/// </summary>
public static class CoupledRun
{
    /// <summary>The files and folders a run writes into its folder (what <see cref="CoupledRunOptions.Overwrite"/> deletes).</summary>
    public static IReadOnlyList<string> RunFiles { get; } =
    [
        "checkpoints", "details", "energy", "logs", "iterations.csv", "state.json", "calibration.json", "paths.csv",
        "macro_inputs.csv", "run.json", "report.html", "convergence.png", "ogclews.log",
    ];

    private static void DeleteRunFiles(string folder)
    {
        foreach (string name in RunFiles)
        {
            string path = Path.Combine(folder, name);
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            else if (File.Exists(path)) File.Delete(path);
        }
    }

    /// <summary>Runs (or resumes) a coupled run with its own kernels.</summary>
    /// <exception cref="ArgumentException">Bad options.</exception>
    /// <exception cref="CouplingException">The run cannot go on (a kernel died twice, the LP is infeasible, the folder holds another run…).</exception>
    public static async Task<CoupledRunResult> RunAsync(CoupledRunOptions options, ICoupledRunObserver? observer = null, CancellationToken ct = default)
    {
        options.Validate();
        var layout = InstallLayout.Find();
        if (options.Overwrite) DeleteRunFiles(options.OutputFolder);
        Directory.CreateDirectory(options.OutputFolder);
        using var log = new RunLog(Path.Combine(options.OutputFolder, "ogclews.log"), observer);
        var sw = Stopwatch.StartNew();
        log.Log($"starting the kernels (energy: {layout.NativeKernel}; etl: {layout.EtlKernel}; macro: {layout.KernelVenv})");
        var warmUp = Task.Run(() => WarmUp.RunAsync(options), CancellationToken.None);
        await using var kernels = await OgClewsKernels.StartAsync(layout, Path.Combine(options.OutputFolder, "logs"), ct).ConfigureAwait(false);
        await warmUp.ConfigureAwait(false);
        double startup = sw.Elapsed.TotalSeconds;
        foreach (var id in new[] { OgClewsKernels.Energy, OgClewsKernels.Etl, OgClewsKernels.Macro })
            log.Log($"kernel {id}: pid {kernels[id].Pid}, ready in {kernels[id].StartupTime.TotalSeconds:F2} s, log {kernels[id].LogFile}");
        return await RunAsync(kernels, options, log, startup, ct).ConfigureAwait(false);
    }

    /// <summary>Runs (or resumes) a coupled run on kernels that are already running (e.g. a service's pool).</summary>
    public static async Task<CoupledRunResult> RunAsync(OgClewsKernels kernels, CoupledRunOptions options, ICoupledRunObserver? observer = null, CancellationToken ct = default)
    {
        options.Validate();
        if (options.Overwrite) DeleteRunFiles(options.OutputFolder);
        Directory.CreateDirectory(options.OutputFolder);
        using var log = new RunLog(Path.Combine(options.OutputFolder, "ogclews.log"), observer);
        return await RunAsync(kernels, options, log, 0, ct).ConfigureAwait(false);
    }

    private static async Task<CoupledRunResult> RunAsync(OgClewsKernels kernels, CoupledRunOptions options, RunLog log, double startup, CancellationToken ct)
    {
        string folder = options.OutputFolder;
        var scenario = (options.ScenarioDefinition ?? Scenario.BuiltIn(options.Scenario, kernels.Layout)).WithMacro(options.MacroOverrides);
        string calibrationFile = Path.Combine(folder, "calibration.json");
        string detailsFolder = Path.Combine(folder, "details");
        var started = DateTimeOffset.UtcNow;

        string energyFolder = Path.Combine(folder, "energy");
        var map = new OgClewsMap(kernels, scenario, log, detailsFolder, energyFolder);
        Calibration calibration;
        if (options.Resume && File.Exists(calibrationFile))
        {
            calibration = Calibration.Read(calibrationFile);
            map.UseCalibration(calibration);
            log.Log($"resuming the run in {folder} (calibration from {calibrationFile})");
        }
        else
        {
            if (!options.Resume && Directory.Exists(Path.Combine(folder, "checkpoints")) && Directory.EnumerateFileSystemEntries(Path.Combine(folder, "checkpoints")).Any())
                throw new CouplingException($"{folder} already holds a run: use --resume to continue it, or another --out folder");
            calibration = await map.CalibrateAsync(ct).ConfigureAwait(false);
            calibration.Write(calibrationFile);
        }

        var orchestratorOptions = new ConvergenceOptions
        {
            Accelerator = options.Accelerator(),
            Tolerance = options.Tolerance,
            MaxIterations = options.MaxIterations,
            RunFolder = folder,
            DurableCheckpoints = options.DurableCheckpoints,
            Progress = new SynchronousProgress<IterationRecord>(log.Iteration),
        };
        var orchestrator = new ConvergenceOrchestrator(map, map.Problem(), orchestratorOptions);
        log.Log($"scenario {scenario.Name}: {scenario.Description}; method {options.Method}, tolerance {options.Tolerance:g3}, at most {options.MaxIterations} iterations");
        var loop = Stopwatch.StartNew();
        var result = options.Resume ? await orchestrator.ResumeAsync(ct).ConfigureAwait(false) : await orchestrator.RunAsync(ct).ConfigureAwait(false);
        double loopSeconds = loop.Elapsed.TotalSeconds;
        foreach (string w in result.Warnings) log.Log("warning: " + w);
        log.Log(result.Message);

        // The outputs describe the last evaluated iterate (the converged one). A resumed run that had
        // already finished evaluated nothing here: evaluate that iterate again (G is deterministic).
        var final = map.Last;
        var lastRecord = result.Records.Count > 0 ? result.Records[^1] : null;
        if (lastRecord is not null && (final is null || final.Iteration != lastRecord.Iteration))
        {
            var again = new OgClewsMap(kernels, scenario, log, detailsFolder: null, energyFolder);
            again.UseCalibration(calibration);
            await again.EvaluateAsync((double[])lastRecord.X.Clone(), lastRecord.Iteration, ct).ConfigureAwait(false);
            final = again.Last!;
        }
        if (final is null) throw new CouplingException($"the run in {folder} has no evaluated iteration");
        var baseline = Evaluation.ReadJson(Path.Combine(detailsFolder, Evaluation.FileName(0)));

        var kernelSeconds = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var record in result.Records.Skip(result.ResumedFromIteration is { } r ? r + 1 : 0))
            foreach (var (name, time) in record.ComponentTimes)
                kernelSeconds[name] = kernelSeconds.GetValueOrDefault(name) + time.TotalSeconds;
        double compute = kernelSeconds.Values.Sum();
        double overhead = loopSeconds > 0 ? Math.Max(0, loopSeconds - compute) / loopSeconds : 0;

        var outcome = new CoupledRunResult
        {
            Convergence = result,
            OutputFolder = folder,
            Baseline = baseline,
            Final = final,
            KernelSeconds = kernelSeconds,
            OverheadFraction = overhead,
            StartupSeconds = startup,
        };
        WriteOutputs(outcome, scenario, options, started, loopSeconds);
        log.Log(FormattableString.Invariant(
            $"kernel compute {compute:F2} s of {loopSeconds:F2} s in the loop: overhead {overhead:P2}; outputs in {folder}"));
        try
        {
            var report = ReportWriter.Write(folder);
            log.Log($"report: {report.HtmlPath}");
        }
        catch (ReportInputException e)
        {
            // The run's results stand without the report; say why it is missing.
            log.Log($"warning: no report: {e.Message}");
        }
        if (result.Status != ConvergenceStatus.Converged && result.Status != ConvergenceStatus.Cancelled)
            log.Log($"the run did not converge ({result.Status}); the outputs show the last iterate");
        return outcome;
    }

    private static void WriteOutputs(CoupledRunResult run, Scenario scenario, CoupledRunOptions options, DateTimeOffset started, double loopSeconds)
    {
        string folder = run.OutputFolder;
        var b = run.Baseline;
        var f = run.Final;
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder("year,gdp_baseline,gdp_coupled,energy_demand_baseline,energy_demand_coupled,energy_cost_index_baseline,energy_cost_index_coupled,emissions_baseline,emissions_coupled,interest_rate_baseline,interest_rate_coupled,carbon_revenue_coupled,energy_price_index_coupled,discount_rate_coupled\n");
        for (int i = 0; i < f.Years.Length; i++)
        {
            sb.Append(f.Years[i].ToString(inv));
            foreach (double v in new[]
            {
                b.Gdp[i], f.GdpOut[i], b.FinalEnergy[i], f.FinalEnergy[i], b.EnergyCostIndex[i], f.EnergyCostIndex[i],
                b.Emissions[i], f.Emissions[i], b.InterestRate[i], f.InterestRateOut[i], f.CarbonPayments[i], f.EnergyPriceIndex[i], f.DiscountRate,
            })
                sb.Append(',').Append(v.ToString("R", inv));
            sb.Append('\n');
        }
        File.WriteAllText(Path.Combine(folder, "paths.csv"), sb.ToString());

        // energy/ holds the energy model's own output files, written there by the energy kernel
        // at every evaluation (the last one is the final iterate's).
        if (f.MacroInputs is { } inputs) File.WriteAllText(Path.Combine(folder, "macro_inputs.csv"), TableCsv.Write(inputs));

        var c = run.Convergence;
        var summary = new Dictionary<string, object?>
        {
            ["scenario"] = scenario.Name,
            ["description"] = scenario.Description,
            ["method"] = options.Method,
            ["status"] = c.Status.ToString(),
            ["message"] = c.Message,
            ["iterations"] = c.Iterations,
            ["evaluations_this_process"] = c.Evaluations,
            ["resumed_from_iteration"] = c.ResumedFromIteration,
            ["residual"] = c.Residual,
            ["tolerance"] = options.Tolerance,
            ["max_iterations"] = options.MaxIterations,
            ["wall_seconds"] = loopSeconds,
            ["map_seconds"] = c.MapTime.TotalSeconds,
            ["startup_seconds"] = run.StartupSeconds,
            ["kernel_seconds"] = run.KernelSeconds,
            ["overhead_fraction"] = run.OverheadFraction,
            ["objective_baseline"] = b.Objective,
            ["objective_coupled"] = f.Objective,
            ["discount_rate_coupled"] = f.DiscountRate,
            ["started"] = started.ToString("O", inv),
            ["finished"] = DateTimeOffset.UtcNow.ToString("O", inv),
            ["warnings"] = c.Warnings,
        };
        File.WriteAllText(Path.Combine(folder, "run.json"), JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Calls the handler on the reporting thread itself (Progress&lt;T&gt; would post to the pool, out of order).</summary>
    private sealed class SynchronousProgress<T>(Action<T> handler) : IProgress<T>
    {
        public void Report(T value) => handler(value);
    }
}
