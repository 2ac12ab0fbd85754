namespace Mesh.Client.Managing;

/// <summary>Restarts after unexpected exits: at most <see cref="MaxRestarts"/>, with exponential backoff.</summary>
public sealed record RestartPolicy
{
    /// <summary>Up to 3 restarts, 0.2 s backoff doubling to at most 5 s.</summary>
    public static RestartPolicy Default { get; } = new();

    /// <summary>Never restart.</summary>
    public static RestartPolicy Never { get; } = new() { MaxRestarts = 0 };

    /// <summary>Restarts allowed over the kernel's life.</summary>
    public int MaxRestarts { get; init; } = 3;

    /// <summary>Delay before the first restart.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Upper bound of the delay.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The delay before restart number <paramref name="attempt"/> (1-based).</summary>
    public TimeSpan Backoff(int attempt) =>
        TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, InitialBackoff.Ticks * (1L << Math.Min(20, attempt - 1))));
}
