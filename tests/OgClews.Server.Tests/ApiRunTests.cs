using System.Globalization;
using System.Net;
using System.Text.Json;

namespace OgClews.Server.Tests;

/// <summary>Runs over the API on the real kernels (demo scenario, S = 40), each run starting its own kernels.</summary>
public class ApiRunTests
{
    private static readonly string[] Steps = ["macro_to_energy", "energy.solve", "energy_to_macro", "macro.solve_transition"];

    [Fact]
    public async Task A_submitted_run_converges_with_its_residuals_sub_tasks_logs_report_and_paths()
    {
        await using var server = await InProcessServer.StartAsync(null);
        var http = server.Http;
        string id = await http.SubmitAsync(new { scenario = "demo", method = "anderson", tolerance = 1e-6, maxIterations = 30, priority = 7, macro = new { S = 40 } });

        // Live: while it runs, the detail shows a run with progress below 1.
        var running = await http.WaitForRunAsync(id, d => d.Status() == "Running" || d.IsFinal(), TimeSpan.FromSeconds(30), "starting");
        var detail = await http.WaitFinalAsync(id, TimeSpan.FromSeconds(120));
        var run = detail.GetProperty("run");
        Assert.Equal("Converged", run.GetProperty("status").GetString());
        Assert.Equal(1.0, run.GetProperty("progress").GetDouble());
        Assert.Equal(7, run.GetProperty("priority").GetInt32());
        Assert.Equal(1, run.GetProperty("attempts").GetInt32());
        Assert.Equal(40, detail.GetProperty("macro").GetProperty("S").GetDouble());
        if (running.Status() == "Running") Assert.True(running.GetProperty("run").GetProperty("progress").GetDouble() < 1);

        // The residual history is the run folder's iterations.csv, number for number.
        string folder = detail.GetProperty("folder").GetString()!;
        var csv = File.ReadAllLines(Path.Combine(folder, "iterations.csv")).Skip(1).Select(l => l.Split(',')).ToArray();
        var residuals = detail.GetProperty("residuals").EnumerateArray().ToArray();
        Assert.Equal(csv.Length, residuals.Length);
        Assert.Equal(csv.Length, run.GetProperty("iterations").GetInt32());
        for (int k = 0; k < csv.Length; k++)
        {
            Assert.Equal(k, residuals[k].GetProperty("iteration").GetInt32());
            Assert.Equal(double.Parse(csv[k][1], CultureInfo.InvariantCulture), residuals[k].GetProperty("residual").GetDouble());
            Assert.Equal(csv[k][4], residuals[k].GetProperty("method").GetString());
        }
        Assert.True(residuals[^1].GetProperty("residual").GetDouble() < 1e-6);

        // Sub-tasks: the remote macro model's creation, calibration, then the four steps of every
        // iteration, all completed with kernel timings.
        var tasks = (await http.GetJsonAsync($"/api/runs/{id}/tasks")).EnumerateArray().ToArray();
        Assert.Equal("macro.model", tasks[0].GetProperty("step").GetString());
        Assert.Equal("calibration", tasks[1].GetProperty("step").GetString());
        for (int k = 0; k < csv.Length; k++)
        {
            var steps = tasks.Where(t => t.GetProperty("iteration").GetInt32() == k).Select(t => t.GetProperty("step").GetString()).ToArray();
            Assert.Equal(Steps, steps);
        }
        Assert.Equal(Enumerable.Range(1, tasks.Length), tasks.Select(t => t.GetProperty("no").GetInt32()));
        foreach (var t in tasks)
        {
            string what = t.GetProperty("name").GetString()!;
            Assert.Equal("COMPLETED", t.GetProperty("state").GetString());
            Assert.Equal(0, t.GetProperty("retry").GetInt32());
            var queued = t.GetProperty("queuedAt").GetDateTimeOffset();
            var kStart = t.GetProperty("kernelStartedAt").GetDateTimeOffset();
            var kEnd = t.GetProperty("kernelEndedAt").GetDateTimeOffset();
            var ended = t.GetProperty("endedAt").GetDateTimeOffset();
            Assert.True(kStart <= kEnd && queued <= ended, $"{what}: times out of order: {t}");
            Assert.True(t.GetProperty("kernelSeconds").GetDouble() >= 0, what);
            // Every task links its output (what it printed in the kernel) and its kernel's log.
            string output = await http.GetStringAsync(t.GetProperty("links").GetProperty("output").GetString());
            Assert.NotNull(output);
            Assert.False(t.GetProperty("links").TryGetProperty("error", out _), what);
        }
        Assert.True(tasks.Where(t => t.GetProperty("step").GetString() == "energy.solve").All(t => t.GetProperty("kernelSeconds").GetDouble() > 0));
        var counts = detail.GetProperty("taskCounts");
        Assert.Equal(tasks.Length, counts.GetProperty("COMPLETED").GetInt32());
        Assert.Equal(0, counts.GetProperty("QUEUED").GetInt32() + counts.GetProperty("ERROR").GetInt32() + counts.GetProperty("CANCELLED").GetInt32());

        // Logs: the run log, and each kernel's log by name.
        string log = await http.GetStringAsync($"/api/runs/{id}/logs");
        Assert.Contains("Converged at iteration", log);
        string tail = await http.GetStringAsync($"/api/runs/{id}/logs?tail=2");
        Assert.Equal(2, tail.TrimEnd('\n').Split('\n').Length);
        Assert.Equal(["energy", "etl", "macro", "run"], detail.GetProperty("logs").EnumerateArray().Select(l => l.GetProperty("name").GetString()).Order());
        foreach (string kernel in new[] { "energy", "etl", "macro" })
            Assert.Contains("[mesh]", await http.GetStringAsync($"/api/runs/{id}/logs/{kernel}"));
        using var missingLog = await http.GetAsync($"/api/runs/{id}/logs/solver");
        Assert.Equal(HttpStatusCode.NotFound, missingLog.StatusCode);
        Assert.Contains("its logs: energy, etl, macro, run", await missingLog.Content.ReadAsStringAsync());

        // Report and final paths.
        Assert.True(detail.GetProperty("hasReport").GetBoolean());
        using var report = await http.GetAsync($"/api/runs/{id}/report");
        Assert.Equal("text/html", report.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<canvas", await report.Content.ReadAsStringAsync());
        var paths = (await http.GetJsonAsync($"/api/runs/{id}/paths")).GetProperty("columns");
        Assert.Equal(Enumerable.Range(2025, 26).Select(y => (double)y), paths.GetProperty("year").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal(26, paths.GetProperty("gdp_coupled").GetArrayLength());

        // A finished run cannot be cancelled; it can be rerun with the same settings.
        var (status, conflict, _) = await http.PostJsonAsync($"/api/runs/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains("is Converged", conflict.GetProperty("detail").GetString());
        var (rerunStatus, accepted, response) = await http.PostJsonAsync($"/api/runs/{id}/rerun", """{"priority": 2}""");
        Assert.Equal(HttpStatusCode.Accepted, rerunStatus);
        string again = accepted.GetProperty("id").GetString()!;
        Assert.Equal($"/api/runs/{again}", response.Headers.Location?.OriginalString);
        var rerun = (await http.GetJsonAsync($"/api/runs/{again}"));
        Assert.Equal(id, rerun.GetProperty("run").GetProperty("rerunOf").GetString());
        Assert.Equal(2, rerun.GetProperty("run").GetProperty("priority").GetInt32());
        Assert.Equal(40, rerun.GetProperty("macro").GetProperty("S").GetDouble());
        var (badStatus, bad, _) = await http.PostJsonAsync($"/api/runs/{id}/rerun", """{"priority": 2, "method": "damped"}""");
        Assert.Equal(HttpStatusCode.BadRequest, badStatus);
        Assert.Contains("a rerun takes only priority", bad.GetProperty("errors").GetProperty("method")[0].GetString());
        // Not needed further: stop it (queued or just started).
        var (cancelStatus, _, _) = await http.PostJsonAsync($"/api/runs/{again}/cancel", null);
        Assert.True(cancelStatus is HttpStatusCode.OK or HttpStatusCode.Accepted, $"cancel of the rerun: {cancelStatus}");
        await http.WaitFinalAsync(again, TimeSpan.FromSeconds(30));

        var list = await http.GetJsonAsync("/api/runs");
        Assert.Equal([again, id], list.EnumerateArray().Select(r => r.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Cancelling_a_running_run_ends_its_kernel_tasks_cancelled_within_seconds()
    {
        await using var server = await InProcessServer.StartAsync(null);
        var http = server.Http;
        // Damped with a tight tolerance: many iterations, so it is surely still running when cancelled.
        string id = await http.SubmitAsync(new { method = "damped", tolerance = 1e-12, maxIterations = 200, macro = new { S = 40 } });
        await http.WaitForRunAsync(id, d => d.GetProperty("run").GetProperty("iterations").GetInt32() >= 1
                                           && d.GetProperty("taskCounts").GetProperty("QUEUED").GetInt32() > 0,
            TimeSpan.FromSeconds(90), "an iteration completing with the next one in flight", pollMs: 20);

        var sw = System.Diagnostics.Stopwatch.StartNew();
        var (status, summary, _) = await http.PostJsonAsync($"/api/runs/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal("Running", summary.GetProperty("status").GetString());
        var detail = await http.WaitFinalAsync(id, TimeSpan.FromSeconds(15));
        double seconds = sw.Elapsed.TotalSeconds;
        Assert.Equal("Cancelled", detail.Status());
        Assert.True(seconds < 10, $"the run took {seconds:F1} s to stop");

        var tasks = (await http.GetJsonAsync($"/api/runs/{id}/tasks")).EnumerateArray().ToArray();
        Assert.DoesNotContain(tasks, t => t.GetProperty("state").GetString() is "PENDING" or "QUEUED" or "STARTED");
        var cancelled = tasks.Where(t => t.GetProperty("state").GetString() == "CANCELLED").ToArray();
        Assert.NotEmpty(cancelled);
        Assert.All(cancelled, t => Assert.True(t.GetProperty("endedAt").GetDateTimeOffset() <= DateTimeOffset.UtcNow));
        // The iterations completed before the cancel are kept, with their checkpoints.
        int done = detail.GetProperty("run").GetProperty("iterations").GetInt32();
        Assert.True(done >= 1);
        Assert.True(File.Exists(Path.Combine(detail.GetProperty("folder").GetString()!, "checkpoints", $"iter-{done - 1:D4}.json")));
        Assert.Contains("Cancelled", detail.GetProperty("run").GetProperty("message").GetString());

        var (again, conflict, _) = await http.PostJsonAsync($"/api/runs/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.Conflict, again);
        Assert.Contains("only queued or running runs can be cancelled", conflict.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_kernel_task_that_fails_links_its_error_and_the_kernels_log_tail()
    {
        // The tiny scenario plus a data file the energy model's GMPL reader rejects: the energy kernel's solve fails.
        string folder = Temp.NewFolder("broken-scenario");
        File.Copy(Path.Combine(TinyScenario.Folder, "tiny.dat"), Path.Combine(folder, "tiny.dat"));
        File.WriteAllText(Path.Combine(folder, "broken.dat"), "data;\nparam NoSuchParameter := 1;\nend;\n");
        File.WriteAllText(Path.Combine(folder, "broken.json"),
            """{ "name": "broken", "baseDataFile": "tiny.dat", "extraDataFiles": ["broken.dat"], "macro": { "S": 20 } }""");
        await using var server = await InProcessServer.StartAsync(null, "--scenarios", folder);
        string id = await server.Http.SubmitAsync(new { scenario = "broken" });
        var detail = await server.Http.WaitFinalAsync(id, TimeSpan.FromSeconds(60));
        Assert.Equal("Failed", detail.Status());
        Assert.Equal(1, detail.GetProperty("taskCounts").GetProperty("ERROR").GetInt32());

        var failed = (await server.Http.GetJsonAsync($"/api/runs/{id}/tasks")).EnumerateArray().Single(t => t.GetProperty("state").GetString() == "ERROR");
        Assert.Equal(("iter-0000/energy.solve", "energy"), (failed.GetProperty("name").GetString(), failed.GetProperty("kernel").GetString()));
        Assert.Contains("NoSuchParameter", failed.GetProperty("error").GetString());
        string errorLog = await server.Http.GetStringAsync(failed.GetProperty("links").GetProperty("error").GetString());
        Assert.Contains("task: iter-0000/energy.solve", errorLog);
        Assert.Contains("NoSuchParameter", errorLog);
        Assert.Contains("last lines of the kernel log:", errorLog);
        Assert.Contains("energy.solve", detail.GetProperty("error").GetString() + detail.GetProperty("run").GetProperty("message").GetString() + errorLog);
        // A task that did not fail has no error log.
        using var none = await server.Http.GetAsync($"/api/runs/{id}/tasks/1/error");
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
        Assert.Contains("the task did not fail", await none.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_run_the_macro_model_refuses_fails_with_the_models_message()
    {
        await using var server = await InProcessServer.StartAsync(null, "--scenarios", TinyScenario.Folder);
        // Accepted by the service (a known parameter), refused by the model when the run starts.
        string id = await server.Http.SubmitAsync(new { scenario = "tiny", macro = new { sigma = -1.0 } });
        var detail = await server.Http.WaitFinalAsync(id, TimeSpan.FromSeconds(60));
        Assert.Equal("Failed", detail.Status());
        Assert.Contains("sigma", detail.GetProperty("error").GetString());
        using var report = await server.Http.GetAsync($"/api/runs/{id}/report");
        Assert.Equal(HttpStatusCode.NotFound, report.StatusCode);
        Assert.Contains("without a report", await report.Content.ReadAsStringAsync());
        var tasks = (await server.Http.GetJsonAsync($"/api/runs/{id}/tasks")).EnumerateArray().ToArray();
        Assert.DoesNotContain(tasks, t => t.GetProperty("state").GetString() is "QUEUED" or "STARTED");
    }
}
