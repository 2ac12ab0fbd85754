using System.Diagnostics;
using System.Globalization;
using OgClews.Coupling.Acceleration;
using OgClews.Coupling.Checkpointing;

namespace OgClews.Coupling.Orchestration;

/// <summary>
/// Iterates x_{k+1} = accelerator(x_k, G(x_k)) until the true relative residual of an evaluated
/// iterate is below the tolerance, or the run diverges, oscillates, hits the iteration limit or is
/// cancelled. With a <see cref="ConvergenceOptions.RunFolder"/>, every completed iteration is
/// checkpointed atomically and recorded in <c>iterations.csv</c>, and <see cref="ResumeAsync"/>
/// continues an interrupted run bit-identically without evaluating a completed iteration again.
/// </summary>
/// <remarks>
/// Iteration k evaluates G(x_k), measures r_k (see <see cref="ResidualNorm"/>), stops with
/// <see cref="ConvergenceStatus.Converged"/> when r_k &lt; tolerance, and otherwise asks the
/// accelerator for x_{k+1}. The size of that step is reported, never used to stop. One run at a
/// time per orchestrator.
/// </remarks>
public sealed class ConvergenceOrchestrator
{
    private readonly IFixedPointMap _map;
    private int _running;

    /// <summary>Creates the orchestrator and its accelerator (<see cref="ConvergenceOptions.Accelerator"/>).</summary>
    /// <param name="map">G.</param>
    /// <param name="problem">x₀ and the blocks of x.</param>
    /// <param name="options">Settings; null for the defaults.</param>
    public ConvergenceOrchestrator(IFixedPointMap map, FixedPointProblem problem, ConvergenceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(problem);
        _map = map;
        Problem = problem;
        Options = options ?? new ConvergenceOptions();
        Options.Validate();
        Accelerator = Options.Accelerator() ?? throw new ArgumentException("ConvergenceOptions.Accelerator returned null.", nameof(options));
    }

    /// <summary>The problem.</summary>
    public FixedPointProblem Problem { get; }

    /// <summary>The settings.</summary>
    public ConvergenceOptions Options { get; }

    /// <summary>The accelerator this orchestrator steps with.</summary>
    public IFixedPointAccelerator Accelerator { get; }

    /// <summary>
    /// Runs from x₀ with a fresh accelerator. With a run folder, the folder must not already hold
    /// checkpoints (<see cref="CouplingException"/>): resume it or use another one.
    /// </summary>
    /// <param name="ct">Stops the run at the next iteration boundary or during an evaluation (status <see cref="ConvergenceStatus.Cancelled"/>).</param>
    /// <exception cref="CouplingException">The folder holds a run, or the map returned a vector of the wrong length.</exception>
    public async Task<ConvergenceResult> RunAsync(CancellationToken ct = default)
    {
        Enter();
        try
        {
            var run = new RunState(Stopwatch.StartNew(), Problem.InitialGuess);
            Accelerator.Reset();
            if (Options.RunFolder is not null)
            {
                run.Store = new CheckpointStore(Options.RunFolder, Options.DurableCheckpoints);
                run.Store.PrepareFresh();
                run.Csv = new IterationsCsv(run.Store.CsvPath, Problem.ComponentNames);
            }
            return await LoopAsync(run, ct).ConfigureAwait(false);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// Continues the run in <see cref="ConvergenceOptions.RunFolder"/> from its newest readable
    /// checkpoint: restores the next iterate, the accelerator's state (Anderson's history included),
    /// the residual history and the iteration counter, then iterates as <see cref="RunAsync"/> would
    /// have. Completed iterations are not evaluated again; with the same map, problem and settings
    /// the results are bit-identical to an uninterrupted run. An unreadable (e.g. truncated) newest
    /// checkpoint is set aside with a warning and the previous one used. A folder without any
    /// checkpoint starts from x₀, with a warning. A run that had already stopped is reported again
    /// without evaluating, unless the options now let it go on (a higher iteration limit, a tighter
    /// tolerance, a criterion turned off).
    /// </summary>
    /// <param name="ct">As for <see cref="RunAsync"/>.</param>
    /// <exception cref="InvalidOperationException">No run folder is set.</exception>
    /// <exception cref="CouplingException">
    /// No checkpoint is readable, the checkpoints are of a problem of another shape, or of another
    /// accelerator or accelerator settings.
    /// </exception>
    public async Task<ConvergenceResult> ResumeAsync(CancellationToken ct = default)
    {
        if (Options.RunFolder is null) throw new InvalidOperationException("ResumeAsync needs ConvergenceOptions.RunFolder.");
        Enter();
        try
        {
            var run = new RunState(Stopwatch.StartNew(), Problem.InitialGuess);
            run.Store = new CheckpointStore(Options.RunFolder, Options.DurableCheckpoints);
            run.Csv = new IterationsCsv(run.Store.CsvPath, Problem.ComponentNames);
            Accelerator.Reset();

            var loaded = run.Store.Load(Problem);
            if (loaded is null)
            {
                run.Warnings.Add($"No checkpoint in {run.Store.CheckpointsFolder}; the run starts from the initial guess.");
                run.Store.PrepareFresh();
                return await LoopAsync(run, ct).ConfigureAwait(false);
            }

            var (latest, documents, warnings) = loaded.Value;
            run.Warnings.AddRange(warnings);
            Accelerator.RestoreState(latest.Accelerator!);
            run.Records.AddRange(documents.Select(RecordMapping.ToRecord));
            run.Monitor.Restore(latest.Residuals, latest.AbsoluteResiduals);
            run.ResumedFrom = latest.Iteration;
            run.Csv.Rewrite(run.Records);

            int k = latest.Iteration;
            var last = run.Records[^1];
            run.X = last.X;
            if (latest.Next is null && latest.Status == nameof(ConvergenceStatus.Diverged))
            {
                // G(x_k) or the step from it was not finite: there is nothing to continue from.
                return Finish(run, ConvergenceStatus.Diverged, latest.Message ?? F($"Diverged at iteration {k}."), null);
            }
            var stop = Decide(k, last, latest.Next, run, out double[]? next);
            if (next is not null && latest.Next is null)
            {
                // The run had stopped here without a step (it had converged under a looser
                // tolerance): take the step now, as an uninterrupted run would have, and
                // checkpoint it so that a later resume starts from the same state.
                var stepped = WithStep(last, Accelerator.LastStep, Residuals.MaxAbsDifference(next, last.X));
                run.Records[^1] = stepped;
                WriteCheckpoint(run, stepped, next, stop);
                run.Csv.Rewrite(run.Records);
            }
            if (stop is { } s) return Finish(run, s.Status, s.Message, next);
            run.X = next!;
            run.Iteration = k + 1;
            return await LoopAsync(run, ct).ConfigureAwait(false);
        }
        finally
        {
            Exit();
        }
    }

    private async Task<ConvergenceResult> LoopAsync(RunState run, CancellationToken ct)
    {
        int n = Problem.Dimension;
        if (run.Iteration >= Options.MaxIterations)
            return Finish(run, ConvergenceStatus.MaxIterations, F($"Stopped before iteration {run.Iteration}: the iteration limit is {Options.MaxIterations}."), run.X);

        while (true)
        {
            int k = run.Iteration;
            if (ct.IsCancellationRequested) return Cancelled(run, k, during: false);

            var iterationWatch = Stopwatch.StartNew();
            MapEvaluation evaluation;
            try
            {
                evaluation = await _map.EvaluateAsync((double[])run.X.Clone(), k, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                run.MapTime += iterationWatch.Elapsed;
                return Cancelled(run, k, during: true);
            }
            var mapTime = iterationWatch.Elapsed;
            run.MapTime += mapTime;
            run.Evaluations++;
            if (evaluation is null) throw new CouplingException($"The map returned null at iteration {k}.");
            if (evaluation.Value.Length != n)
                throw new CouplingException($"The map returned {evaluation.Value.Length} values at iteration {k}; the problem has dimension {n}.");
            var gx = (double[])evaluation.Value.Clone();
            var times = new Dictionary<string, TimeSpan>(evaluation.Timings, StringComparer.Ordinal);

            var (relative, absolute, blocks) = Residuals.Measure(run.X, gx, Problem, Options);
            run.Monitor.Add(relative, absolute);
            var record = new IterationRecord
            {
                Iteration = k,
                X = run.X,
                GX = gx,
                Residual = relative,
                AbsoluteResidual = absolute,
                BlockResiduals = blocks,
                Method = StepMethods.None,
                StepSize = 0,
                ComponentTimes = times,
                MapTime = mapTime,
                WallTime = TimeSpan.Zero,
            };
            var stop = Decide(k, record, knownNext: null, run, out double[]? next);
            record = next is null ? record : WithStep(record, Accelerator.LastStep, Residuals.MaxAbsDifference(next, run.X));
            record = WithWallTime(record, iterationWatch.Elapsed);
            run.Records.Add(record);

            WriteCheckpoint(run, record, next, stop);
            Options.Progress?.Report(record);

            if (stop is { } s) return Finish(run, s.Status, s.Message, next);
            run.X = next!;
            run.Iteration = k + 1;
        }
    }

    // Whether the run stops at iteration k (whose record is given), and the next iterate: the
    // known one, or a new accelerator step when there is none and the run goes on. The same
    // decision is made when a run is resumed at its last checkpoint, so that a resumed run stops
    // where an uninterrupted one would.
    private (ConvergenceStatus Status, string Message)? Decide(int k, IterationRecord record, double[]? knownNext, RunState run, out double[]? next)
    {
        next = null;
        int bad = Residuals.FirstNonFinite(record.GX);
        if (bad >= 0)
        {
            var (block, j) = Problem.Locate(bad);
            return (ConvergenceStatus.Diverged, F($"Diverged at iteration {k}: G(x) is not finite at component {bad} (block '{block.Name}', index {j}): {record.GX[bad]}."));
        }
        if (record.Residual < Options.Tolerance)
            return (ConvergenceStatus.Converged, F($"Converged at iteration {k}: relative residual {record.Residual:G6} < tolerance {Options.Tolerance:G6} ({Options.Norm} norm)."));

        next = knownNext ?? Accelerator.Next(record.X, record.GX);
        int badStep = Residuals.FirstNonFinite(next);
        if (badStep >= 0)
        {
            next = null;
            return (ConvergenceStatus.Diverged, F($"Diverged at iteration {k}: the {Accelerator.LastStep} step produced a non-finite value at component {badStep}."));
        }
        if (run.Monitor.Check(Options) is { } verdict) return (verdict.Status, verdict.Message + Worst(record));
        if (k + 1 >= Options.MaxIterations)
            return (ConvergenceStatus.MaxIterations, F($"Not converged after {k + 1} iterations (the limit): relative residual {record.Residual:G6}, tolerance {Options.Tolerance:G6}.") + Worst(record));
        return null;
    }

    private void WriteCheckpoint(RunState run, IterationRecord record, double[]? next, (ConvergenceStatus Status, string Message)? stop)
    {
        if (run.Store is null) return;
        var watch = Stopwatch.StartNew();
        run.Store.Write(new CheckpointDocument
        {
            Iteration = record.Iteration,
            Status = stop?.Status.ToString() ?? "running",
            Message = stop?.Message,
            WrittenAt = DateTimeOffset.UtcNow,
            Dimension = Problem.Dimension,
            Blocks = [.. Problem.Blocks.Select(b => new BlockDocument { Name = b.Name, Offset = b.Offset, Length = b.Length })],
            Record = RecordMapping.ToDocument(record),
            Next = next,
            Residuals = [.. run.Monitor.Relative],
            AbsoluteResiduals = [.. run.Monitor.Absolute],
            Accelerator = Accelerator.SaveState(),
        });
        run.Csv?.Append(record, run.Records);
        run.CheckpointTime += watch.Elapsed;
    }

    private ConvergenceResult Cancelled(RunState run, int k, bool during)
    {
        string where = during ? $"during iteration {k} (x_{k} was being evaluated)" : $"before iteration {k}";
        string last = k == 0 ? "no iteration had completed" : run.Store is null ? $"the last complete iteration is {k - 1}" : $"the last complete iteration, {k - 1}, is checkpointed";
        return Finish(run, ConvergenceStatus.Cancelled, $"Cancelled {where}; {last}.", run.X);
    }

    private ConvergenceResult Finish(RunState run, ConvergenceStatus status, string message, double[]? next)
    {
        var last = run.Records.Count > 0 ? run.Records[^1] : null;
        return new ConvergenceResult
        {
            Status = status,
            Message = message,
            X = last?.X ?? run.X,
            GX = last?.GX,
            Residual = last?.Residual ?? double.NaN,
            NextX = next,
            Iterations = last is null ? 0 : last.Iteration + 1,
            Records = [.. run.Records],
            Evaluations = run.Evaluations,
            ResumedFromIteration = run.ResumedFrom,
            Warnings = [.. run.Warnings],
            WallTime = run.Wall.Elapsed,
            MapTime = run.MapTime,
            CheckpointTime = run.CheckpointTime,
        };
    }

    private static string Worst(IterationRecord r)
    {
        if (r.BlockResiduals.Count < 2) return "";
        var worst = r.BlockResiduals.MaxBy(p => p.Value);
        return F($" Worst block: '{worst.Key}' ({worst.Value:G6}).");
    }

    private static IterationRecord WithStep(IterationRecord r, string method, double stepSize) => new()
    {
        Iteration = r.Iteration, X = r.X, GX = r.GX, Residual = r.Residual, AbsoluteResidual = r.AbsoluteResidual,
        BlockResiduals = r.BlockResiduals, Method = method, StepSize = stepSize, ComponentTimes = r.ComponentTimes,
        MapTime = r.MapTime, WallTime = r.WallTime,
    };

    private static IterationRecord WithWallTime(IterationRecord r, TimeSpan wall) => new()
    {
        Iteration = r.Iteration, X = r.X, GX = r.GX, Residual = r.Residual, AbsoluteResidual = r.AbsoluteResidual,
        BlockResiduals = r.BlockResiduals, Method = r.Method, StepSize = r.StepSize, ComponentTimes = r.ComponentTimes,
        MapTime = r.MapTime, WallTime = wall,
    };

    private void Enter()
    {
        if (Interlocked.Exchange(ref _running, 1) != 0) throw new InvalidOperationException("This orchestrator is already running.");
    }

    private void Exit() => Volatile.Write(ref _running, 0);

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    // The mutable state of one RunAsync / ResumeAsync call.
    private sealed class RunState(Stopwatch wall, double[] x)
    {
        public Stopwatch Wall { get; } = wall;
        public double[] X { get; set; } = x;
        public int Iteration { get; set; }
        public List<IterationRecord> Records { get; } = [];
        public ResidualMonitor Monitor { get; } = new();
        public List<string> Warnings { get; } = [];
        public CheckpointStore? Store { get; set; }
        public IterationsCsv? Csv { get; set; }
        public int? ResumedFrom { get; set; }
        public int Evaluations { get; set; }
        public TimeSpan MapTime { get; set; }
        public TimeSpan CheckpointTime { get; set; }
    }
}
