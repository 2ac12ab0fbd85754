namespace Mesh.Client;

/// <summary>A kernel's health reply.</summary>
/// <param name="Status"><c>ok</c> or <c>shutting_down</c>.</param>
/// <param name="KernelId">Kernel id.</param>
/// <param name="Pid">Kernel process id.</param>
/// <param name="Uptime">Seconds since start.</param>
/// <param name="Queued">Tasks waiting.</param>
/// <param name="Running">Tasks running.</param>
/// <param name="Completed">Tasks finished.</param>
/// <param name="Rejected">Malformed or unauthenticated messages refused.</param>
public sealed record HealthStatus(string Status, string KernelId, long Pid, double Uptime, long Queued, long Running, long Completed, long Rejected);
