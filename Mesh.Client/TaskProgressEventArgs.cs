namespace Mesh.Client;

/// <summary>A progress report from a running task.</summary>
/// <param name="TaskId">The task.</param>
/// <param name="Value">The reported value (a decoded wire value).</param>
/// <param name="Message">Optional text.</param>
public sealed record TaskProgressEventArgs(string TaskId, object? Value, string? Message);
