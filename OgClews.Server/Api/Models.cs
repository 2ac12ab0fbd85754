using System.Text.Json.Serialization;
using OgClews.Server.Store;

namespace OgClews.Server.Api;

// The API's JSON shapes (camelCase on the wire). They are what the OpenAPI document describes.
// Residuals of a diverged run are +Infinity: those fields (only) are written as "Infinity".

/// <summary>A run request: every field is optional and has the default shown.</summary>
internal sealed record RunRequest
{
    /// <summary>Scenario name (GET /api/scenarios): "demo".</summary>
    public string? Scenario { get; init; }
    /// <summary>"anderson", "aitken" or "damped": "anderson".</summary>
    public string? Method { get; init; }
    /// <summary>Relative residual at which the run has converged, in (0, 1): 1e-6.</summary>
    public double? Tolerance { get; init; }
    /// <summary>Iteration limit, 1 to 10000: 60.</summary>
    public int? MaxIterations { get; init; }
    /// <summary>1 (least) to 10 (most urgent): 5.</summary>
    public int? Priority { get; init; }
    /// <summary>Damping weight in (0, 1]: 0.5.</summary>
    public double? Alpha { get; init; }
    /// <summary>Anderson history depth, 1 to 50: 5.</summary>
    public int? AndersonDepth { get; init; }
    /// <summary>Macro-model parameter overrides, e.g. {"S": 40}.</summary>
    public Dictionary<string, double>? Macro { get; init; }
}

/// <summary>A rerun request: the original's settings, optionally with another priority.</summary>
internal sealed record RerunRequest
{
    /// <summary>1 to 10; the original's when absent.</summary>
    public int? Priority { get; init; }
}

/// <summary>The answer to a submission.</summary>
internal sealed record RunAccepted(string Id, RunStatus Status, int? QueuePosition, string Url);

/// <summary>A run in a list.</summary>
internal sealed record RunSummary(
    string Id,
    string Scenario,
    string Method,
    int Priority,
    RunStatus Status,
    string? Message,
    DateTimeOffset SubmittedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    int Iterations,
    int MaxIterations,
    [property: JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)] double? Residual,
    double Tolerance,
    double Progress,
    int? QueuePosition,
    long? StartOrder,
    int Attempts,
    string? RerunOf,
    string Url);

/// <summary>One iteration's residuals and timings.</summary>
internal sealed record IterationView(
    int Iteration,
    [property: JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)] double? Residual,
    [property: JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)] double? AbsoluteResidual,
    [property: JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)] double? StepSize,
    string Method,
    double? WallSeconds,
    IReadOnlyDictionary<string, double> ComponentSeconds);

/// <summary>A log file of the run.</summary>
internal sealed record LogView(string Name, string Url);

/// <summary>Everything about one run.</summary>
internal sealed record RunDetail(
    RunSummary Run,
    double Alpha,
    int AndersonDepth,
    IReadOnlyDictionary<string, double> Macro,
    string? Error,
    string Folder,
    IReadOnlyList<IterationView> Residuals,
    IReadOnlyDictionary<string, int> TaskCounts,
    IReadOnlyList<LogView> Logs,
    bool HasReport,
    IReadOnlyDictionary<string, string> Links);

/// <summary>One kernel sub-task of a run.</summary>
internal sealed record TaskView(
    int No,
    string Name,
    int Attempt,
    int Iteration,
    string Step,
    string Kernel,
    string State,
    int Retry,
    DateTimeOffset? QueuedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? EndedAt,
    DateTimeOffset? KernelQueuedAt,
    DateTimeOffset? KernelStartedAt,
    DateTimeOffset? KernelEndedAt,
    double? KernelSeconds,
    string? Error,
    IReadOnlyDictionary<string, string> Links);

/// <summary>A scenario runs may name.</summary>
internal sealed record ScenarioView(string Name, string Description, bool BuiltIn);

/// <summary>The final yearly paths of a finished run (paths.csv by column).</summary>
internal sealed record PathsView(IReadOnlyDictionary<string, double?[]> Columns);

/// <summary>The service's state.</summary>
internal sealed record HealthView(string Status, string Store, int SchemaVersion, int Concurrency, string Kernels, int Queued, int Running, bool TokenRequired);
