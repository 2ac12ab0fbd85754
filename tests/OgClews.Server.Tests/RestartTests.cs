using System.Globalization;
using System.Text.Json;
using OgClews.Runner;
using OgClews.Server.Store;

namespace OgClews.Server.Tests;

/// <summary>A server that dies (or stops) during a run: the next start finishes it from its last checkpoint.</summary>
public class RestartTests
{
    [Fact]
    public async Task A_server_killed_mid_run_resumes_it_on_restart_and_finishes_with_the_uninterrupted_result()
    {
        string data = Temp.NewFolder("restart");
        string[] args = ["--urls", "http://127.0.0.1:0", "--data", data, "--durable-checkpoints", "false", "--scenarios", TinyScenario.Folder];

        // The same run without interruption, computed meanwhile in this process.
        string referenceFolder = Temp.NewFolder("reference");
        var reference = Task.Run(() => CoupledRun.RunAsync(new CoupledRunOptions
        {
            Method = "anderson",
            Tolerance = 1e-8,
            MacroOverrides = new Dictionary<string, object?> { ["S"] = 40 },
            OutputFolder = referenceFolder,
            DurableCheckpoints = false,
        }));

        string id, queuedId;
        int checkpointsAtKill;
        string folder;
        await using (var first = await ServerProcess.StartAsync(args))
        {
            id = await first.Http.SubmitAsync(new { method = "anderson", tolerance = 1e-8, macro = new { S = 40 } });
            // Waits behind it (one slot): a queued run must survive the kill too.
            queuedId = await first.Http.SubmitAsync(new { scenario = TinyScenario.Name, tolerance = 0.01 });
            var running = await first.Http.WaitForRunAsync(id, d => d.GetProperty("run").GetProperty("iterations").GetInt32() >= 1 || d.IsFinal(),
                TimeSpan.FromSeconds(120), "the first iteration completing", pollMs: 20);
            Assert.Equal("Running", running.Status());
            folder = running.GetProperty("folder").GetString()!;
            await first.KillAsync();
            checkpointsAtKill = Directory.GetFiles(Path.Combine(folder, "checkpoints"), "iter-*.json").Length;
        }
        Assert.InRange(checkpointsAtKill, 1, 20);
        Assert.False(File.Exists(Path.Combine(folder, "run.json")), "the run had finished before the kill");

        // What the killed server left in its store: a running run, a queued one.
        await using (var store = await RunStore.OpenAsync(StoreKind.Sqlite, Path.Combine(data, "ogclews-server.db")))
        {
            Assert.Equal(RunStatus.Running, (await store.GetRunAsync(id))!.Status);
            Assert.Equal(RunStatus.Queued, (await store.GetRunAsync(queuedId))!.Status);
        }

        await using var second = await ServerProcess.StartAsync(args);
        var detail = await second.Http.WaitFinalAsync(id, TimeSpan.FromSeconds(120));
        var queued = await second.Http.WaitFinalAsync(queuedId, TimeSpan.FromSeconds(60));
        var result = await reference;

        var run = detail.GetProperty("run");
        Assert.Equal("Converged", run.GetProperty("status").GetString());
        Assert.Equal(2, run.GetProperty("attempts").GetInt32());
        Assert.Equal("Converged", queued.Status());
        Assert.Equal(2, queued.GetProperty("run").GetProperty("startOrder").GetInt64());

        // The iteration history is whole and equals the uninterrupted run's, bit for bit.
        int total = result.Convergence.Iterations;
        var residuals = detail.GetProperty("residuals").EnumerateArray().ToArray();
        Assert.Equal(Enumerable.Range(0, total), residuals.Select(r => r.GetProperty("iteration").GetInt32()));
        var expected = File.ReadAllLines(Path.Combine(referenceFolder, "iterations.csv")).Skip(1)
            .Select(l => double.Parse(l.Split(',')[1], CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(expected.Select(BitConverter.DoubleToInt64Bits), residuals.Select(r => BitConverter.DoubleToInt64Bits(r.GetProperty("residual").GetDouble())));
        Assert.Equal(File.ReadAllText(Path.Combine(referenceFolder, "paths.csv")), File.ReadAllText(Path.Combine(folder, "paths.csv")));

        // It resumed: only the iterations after the last checkpoint were evaluated again.
        using var runJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "run.json")));
        Assert.Equal(checkpointsAtKill - 1, runJson.RootElement.GetProperty("resumed_from_iteration").GetInt32());
        Assert.Equal(total - checkpointsAtKill, runJson.RootElement.GetProperty("evaluations_this_process").GetInt32());

        // The killed attempt's unfinished tasks are closed as interrupted; the second attempt's all completed.
        var tasks = (await second.Http.GetJsonAsync($"/api/runs/{id}/tasks")).EnumerateArray().ToArray();
        Assert.DoesNotContain(tasks, t => t.GetProperty("state").GetString() is "PENDING" or "QUEUED" or "STARTED");
        Assert.All(tasks.Where(t => t.GetProperty("attempt").GetInt32() == 1 && t.GetProperty("state").GetString() != "COMPLETED"), t =>
        {
            Assert.Equal("CANCELLED", t.GetProperty("state").GetString());
            Assert.Contains("interrupted: the server stopped", t.GetProperty("error").GetString());
        });
        var secondAttempt = tasks.Where(t => t.GetProperty("attempt").GetInt32() == 2).ToArray();
        Assert.NotEmpty(secondAttempt);
        Assert.All(secondAttempt, t => Assert.Equal("COMPLETED", t.GetProperty("state").GetString()));
        // The new kernels need their remote macro model again; no iteration is evaluated again.
        Assert.All(secondAttempt.Where(t => t.GetProperty("step").GetString() != "macro.model"),
            t => Assert.True(t.GetProperty("iteration").GetInt32() >= checkpointsAtKill, $"iteration evaluated twice: {t}"));
        Temp.Delete(referenceFolder);
        await second.DisposeAsync();
        Temp.Delete(data);
    }

    [Fact]
    public async Task A_run_waiting_to_resume_after_a_restart_can_be_cancelled_before_it_starts_again()
    {
        // What a killed server leaves: two runs marked running, neither executing any more.
        string data = Temp.NewFolder("waiting");
        await using (var store = await RunStore.OpenAsync(StoreKind.Sqlite, Path.Combine(data, "ogclews-server.db")))
        {
            var empty = new Dictionary<string, double>();
            await store.InsertRunAsync("aaaaaaaaaaaa", new RunSpec(TinyScenario.Name, "damped", 1e-12, 60, 0.5, 5, empty), 10, Path.Combine(data, "runs", "aaaaaaaaaaaa"), DateTimeOffset.UtcNow, null);
            await store.InsertRunAsync("bbbbbbbbbbbb", new RunSpec(TinyScenario.Name, "anderson", 1e-3, 60, 0.5, 5, empty), 1, Path.Combine(data, "runs", "bbbbbbbbbbbb"), DateTimeOffset.UtcNow, null);
            Assert.NotNull(await store.MarkStartedAsync("aaaaaaaaaaaa", DateTimeOffset.UtcNow));
            Assert.NotNull(await store.MarkStartedAsync("bbbbbbbbbbbb", DateTimeOffset.UtcNow));
        }
        // One slot: the more urgent run resumes, the other waits for the slot.
        await using var server = await InProcessServer.StartAsync(data, "--scenarios", TinyScenario.Folder);
        await server.Http.WaitForRunAsync("aaaaaaaaaaaa", d => d.GetProperty("run").GetProperty("attempts").GetInt32() == 2, TimeSpan.FromSeconds(30), "the urgent run resuming");
        var waiting = await server.Http.GetJsonAsync("/api/runs/bbbbbbbbbbbb");
        Assert.Equal(("Running", 1), (waiting.Status(), waiting.GetProperty("run").GetProperty("attempts").GetInt32()));

        var (status, summary, _) = await server.Http.PostJsonAsync("/api/runs/bbbbbbbbbbbb/cancel", null);
        Assert.Equal(System.Net.HttpStatusCode.OK, status);
        Assert.Equal("Cancelled", summary.GetProperty("status").GetString());
        Assert.Contains("waiting to resume", summary.GetProperty("message").GetString());

        (status, _, _) = await server.Http.PostJsonAsync("/api/runs/aaaaaaaaaaaa/cancel", null);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, status);
        Assert.Equal("Cancelled", (await server.Http.WaitFinalAsync("aaaaaaaaaaaa", TimeSpan.FromSeconds(20))).Status());
        Assert.Equal(1, (await server.Http.GetJsonAsync("/api/runs/bbbbbbbbbbbb")).GetProperty("run").GetProperty("attempts").GetInt32());
        await server.DisposeAsync();
        Temp.Delete(data);
    }

    [Fact]
    public async Task A_server_stopped_gracefully_leaves_its_run_to_resume_on_the_next_start()
    {
        string data = Temp.NewFolder("graceful");
        string[] args = ["--scenarios", TinyScenario.Folder];
        string id;
        await using (var first = await InProcessServer.StartAsync(data, args))
        {
            id = await first.Http.SubmitAsync(new { scenario = TinyScenario.Name, method = "damped", tolerance = 1e-12, maxIterations = 8 });
            await first.Http.WaitForRunAsync(id, d => d.GetProperty("run").GetProperty("iterations").GetInt32() >= 2, TimeSpan.FromSeconds(60), "two iterations", pollMs: 20);
        }
        await using (var store = await RunStore.OpenAsync(StoreKind.Sqlite, Path.Combine(data, "ogclews-server.db")))
        {
            var run = (await store.GetRunAsync(id))!;
            Assert.True(run.Status == RunStatus.Running, $"after a stop the run is {run.Status}: {run.Message}");
            Assert.DoesNotContain(await store.GetTasksAsync(id), t => t.State is SubTaskState.Queued or SubTaskState.Started or SubTaskState.Pending);
        }
        await using var second = await InProcessServer.StartAsync(data, args);
        var detail = await second.Http.WaitFinalAsync(id, TimeSpan.FromSeconds(60));
        Assert.Equal("MaxIterations", detail.Status());
        Assert.Equal(2, detail.GetProperty("run").GetProperty("attempts").GetInt32());
        Assert.Equal(Enumerable.Range(0, 8), detail.GetProperty("residuals").EnumerateArray().Select(r => r.GetProperty("iteration").GetInt32()));
        await second.DisposeAsync();
        Temp.Delete(data);
    }
}
