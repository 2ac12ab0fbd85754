using System.Net;
using System.Text.Json;
using OgClews.Server.Runs;

namespace OgClews.Server.Tests;

/// <summary>The run queue under load: priorities, submission order, cancellation while queued, a shared kernel pool.</summary>
public class QueueTests
{
    [Fact]
    public async Task Fifty_queued_runs_with_concurrency_two_all_complete_in_priority_then_submission_order()
    {
        await using var server = await InProcessServer.StartAsync(null, "--concurrency", "2", "--kernels", "pool", "--scenarios", TinyScenario.Folder);
        var http = server.Http;

        // Two slow runs take both slots, so the other 48 are all queued before any of them can start:
        // their start order is then fully decided by the queue.
        var blockers = new List<string>();
        for (int i = 0; i < 2; i++)
            blockers.Add(await http.SubmitAsync(new { scenario = TinyScenario.Name, method = "damped", tolerance = 1e-12, maxIterations = 12, priority = 1 }));
        foreach (string b in blockers)
            await http.WaitForRunAsync(b, d => d.Status() == "Running", TimeSpan.FromSeconds(60), "a blocker starting");

        var random = new Random(8);
        var queued = new List<(string Id, int Priority, int Index)>();
        for (int i = 0; i < 48; i++)
        {
            int priority = random.Next(1, 11);
            queued.Add((await http.SubmitAsync(new { scenario = TinyScenario.Name, tolerance = 0.01, priority }), priority, i));
        }
        var expected = queued.OrderByDescending(q => q.Priority).ThenBy(q => q.Index).Select(q => q.Id).ToList();

        // The queue as the API shows it: every waiting run's position is its rank.
        var list = (await http.GetJsonAsync("/api/runs")).EnumerateArray().ToDictionary(r => r.GetProperty("id").GetString()!);
        foreach (string b in blockers)
            Assert.True(list[b].GetProperty("status").GetString() == "Running", $"blocker {b} finished before the queue was full: {list[b]}");
        for (int rank = 0; rank < expected.Count; rank++)
            Assert.Equal(rank + 1, list[expected[rank]].GetProperty("queuePosition").GetInt32());

        // Two queued runs are cancelled: they end at once and never start.
        string[] cancelled = [expected[4], expected[30]];
        foreach (string c in cancelled)
        {
            var (status, summary, _) = await http.PostJsonAsync($"/api/runs/{c}/cancel", null);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("Cancelled", summary.GetProperty("status").GetString());
        }
        expected.RemoveAll(cancelled.Contains);
        Assert.Equal(1, (await http.GetJsonAsync($"/api/runs/{expected[0]}")).GetProperty("run").GetProperty("queuePosition").GetInt32());
        Assert.Equal(29, (await http.GetJsonAsync($"/api/runs/{expected[28]}")).GetProperty("run").GetProperty("queuePosition").GetInt32());

        // Everything finishes; nothing is lost.
        var deadline = DateTime.UtcNow.AddSeconds(150);
        JsonElement[] runs;
        while (true)
        {
            runs = (await http.GetJsonAsync("/api/runs?limit=100")).EnumerateArray().ToArray();
            if (runs.All(r => Api.FinalStatuses.Contains(r.GetProperty("status").GetString())) || DateTime.UtcNow > deadline) break;
            await Task.Delay(250);
        }
        Assert.Equal(50, runs.Length);
        var byId = runs.ToDictionary(r => r.GetProperty("id").GetString()!);
        Assert.All(byId.Values, r => Assert.True(Api.FinalStatuses.Contains(r.GetProperty("status").GetString()), $"not finished: {r}"));
        foreach (string b in blockers)
        {
            Assert.Equal("MaxIterations", byId[b].GetProperty("status").GetString());
            Assert.Equal(12, byId[b].GetProperty("iterations").GetInt32());
        }
        foreach (string c in cancelled)
        {
            Assert.Equal("Cancelled", byId[c].GetProperty("status").GetString());
            Assert.Equal(0, byId[c].GetProperty("attempts").GetInt32());
            Assert.Equal(JsonValueKind.Null, byId[c].GetProperty("startOrder").ValueKind);
        }
        foreach (string id in expected)
        {
            var r = byId[id];
            Assert.True(r.GetProperty("status").GetString() == "Converged", $"run {id}: {r}");
            Assert.Equal(1, r.GetProperty("iterations").GetInt32());
            Assert.Equal(1, r.GetProperty("attempts").GetInt32());
        }

        // The start order is the queue order: priority first, then submission.
        var started = expected.OrderBy(id => byId[id].GetProperty("startOrder").GetInt64()).ToList();
        Assert.Equal(expected, started);
        Assert.Equal(Enumerable.Range(3, expected.Count).Select(i => (long)i), expected.Select(id => byId[id].GetProperty("startOrder").GetInt64()));
        // Each run's folder holds its results and its tasks are all completed.
        foreach (string id in expected.Take(5))
        {
            var detail = await http.GetJsonAsync($"/api/runs/{id}");
            Assert.True(File.Exists(Path.Combine(detail.GetProperty("folder").GetString()!, "run.json")));
            Assert.Equal(0, detail.GetProperty("taskCounts").GetProperty("QUEUED").GetInt32());
            Assert.True(detail.GetProperty("taskCounts").GetProperty("COMPLETED").GetInt32() >= 5);
        }
        // Two kernel sets served all 48 runs (one per slot).
        Assert.Equal(2, server.Service<RunService>().Pool!.Created);
    }
}
