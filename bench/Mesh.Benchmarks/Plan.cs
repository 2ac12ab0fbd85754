namespace Mesh.Benchmarks;

/// <summary>How expensive a peer's calls are: the slow ones get fewer iterations so that the
/// whole run stays within its time bound; every count is still fixed, never time-based.</summary>
internal enum Cost
{
    /// <summary>Sub-millisecond calls, and large payloads that cost little more than the copy.</summary>
    Fast,
    /// <summary>Fast small calls, but large payloads that take hundreds of ms (JSON text, RPyC's zlib-compressed messages).</summary>
    SlowLarge,
    /// <summary>Every call takes milliseconds (Dask's scheduler, Jupyter's execute).</summary>
    Slow,
}

/// <summary>
/// Iteration counts for one run, the single source for every case (the C floor and the Python
/// scripts receive theirs on the command line). Full: the published figures. Quick: a fifth.
/// Smoke: each case once, no warm-up, to check that every case still runs.
/// </summary>
internal sealed record Plan(bool Quick, bool Smoke)
{
    public static readonly int[] Sizes = [1, 1024, 64 * 1024, 1024 * 1024, 16 * 1024 * 1024];

    public string Mode => Smoke ? "smoke" : Quick ? "quick" : "full";

    /// <summary>
    /// How many times the round-trip cases run, in turn (all of them, then all again): each row
    /// reports the median of its rounds. This machine's speed drifts by tens of percent over
    /// seconds, so a case measured once can be lucky or unlucky against its neighbours; rounds
    /// spread every case over the whole run. Default 3 in a full run, 1 otherwise.
    /// </summary>
    public int Rounds { get; init; } = Smoke || Quick ? 1 : 3;

    public int Iterations(int size, Cost cost = Cost.Fast)
    {
        if (Smoke) return 1;
        int n = (size, cost) switch
        {
            (>= 16 * 1024 * 1024, Cost.Fast) => 20,
            (>= 16 * 1024 * 1024, _) => 10,
            (>= 1024 * 1024, Cost.Fast) => 200,
            (>= 1024 * 1024, _) => 50,
            (>= 64 * 1024, Cost.Slow) => 100,
            (>= 64 * 1024, _) => 1000,
            (_, Cost.Slow) => 200,
            _ => 5000,
        };
        return Quick ? Math.Max(3, n / 5) : n;
    }

    /// <summary>Iterations of a call without a payload.</summary>
    public int Calls(Cost cost = Cost.Fast) => Iterations(1, cost);

    /// <summary>Untimed calls before the timed ones (the C floor and benchlib.py use the same rule).</summary>
    public int Warmup(int n) => Smoke ? 0 : n / 10 + 5;

    /// <summary>
    /// The shortest and longest time cases with a .NET process on either side call back to back
    /// before their first timed case (<see cref="SettleJitAsync"/>). The JIT promotes hot methods
    /// to optimised code on a background thread only after about 100 ms without new methods and 30
    /// calls each, and on a slow machine that thread can stay busy for seconds; a count-based
    /// warm-up of a few hundred fast calls ends long before, and the timed case would measure
    /// half-compiled code while the compiler competes with it for the two cores.
    /// </summary>
    public (TimeSpan Min, TimeSpan Max) JitSettle => Smoke ? (TimeSpan.Zero, TimeSpan.Zero)
        : Quick ? (TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(5)) : (TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(15));

    /// <summary>Payload sizes up to this get a JIT settle of their own (<see cref="SettleJitAsync"/>
    /// with no minimum) before they are timed; above it, copying dominates the figures.</summary>
    public const int SettlePerSizeUpTo = 64 * 1024;

    /// <summary>
    /// Calls <paramref name="call"/> back to back for at least <see cref="JitSettle"/>.Min (or
    /// <paramref name="min"/>) and until the JIT of this process and of <paramref name="serverPids"/>
    /// has been quiet for a whole window (<see cref="JitActivity"/>), at most <see cref="JitSettle"/>.Max.
    /// With <paramref name="report"/>, prints how long it called, so a run that hit the bound shows it.
    /// </summary>
    public async Task SettleJitAsync(Func<Task> call, int[] serverPids, TimeSpan? min = null, bool report = true)
    {
        var (settleMin, max) = JitSettle;
        var least = min ?? settleMin;
        var sw = System.Diagnostics.Stopwatch.StartNew();
        if (max == TimeSpan.Zero) return;
        int[] pids = [Environment.ProcessId, .. serverPids];
        var last = JitActivity.Snapshot(pids);
        var windowEnd = JitActivity.Window;
        while (sw.Elapsed < max)
        {
            await call();
            if (sw.Elapsed < windowEnd) continue;
            var now = JitActivity.Snapshot(pids);
            bool quiet = JitActivity.Quiet(last, now);
            last = now;
            windowEnd = sw.Elapsed + JitActivity.Window;
            if (quiet && sw.Elapsed >= least) break;
        }
        if (report)
            Console.WriteLine($"    JIT settled after {sw.Elapsed.TotalSeconds:0.0} s{(sw.Elapsed >= max ? " (the bound: the compiler was still busy)" : "")}");
    }

    public int PipelinedCalls => Smoke ? 10 : Quick ? 10_000 : 50_000;
    public int Window => Smoke ? 4 : 1000;
    public int Starts => Smoke ? 1 : Quick ? 3 : 10;
    public int JupyterStarts => Smoke ? 1 : Quick ? 2 : 5;
    public int EnergyChanges => Smoke ? 1 : Quick ? 3 : 10;

    /// <summary>"SIZE:N,..." for the C floor and the Python scripts.</summary>
    public string SizeSpec(Cost cost = Cost.Fast) => string.Join(",", Sizes.Select(s => $"{s}:{Iterations(s, cost)}"));

    /// <summary>Arguments every Python script understands (bench/peers/benchlib.py).</summary>
    public string[] PythonArgs(Cost cost = Cost.Fast, Cost callCost = Cost.Fast) =>
        ["--sizes", SizeSpec(cost), "--calls", Calls(callCost).ToString(), "--starts", JupyterStarts.ToString(),
         .. Smoke ? new[] { "--warmup", "0" } : []];
}
