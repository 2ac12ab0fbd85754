using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using OgClews.Runner;
using OgClews.Server.Runs;
using OgClews.Server.Store;

namespace OgClews.Server.Api;

/// <summary>The HTTP API under <c>/api</c>.</summary>
internal static class RunEndpoints
{
    /// <summary>The header a write request carries the token in (or <c>Authorization: Bearer …</c>).</summary>
    public const string TokenHeader = "X-OgClews-Token";

    private const int MaxBodyBytes = 64 * 1024;

    public static void MapRunApi(this WebApplication app, ServerOptions options)
    {
        var api = app.MapGroup("/api").WithTags("runs");
        var write = api.MapGroup("").AddEndpointFilter(new TokenFilter(options.Token));

        write.MapPost("/runs", SubmitAsync)
            .WithName("SubmitRun").WithSummary("Queue a coupled run")
            .WithDescription("Queues a run and answers 202 with its id at once; the run starts when a slot is free (priority, then submission order).")
            .Accepts<RunRequest>("application/json")
            .Produces<RunAccepted>(StatusCodes.Status202Accepted).ProducesValidationProblem().ProducesProblem(StatusCodes.Status401Unauthorized)
            // A body that is not application/json is refused with 415 by routing (the Accepts metadata).
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        write.MapPost("/runs/{id}/cancel", CancelAsync)
            .WithName("CancelRun").WithSummary("Cancel a queued or running run")
            .WithDescription("A queued run is cancelled at once (200); a running one stops at its next kernel call or iteration boundary (202). A finished run gives 409.")
            .Produces<RunSummary>(StatusCodes.Status200OK).Produces<RunSummary>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status401Unauthorized);
        write.MapPost("/runs/{id}/rerun", RerunAsync)
            .WithName("RerunRun").WithSummary("Queue a new run with another run's settings")
            .Accepts<RerunRequest>("application/json")
            .Produces<RunAccepted>(StatusCodes.Status202Accepted).ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status401Unauthorized);

        api.MapGet("/runs", ListAsync)
            .WithName("ListRuns").WithSummary("Runs, newest first")
            .Produces<RunSummary[]>().ProducesValidationProblem();
        api.MapGet("/runs/{id}", GetAsync)
            .WithName("GetRun").WithSummary("A run: status, progress, residual history, sub-task counts, logs")
            .Produces<RunDetail>().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/runs/{id}/tasks", TasksAsync)
            .WithName("ListRunTasks").WithSummary("Every kernel sub-task of a run with its state, timings and logs")
            .Produces<TaskView[]>().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/runs/{id}/tasks/{no:int}/output", TaskOutputAsync)
            .WithName("GetTaskOutput").WithSummary("What a sub-task wrote in its kernel (text)")
            .Produces<string>(contentType: "text/plain").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/runs/{id}/tasks/{no:int}/error", TaskErrorAsync)
            .WithName("GetTaskError").WithSummary("A failed sub-task's error and the end of its kernel's log (text)")
            .Produces<string>(contentType: "text/plain").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/runs/{id}/logs", RunLogAsync)
            .WithName("GetRunLog").WithSummary("The run log (text); ?tail=N for the last N lines")
            .Produces<string>(contentType: "text/plain").ProducesProblem(StatusCodes.Status404NotFound).ProducesValidationProblem();
        api.MapGet("/runs/{id}/logs/{name}", NamedLogAsync)
            .WithName("GetKernelLog").WithSummary("One of the run's logs by name (run, energy, etl, macro); ?tail=N")
            .Produces<string>(contentType: "text/plain").ProducesProblem(StatusCodes.Status404NotFound).ProducesValidationProblem();
        api.MapGet("/runs/{id}/report", ReportAsync)
            .WithName("GetRunReport").WithSummary("The finished run's HTML report")
            .Produces<string>(contentType: "text/html").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/runs/{id}/paths", PathsAsync)
            .WithName("GetRunPaths").WithSummary("The finished run's yearly baseline and coupled paths (paths.csv by column)")
            .Produces<PathsView>().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/scenarios", (ScenarioCatalog s) => s.List().Select(x => new ScenarioView(x.Name, x.Description, x.BuiltIn)).ToArray())
            .WithName("ListScenarios").WithSummary("Scenarios a run may name");
        api.MapGet("/health", HealthAsync)
            .WithName("Health").WithSummary("The service's state").Produces<HealthView>();
    }

    // ------------------------------------------------------------------ writes

    private static async Task<IResult> SubmitAsync(HttpRequest request, RunService runs, ScenarioCatalog scenarios, CancellationToken ct)
    {
        var (body, problem) = await ReadBodyAsync(request, required: true, ct).ConfigureAwait(false);
        if (problem is not null) return problem;
        var (spec, priority, errors) = RunRequestReader.Read(body!.Value, scenarios);
        if (spec is null) return Invalid(errors);
        var run = await runs.SubmitAsync(spec, priority, null, ct).ConfigureAwait(false);
        return Accepted(run, runs);
    }

    private static async Task<IResult> CancelAsync(string id, RunService runs, RunStore store, CancellationToken ct)
    {
        var outcome = await runs.CancelAsync(id, ct).ConfigureAwait(false);
        var run = await store.GetRunAsync(id, ct).ConfigureAwait(false);
        return outcome switch
        {
            CancelOutcome.NotFound => NotFound(id),
            CancelOutcome.Cancelled => TypedResults.Ok(await SummaryAsync(run!, runs, store, ct).ConfigureAwait(false)),
            CancelOutcome.Cancelling => TypedResults.Accepted($"/api/runs/{id}", await SummaryAsync(run!, runs, store, ct).ConfigureAwait(false)),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The run has already finished",
                detail: $"run {id} is {run!.Status}; only queued or running runs can be cancelled"),
        };
    }

    private static async Task<IResult> RerunAsync(string id, HttpRequest request, RunService runs, RunStore store, ScenarioCatalog scenarios, CancellationToken ct)
    {
        var original = await store.GetRunAsync(id, ct).ConfigureAwait(false);
        if (original is null) return NotFound(id);
        var (body, problem) = await ReadBodyAsync(request, required: false, ct).ConfigureAwait(false);
        if (problem is not null) return problem;
        var (priority, errors) = RunRequestReader.ReadRerun(body);
        if (errors.Count > 0) return Invalid(errors);
        if (!scenarios.Contains(original.Spec.Scenario))
            return Invalid(new() { ["scenario"] = [$"the original run's scenario '{original.Spec.Scenario}' is no longer configured on this server"] });
        var run = await runs.SubmitAsync(original.Spec, priority ?? original.Priority, original.Id, ct).ConfigureAwait(false);
        return Accepted(run, runs);
    }

    private static IResult Accepted(RunRecord run, RunService runs)
    {
        string url = $"/api/runs/{run.Id}";
        return TypedResults.Accepted(url, new RunAccepted(run.Id, run.Status, runs.QueuePosition(run.Id), url));
    }

    /// <summary>The body as JSON, or the problem to answer with.</summary>
    private static async Task<(JsonElement? Body, IResult? Problem)> ReadBodyAsync(HttpRequest request, bool required, CancellationToken ct)
    {
        if (request.ContentLength is > MaxBodyBytes)
            return (null, TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "The request body is too large", detail: $"at most {MaxBodyBytes} bytes"));
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int n;
        while ((n = await request.Body.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            buffer.Write(chunk, 0, n);
            if (buffer.Length > MaxBodyBytes)
                return (null, TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "The request body is too large", detail: $"at most {MaxBodyBytes} bytes"));
        }
        if (buffer.Length == 0)
            return required
                ? (null, Invalid(new() { ["body"] = ["the body is empty: send a JSON object with the run's settings ({} for the defaults)"] }))
                : (null, null);
        try
        {
            using var doc = JsonDocument.Parse(buffer.ToArray());
            return (doc.RootElement.Clone(), null);
        }
        catch (JsonException e)
        {
            return (null, Invalid(new() { ["body"] = [$"not valid JSON: {e.Message}"] }));
        }
    }

    private static IResult Invalid(Dictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, title: "The request is invalid",
            detail: string.Join("; ", errors.Select(kv => $"{kv.Key}: {string.Join(", ", kv.Value)}")));

    private static IResult NotFound(string id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such run", detail: $"there is no run '{id}'");

    // ------------------------------------------------------------------ reads

    private static async Task<IResult> ListAsync(RunService runs, RunStore store, string? status, int? limit, CancellationToken ct)
    {
        RunStatus? filter = null;
        if (status is { Length: > 0 })
        {
            if (!Enum.TryParse<RunStatus>(status, ignoreCase: true, out var s) || int.TryParse(status, out _))
                return Invalid(new() { ["status"] = [$"'{status}' is not one of {string.Join(", ", Enum.GetNames<RunStatus>())}"] });
            filter = s;
        }
        if (limit is < 1 or > 5000) return Invalid(new() { ["limit"] = [$"must be from 1 to 5000, got {limit}"] });
        var list = await store.ListRunsAsync(filter, limit ?? 500, ct).ConfigureAwait(false);
        var result = new List<RunSummary>(list.Count);
        foreach (var r in list) result.Add(await SummaryAsync(r, runs, store, ct).ConfigureAwait(false));
        return TypedResults.Ok(result);
    }

    private static async Task<IResult> GetAsync(string id, RunService runs, RunStore store, CancellationToken ct)
    {
        var run = await store.GetRunAsync(id, ct).ConfigureAwait(false);
        if (run is null) return NotFound(id);
        var iterations = await store.GetIterationsAsync(id, ct).ConfigureAwait(false);
        var counts = await store.TaskCountsAsync(id, ct).ConfigureAwait(false);
        var logs = await store.GetLogFilesAsync(id, ct).ConfigureAwait(false);
        string url = $"/api/runs/{id}";
        var links = new Dictionary<string, string>
        {
            ["self"] = url, ["tasks"] = url + "/tasks", ["log"] = url + "/logs", ["report"] = url + "/report",
            ["paths"] = url + "/paths", ["cancel"] = url + "/cancel", ["rerun"] = url + "/rerun",
        };
        return TypedResults.Ok(new RunDetail(
            Summary(run, runs, iterations),
            run.Spec.Alpha,
            run.Spec.AndersonDepth,
            run.Spec.Macro,
            run.Error,
            run.Folder,
            iterations.Select(i => new IterationView(i.Iteration, i.Residual, i.AbsoluteResidual, i.StepSize, i.Method, i.WallSeconds, i.ComponentSeconds)).ToArray(),
            Enum.GetValues<SubTaskState>().ToDictionary(s => StateName(s), s => counts.GetValueOrDefault(s)),
            logs.Select(l => new LogView(l.Name, $"{url}/logs/{Uri.EscapeDataString(l.Name)}")).ToArray(),
            File.Exists(Path.Combine(run.Folder, "report.html")),
            links));
    }

    private static async Task<IResult> TasksAsync(string id, RunStore store, CancellationToken ct)
    {
        if (await store.GetRunAsync(id, ct).ConfigureAwait(false) is null) return NotFound(id);
        var tasks = await store.GetTasksAsync(id, ct).ConfigureAwait(false);
        string url = $"/api/runs/{id}";
        return TypedResults.Ok(tasks.Select(t =>
        {
            var links = new Dictionary<string, string> { ["kernelLog"] = $"{url}/logs/{Uri.EscapeDataString(t.Kernel)}" };
            if (t.OutputLog is not null) links["output"] = $"{url}/tasks/{t.No}/output";
            if (t.ErrorLog is not null) links["error"] = $"{url}/tasks/{t.No}/error";
            double? seconds = t is { KernelStartedAt: { } s, KernelEndedAt: { } e } && e >= s ? (e - s).TotalSeconds : null;
            return new TaskView(t.No, t.Name, t.Attempt, t.Iteration, t.Step, t.Kernel, StateName(t.State), t.Retry, t.QueuedAt, t.StartedAt, t.EndedAt,
                t.KernelQueuedAt, t.KernelStartedAt, t.KernelEndedAt, seconds, t.Error, links);
        }).ToArray());
    }

    private static Task<IResult> TaskOutputAsync(string id, int no, RunStore store, CancellationToken ct) =>
        TaskFileAsync(id, no, store, t => t.OutputLog, "the task wrote no output in its kernel", ct);

    private static Task<IResult> TaskErrorAsync(string id, int no, RunStore store, CancellationToken ct) =>
        TaskFileAsync(id, no, store, t => t.ErrorLog, "the task did not fail", ct);

    private static async Task<IResult> TaskFileAsync(string id, int no, RunStore store, Func<TaskRow, string?> pick, string none, CancellationToken ct)
    {
        if (await store.GetRunAsync(id, ct).ConfigureAwait(false) is null) return NotFound(id);
        var task = await store.GetTaskAsync(id, no, ct).ConfigureAwait(false);
        if (task is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such task", detail: $"run {id} has no task {no}");
        if (pick(task) is not { } path || !File.Exists(path))
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such file", detail: $"task {no} ({task.Name}): {none}");
        return TypedResults.Text(await ReadSharedAsync(path, null, ct).ConfigureAwait(false), "text/plain; charset=utf-8");
    }

    private static async Task<IResult> RunLogAsync(string id, int? tail, RunStore store, CancellationToken ct) =>
        await NamedLogAsync(id, "run", tail, store, ct).ConfigureAwait(false);

    private static async Task<IResult> NamedLogAsync(string id, string name, int? tail, RunStore store, CancellationToken ct)
    {
        var run = await store.GetRunAsync(id, ct).ConfigureAwait(false);
        if (run is null) return NotFound(id);
        if (tail is < 1 or > 100_000) return Invalid(new() { ["tail"] = [$"must be from 1 to 100000 lines, got {tail}"] });
        var logs = await store.GetLogFilesAsync(id, ct).ConfigureAwait(false);
        var log = logs.FirstOrDefault(l => l.Name == name);
        if (log is null)
        {
            string known = logs.Count == 0 ? "none yet" : string.Join(", ", logs.Select(l => l.Name));
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such log",
                detail: run.Status == RunStatus.Queued ? $"run {id} is queued: it has no logs until it starts" : $"run {id} has no log '{name}' (its logs: {known})");
        }
        if (!File.Exists(log.Path))
        {
            // Registered when the run starts, written a moment later: an empty log, not an error, meanwhile.
            if (!run.Status.IsFinal()) return TypedResults.Text("", "text/plain; charset=utf-8");
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Log file missing", detail: $"{log.Path} does not exist (any more)");
        }
        return TypedResults.Text(await ReadSharedAsync(log.Path, tail, ct).ConfigureAwait(false), "text/plain; charset=utf-8");
    }

    private static async Task<IResult> ReportAsync(string id, RunStore store, CancellationToken ct)
    {
        var run = await store.GetRunAsync(id, ct).ConfigureAwait(false);
        if (run is null) return NotFound(id);
        string html = Path.Combine(run.Folder, "report.html");
        if (File.Exists(html)) return TypedResults.Text(await File.ReadAllTextAsync(html, ct).ConfigureAwait(false), "text/html; charset=utf-8");
        string detail = run.Status.IsFinal()
            ? await NoReportReasonAsync(run, ct).ConfigureAwait(false)
            : $"run {id} is {run.Status}: the report is written when it finishes";
        return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No report", detail: detail);
    }

    /// <summary>The run log's own explanation when the report could not be written (the run itself stands).</summary>
    private static async Task<string> NoReportReasonAsync(RunRecord run, CancellationToken ct)
    {
        string log = Path.Combine(run.Folder, "ogclews.log");
        const string marker = "warning: no report: ";
        if (File.Exists(log))
        {
            string text = await ReadSharedAsync(log, null, ct).ConfigureAwait(false);
            int at = text.LastIndexOf(marker, StringComparison.Ordinal);
            if (at >= 0) return $"run {run.Id} ended ({run.Status}) without a report: " + text[(at + marker.Length)..].Split('\n')[0].Trim();
        }
        return $"run {run.Id} ended ({run.Status}) without a report" + (run.Status is RunStatus.Failed or RunStatus.Cancelled ? " (runs that fail or are cancelled before their first iteration have none)" : "");
    }

    private static async Task<IResult> PathsAsync(string id, RunStore store, CancellationToken ct)
    {
        var run = await store.GetRunAsync(id, ct).ConfigureAwait(false);
        if (run is null) return NotFound(id);
        string path = Path.Combine(run.Folder, "paths.csv");
        if (!run.Status.IsFinal() || !File.Exists(path))
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No paths",
                detail: run.Status.IsFinal() ? $"run {id} ended ({run.Status}) without writing paths.csv" : $"run {id} is {run.Status}: the paths are written when it finishes");
        var lines = (await File.ReadAllTextAsync(path, ct).ConfigureAwait(false)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var header = lines[0].Split(',');
        var columns = header.ToDictionary(h => h, _ => new double?[lines.Length - 1], StringComparer.Ordinal);
        for (int row = 1; row < lines.Length; row++)
        {
            var cells = lines[row].Split(',');
            for (int c = 0; c < header.Length && c < cells.Length; c++)
                columns[header[c]][row - 1] = double.TryParse(cells[c], NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) ? v : null;
        }
        return TypedResults.Ok(new PathsView(columns));
    }

    private static async Task<HealthView> HealthAsync(RunService runs, RunStore store, ServerOptions options, CancellationToken ct) =>
        new("ok", store.Description, await store.SchemaVersionAsync(ct).ConfigureAwait(false), options.Concurrency,
            options.Kernels.ToString().ToLowerInvariant(), runs.QueuedCount, runs.RunningCount, options.Token is not null);

    // ------------------------------------------------------------------ helpers

    internal static async Task<RunSummary> SummaryAsync(RunRecord run, RunService runs, RunStore store, CancellationToken ct) =>
        Summary(run, runs, run.Status is RunStatus.Running or RunStatus.Cancelled or RunStatus.Failed
            ? await store.GetIterationsAsync(run.Id, ct).ConfigureAwait(false)
            : []);

    private static RunSummary Summary(RunRecord run, RunService runs, IReadOnlyList<IterationRow> iterations) => new(
        run.Id, run.Spec.Scenario, run.Spec.Method, run.Priority, run.Status, run.Message, run.SubmittedAt, run.StartedAt, run.FinishedAt,
        run.Iterations, run.Spec.MaxIterations, run.Residual, run.Spec.Tolerance, Progress(run, iterations),
        run.Status == RunStatus.Queued ? runs.QueuePosition(run.Id) : null, run.StartSeq, run.Attempts, run.RerunOf, $"/api/runs/{run.Id}");

    /// <summary>
    /// 0 to 1. A run that stopped on its own (converged, limit, diverged, oscillating) is 1. A running
    /// run's progress is the larger of the share of the iteration limit used and the share of the way,
    /// on a log scale, from the first residual down to the tolerance (a converging run is usually
    /// closer to done than its iteration count says); it stays below 1 until the run has finished. A
    /// cancelled or failed run keeps the progress it had reached.
    /// </summary>
    internal static double Progress(RunRecord run, IReadOnlyList<IterationRow> iterations)
    {
        if (run.Status.IsFinal() && run.Status is not (RunStatus.Cancelled or RunStatus.Failed)) return 1;
        if (run.Status == RunStatus.Queued || iterations.Count == 0) return 0;
        double byCount = (double)iterations.Count / run.Spec.MaxIterations;
        double byResidual = 0;
        if (iterations[0].Residual is { } r0 && iterations[^1].Residual is { } r && r0 > run.Spec.Tolerance && r > 0)
            byResidual = Math.Log(r0 / r) / Math.Log(r0 / run.Spec.Tolerance);
        return Math.Clamp(Math.Max(byCount, byResidual), 0, 0.99);
    }

    private static string StateName(SubTaskState s) => s.ToString().ToUpperInvariant();

    /// <summary>A file another process may be appending to; the last <paramref name="tail"/> lines when given.</summary>
    private static async Task<string> ReadSharedAsync(string path, int? tail, CancellationToken ct)
    {
        await using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(s, Encoding.UTF8);
        string text = await reader.ReadToEndAsync(ct).ConfigureAwait(false);
        if (tail is not { } n) return text;
        var lines = text.Split('\n');
        int count = lines.Length > 0 && lines[^1].Length == 0 ? lines.Length - 1 : lines.Length;
        return string.Join('\n', lines.Skip(Math.Max(0, count - n)).Take(Math.Min(n, count))) + (count > 0 ? "\n" : "");
    }

    /// <summary>
    /// Requires the configured token on write endpoints (compared in constant time). With no token
    /// configured the server only listens on loopback (<see cref="ServerOptions.From"/> refuses
    /// anything else), so writes are open to this machine's users only.
    /// </summary>
    private sealed class TokenFilter(string? token) : IEndpointFilter
    {
        private readonly byte[]? _token = token is null ? null : Encoding.UTF8.GetBytes(token);

        public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        {
            if (_token is null) return next(context);
            var headers = context.HttpContext.Request.Headers;
            string? given = headers[TokenHeader].FirstOrDefault();
            if (given is null && headers.Authorization.FirstOrDefault() is { } auth && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
                given = auth["Bearer ".Length..].Trim();
            if (given is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), _token))
                return next(context);
            context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
            return ValueTask.FromResult<object?>(TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "A token is required",
                detail: given is null
                    ? $"this server requires its token on write requests: send it in the {TokenHeader} header or as Authorization: Bearer <token>"
                    : "the token does not match the server's"));
        }
    }
}
