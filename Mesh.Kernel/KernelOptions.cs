namespace Mesh.Kernel;

/// <summary>Kernel settings. Defaults follow docs/protocol.md.</summary>
public sealed record KernelOptions
{
    /// <summary>Tasks run at once; default <c>MESH_MAX_CONCURRENCY</c> or the CPU count.</summary>
    public int MaxConcurrency { get; init; } =
        int.TryParse(Environment.GetEnvironmentVariable("MESH_MAX_CONCURRENCY"), out var n) && n > 0 ? n : Environment.ProcessorCount;

    /// <summary>Most tasks queued (not yet started) before submits are refused with QUEUE_FULL.</summary>
    public int MaxQueued { get; init; } = 100_000;

    /// <summary>How long an unfetched final result is kept.</summary>
    public TimeSpan ResultTtl { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Most unfetched final results kept; the oldest are evicted first.</summary>
    public int MaxRetained { get; init; } = 10_000;

    /// <summary>Longest a get request waits when it asks for no timeout.</summary>
    public TimeSpan MaxGetWait { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Lines of log kept per task.</summary>
    public int MaxLogLines { get; init; } = 1000;

    /// <summary>How long to wait for the manager's register_reply.</summary>
    public TimeSpan RegistrationTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Connection file path; default <c>MESH_CONNECTION_FILE</c> or <c>--connection-file</c>.</summary>
    public string? ConnectionFile { get; init; }

    /// <summary>
    /// Whether call-style submits (docs/protocol.md 6.2) are answered with the result; default true,
    /// false when <c>MESH_ANSWER_CALLS=0</c>. Off, the kernel behaves as a base-protocol kernel that
    /// ignores <c>call</c> — which is what clients must cope with, and how their fallback is tested.
    /// </summary>
    public bool AnswerCalls { get; init; } = Environment.GetEnvironmentVariable("MESH_ANSWER_CALLS") != "0";

    /// <summary>
    /// How long the kernel's I/O thread and an idle worker keep looking for work without sleeping
    /// after their last piece of work (yielding the core between looks); default 200 µs, or
    /// <c>MESH_IDLE_SPIN_US</c> (docs/protocol.md section 3). Back-to-back calls then find the thread awake
    /// instead of paying a wake-up each (tens of microseconds on a small machine); an idle kernel
    /// costs nothing, since the spin ends this long after the last message. Zero sleeps at once.
    /// </summary>
    public TimeSpan IdleSpin { get; init; } = TimeSpan.FromMicroseconds(IdleSpinFromEnvironment(out _) ?? DefaultIdleSpinMicroseconds);

    /// <summary>Default of <see cref="IdleSpin"/>, in microseconds.</summary>
    public const int DefaultIdleSpinMicroseconds = 200;

    /// <summary>
    /// <c>MESH_IDLE_SPIN_US</c> if set, non-empty and valid (a whole number of microseconds, 0 to
    /// 1 000 000); otherwise null, with <paramref name="error"/> saying what is wrong when it is set but invalid.
    /// </summary>
    internal static int? IdleSpinFromEnvironment(out string? error)
    {
        error = null;
        string? text = Environment.GetEnvironmentVariable("MESH_IDLE_SPIN_US");
        if (string.IsNullOrWhiteSpace(text)) return null; // unset or empty: the default, as in the C and Python kernels
        if (int.TryParse(text.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int us) && us <= 1_000_000) return us;
        error = $"MESH_IDLE_SPIN_US must be a whole number of microseconds from 0 to 1000000, not '{text}'";
        return null;
    }

    /// <summary>Reported in kernel_info.</summary>
    public string Implementation { get; init; } = "mesh-dotnet";
}
