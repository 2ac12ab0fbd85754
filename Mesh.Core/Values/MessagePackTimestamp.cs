namespace Mesh.Values;

/// <summary>
/// A timestamp (ext −1) that <see cref="DateTime"/> cannot hold exactly: finer than 100 ns or
/// outside years 1–9999. Decoded values in range arrive as <see cref="DateTime"/> instead.
/// </summary>
/// <param name="Seconds">Seconds since the Unix epoch.</param>
/// <param name="Nanoseconds">Nanoseconds, 0–999 999 999.</param>
public readonly record struct MessagePackTimestamp(long Seconds, uint Nanoseconds);
