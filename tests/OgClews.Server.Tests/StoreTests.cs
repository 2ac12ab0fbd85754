using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using OgClews.Runner;
using OgClews.Server.Store;

namespace OgClews.Server.Tests;

/// <summary>
/// The run store's contract, run against each database: SQLite in a file, and a real PostgreSQL
/// server (<see cref="PostgresStoreTests"/>). Every test starts from a new, empty database.
/// </summary>
public abstract class StoreContract
{
    private static readonly RunSpec Spec = new("demo", "anderson", 1e-6, 60, 0.5, 5, new Dictionary<string, double> { ["S"] = 40 });

    /// <summary>A new empty database, opened (and migrated up to <paramref name="upTo"/>).</summary>
    private protected abstract Task<RunStore> OpenNewAsync(int? upTo = null);

    /// <summary>The database last opened by <see cref="OpenNewAsync"/>, opened again.</summary>
    private protected abstract Task<RunStore> ReopenAsync(int? upTo = null);

    /// <summary>A raw connection to that database (to look under the store).</summary>
    protected abstract DbConnection RawConnection();

    private async Task<long> ScalarAsync(string sql)
    {
        await using var c = RawConnection();
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }

    private async Task ExecAsync(string sql)
    {
        await using var c = RawConnection();
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync();
    }

    private static Task<RunRecord> InsertAsync(RunStore store, string id, int priority = 5) =>
        store.InsertRunAsync(id, Spec, priority, "/tmp/runs/" + id, DateTimeOffset.UtcNow, null);

    [Fact]
    public async Task A_new_database_is_migrated_to_the_latest_schema_and_reopening_changes_nothing()
    {
        await using (var store = await OpenNewAsync())
            Assert.Equal(Migrations.Latest, await store.SchemaVersionAsync());
        Assert.Equal(Migrations.All.Count, await ScalarAsync("SELECT COUNT(*) FROM schema_migrations"));
        await using (var again = await ReopenAsync())
            Assert.Equal(Migrations.Latest, await again.SchemaVersionAsync());
        Assert.Equal(Migrations.All.Count, await ScalarAsync("SELECT COUNT(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task An_older_database_is_upgraded_and_keeps_its_rows()
    {
        await using (var v1 = await OpenNewAsync(upTo: 1))
        {
            Assert.Equal(1, await v1.SchemaVersionAsync());
            await InsertAsync(v1, "old");
        }
        await using var store = await ReopenAsync();
        Assert.Equal(Migrations.Latest, await store.SchemaVersionAsync());
        Assert.Equal("old", (await store.GetRunAsync("old"))!.Id);
        // The table of schema 2 is there and usable.
        await store.SetLogFileAsync("old", "run", "/tmp/runs/old/ogclews.log");
        Assert.Equal("/tmp/runs/old/ogclews.log", Assert.Single(await store.GetLogFilesAsync("old")).Path);
    }

    [Fact]
    public async Task A_database_from_a_newer_server_is_refused_with_both_versions_named()
    {
        await (await OpenNewAsync()).DisposeAsync();
        await ExecAsync("INSERT INTO schema_migrations (version, description, applied_at) VALUES (99, 'future', '2099-01-01')");
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => ReopenAsync());
        Assert.Contains("schema version 99", e.Message);
        Assert.Contains($"this server's {Migrations.Latest}", e.Message);
    }

    [Fact]
    public async Task Runs_are_numbered_in_submission_order_listed_newest_first_and_queued_by_priority()
    {
        await using var store = await OpenNewAsync();
        var a = await InsertAsync(store, "a", priority: 2);
        var b = await InsertAsync(store, "b", priority: 9);
        var c = await InsertAsync(store, "c", priority: 9);
        Assert.Equal([1L, 2L, 3L], new[] { a.Seq, b.Seq, c.Seq });
        Assert.Equal(RunStatus.Queued, a.Status);
        Assert.Equal(Spec.Macro, a.Spec.Macro);
        Assert.Equal(Spec with { Macro = a.Spec.Macro }, a.Spec);
        Assert.Equal(["c", "b", "a"], (await store.ListRunsAsync()).Select(r => r.Id));
        Assert.Equal(["b", "c", "a"], (await store.ListUnfinishedAsync()).Select(r => r.Id));
        Assert.Equal(["c"], (await store.ListRunsAsync(RunStatus.Queued, limit: 1)).Select(r => r.Id));
        Assert.Null(await store.GetRunAsync("nope"));
    }

    [Fact]
    public async Task Concurrent_submissions_get_distinct_consecutive_numbers()
    {
        await using var store = await OpenNewAsync();
        var runs = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() => InsertAsync(store, "r" + i))));
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), runs.Select(r => r.Seq).Order());
    }

    [Fact]
    public async Task Starting_counts_attempts_keeps_the_first_start_and_refuses_cancelled_or_finished_runs()
    {
        await using var store = await OpenNewAsync();
        await InsertAsync(store, "a");
        await InsertAsync(store, "b");
        var t0 = DateTimeOffset.UtcNow;
        var first = await store.MarkStartedAsync("b", t0);
        Assert.NotNull(first);
        Assert.Equal((RunStatus.Running, 1, 1L), (first.Status, first.Attempts, first.StartSeq!.Value));
        // A restart starts it again: one more attempt, same start number and time.
        var second = await store.MarkStartedAsync("b", t0.AddMinutes(5));
        Assert.Equal((2, 1L), (second!.Attempts, second.StartSeq!.Value));
        Assert.Equal(first.StartedAt, second.StartedAt);
        Assert.Equal(2L, (await store.MarkStartedAsync("a", t0))!.StartSeq);

        await InsertAsync(store, "c");
        Assert.True(await store.CancelIfQueuedAsync("c", t0, "cancelled while queued"));
        Assert.False(await store.CancelIfQueuedAsync("c", t0, "again"));
        Assert.Null(await store.MarkStartedAsync("c", t0));
        Assert.Equal(RunStatus.Cancelled, (await store.GetRunAsync("c"))!.Status);

        Assert.False(await store.CancelIfQueuedAsync("a", t0, "running, not queued"));
        Assert.True(await store.RequestCancelAsync("a"));
        Assert.True((await store.GetRunAsync("a"))!.CancelRequested);
        Assert.Null(await store.MarkStartedAsync("a", t0));

        await store.FinishAsync("b", RunStatus.Converged, "done", null, t0.AddMinutes(6));
        var b = (await store.GetRunAsync("b"))!;
        Assert.Equal((RunStatus.Converged, "done"), (b.Status, b.Message));
        Assert.Equal(t0.AddMinutes(6).UtcTicks / 10, b.FinishedAt!.Value.UtcTicks / 10);
        Assert.False(await store.RequestCancelAsync("b"));
        Assert.Null(await store.MarkStartedAsync("b", t0));
        Assert.Equal(["a"], (await store.ListUnfinishedAsync()).Select(r => r.Id));
    }

    [Fact]
    public async Task Iterations_are_upserted_and_set_the_runs_count_and_last_residual_keeping_infinity()
    {
        await using var store = await OpenNewAsync();
        await InsertAsync(store, "a");
        IterationRow Row(int k, double residual, string method = "anderson") =>
            new("a", k, residual, residual * 2, 0.1, method, 1.5, 1.7, new Dictionary<string, double> { ["energy"] = 1.25, ["macro"] = 0.25 }, DateTimeOffset.UtcNow);
        await store.UpsertIterationsAsync("a", [Row(0, 0.5), Row(1, 0.01)]);
        await store.UpsertIterationsAsync("a", [Row(1, 0.02, "fallback-damped"), Row(2, double.PositiveInfinity)]);
        var rows = await store.GetIterationsAsync("a");
        Assert.Equal([0, 1, 2], rows.Select(r => r.Iteration));
        Assert.Equal(0.02, rows[1].Residual);
        Assert.Equal("fallback-damped", rows[1].Method);
        Assert.Equal(double.PositiveInfinity, rows[2].Residual);
        Assert.Equal(1.25, rows[0].ComponentSeconds["energy"]);
        var run = (await store.GetRunAsync("a"))!;
        Assert.Equal(3, run.Iterations);
        Assert.Equal(double.PositiveInfinity, run.Residual);
        // NaN means "unknown" in the store.
        await store.UpsertIterationsAsync("a", [Row(3, double.NaN)]);
        Assert.Null((await store.GetIterationsAsync("a"))[3].Residual);
        Assert.Null((await store.GetRunAsync("a"))!.Residual);
    }

    [Fact]
    public async Task Tasks_are_numbered_by_first_appearance_and_keep_known_times_when_they_change_state()
    {
        await using var store = await OpenNewAsync();
        await InsertAsync(store, "a");
        var t0 = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        TaskRow Row(string name, SubTaskState state, int attempt = 1) => new()
        {
            RunId = "a", Attempt = attempt, Name = name, Iteration = 0, Step = name.Split('/')[1], Kernel = "energy", State = state,
        };
        await store.UpsertTaskAsync(Row("iter-0000/energy.solve", SubTaskState.Queued) with { QueuedAt = t0, KernelLog = "/k/energy.log" });
        await store.UpsertTaskAsync(Row("iter-0000/energy_to_macro", SubTaskState.Queued) with { QueuedAt = t0.AddSeconds(1) });
        await store.UpsertTaskAsync(Row("iter-0000/energy.solve", SubTaskState.Completed) with
        {
            QueuedAt = t0.AddSeconds(9), EndedAt = t0.AddSeconds(2), KernelStartedAt = t0.AddSeconds(0.5), KernelEndedAt = t0.AddSeconds(1.5), OutputLog = "/o.log",
        });
        // The same name in a later attempt (after a restart) is another task.
        await store.UpsertTaskAsync(Row("iter-0000/energy.solve", SubTaskState.Queued, attempt: 2) with { QueuedAt = t0.AddSeconds(30) });

        var tasks = await store.GetTasksAsync("a");
        Assert.Equal([1, 2, 3], tasks.Select(t => t.No));
        var solve = tasks[0];
        Assert.Equal(SubTaskState.Completed, solve.State);
        Assert.Equal(t0, solve.QueuedAt);                       // the first queue time stays
        Assert.Equal(t0.AddSeconds(2), solve.EndedAt);
        Assert.Equal(t0.AddSeconds(0.5), solve.KernelStartedAt);
        Assert.Equal("/k/energy.log", solve.KernelLog);          // not lost when the update leaves it null
        Assert.Equal("/o.log", solve.OutputLog);
        Assert.Equal((2, SubTaskState.Queued), (tasks[2].Attempt, tasks[2].State));
        Assert.Equal("iter-0000/energy_to_macro", (await store.GetTaskAsync("a", 2))!.Name);
        Assert.Null(await store.GetTaskAsync("a", 9));

        var counts = await store.TaskCountsAsync("a");
        Assert.Equal(2, counts[SubTaskState.Queued]);
        Assert.Equal(1, counts[SubTaskState.Completed]);

        Assert.Equal(2, await store.CloseOpenTasksAsync("a", SubTaskState.Cancelled, "cancelled with the run", t0.AddSeconds(40)));
        tasks = await store.GetTasksAsync("a");
        Assert.All(tasks.Where(t => t.No != 1), t =>
        {
            Assert.Equal(SubTaskState.Cancelled, t.State);
            Assert.Equal("cancelled with the run", t.Error);
            Assert.Equal(t0.AddSeconds(40), t.EndedAt);
        });
        Assert.Equal(SubTaskState.Completed, tasks[0].State);
        Assert.Equal(0, await store.CloseOpenTasksAsync("a", SubTaskState.Cancelled, "again", t0));
    }

    [Fact]
    public async Task Log_locations_are_kept_per_run_and_name()
    {
        await using var store = await OpenNewAsync();
        await InsertAsync(store, "a");
        await InsertAsync(store, "b");
        await store.SetLogFileAsync("a", "run", "/a/ogclews.log");
        await store.SetLogFileAsync("a", "energy", "/a/logs/energy.log");
        await store.SetLogFileAsync("a", "energy", "/pool/set-1/energy.log");
        await store.SetLogFileAsync("b", "run", "/b/ogclews.log");
        var logs = await store.GetLogFilesAsync("a");
        Assert.Equal([("energy", "/pool/set-1/energy.log"), ("run", "/a/ogclews.log")], logs.Select(l => (l.Name, l.Path)));
    }
}

/// <summary>The contract on SQLite files.</summary>
public sealed class SqliteStoreTests : StoreContract
{
    private string _file = "";

    private protected override Task<RunStore> OpenNewAsync(int? upTo = null)
    {
        _file = Path.Combine(Temp.NewFolder("sqlite"), "runs.db");
        return RunStore.OpenAsync(StoreKind.Sqlite, _file, upTo);
    }

    private protected override Task<RunStore> ReopenAsync(int? upTo = null) => RunStore.OpenAsync(StoreKind.Sqlite, _file, upTo);

    protected override DbConnection RawConnection() => new SqliteConnection($"Data Source={_file}");

    [Fact]
    public async Task The_database_is_a_file_in_write_ahead_log_mode()
    {
        await using var store = await OpenNewAsync();
        Assert.True(File.Exists(_file));
        await using var c = RawConnection();
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", await cmd.ExecuteScalarAsync());
    }
}

/// <summary>The contract on a real PostgreSQL server started for this class.</summary>
public sealed class PostgresStoreTests(PostgresCluster cluster) : StoreContract, IClassFixture<PostgresCluster>
{
    private string _connection = "";

    private protected override async Task<RunStore> OpenNewAsync(int? upTo = null)
    {
        _connection = await cluster.NewDatabaseAsync();
        return await RunStore.OpenAsync(StoreKind.Postgres, _connection, upTo);
    }

    private protected override Task<RunStore> ReopenAsync(int? upTo = null) => RunStore.OpenAsync(StoreKind.Postgres, _connection, upTo);

    protected override DbConnection RawConnection() => new NpgsqlConnection(_connection);

    [Fact]
    public async Task The_server_runs_on_postgres_and_finds_its_runs_again_after_a_restart()
    {
        string cs = await cluster.NewDatabaseAsync();
        string data = Temp.NewFolder("pg-server");
        string[] args = ["--store", "postgres", "--connection", cs, "--scenarios", TinyScenario.Folder];
        string id;
        int iterations;
        await using (var server = await InProcessServer.StartAsync(data, args))
        {
            Assert.StartsWith($"postgresql://127.0.0.1:{cluster.Port}/", (await server.Http.GetJsonAsync("/api/health")).GetProperty("store").GetString());
            id = await server.Http.SubmitAsync(new { scenario = TinyScenario.Name, tolerance = 1e-4 });
            var done = await server.Http.WaitFinalAsync(id, TimeSpan.FromSeconds(60));
            Assert.Equal("Converged", done.Status());
            iterations = done.GetProperty("run").GetProperty("iterations").GetInt32();
        }
        Assert.False(File.Exists(Path.Combine(data, "ogclews-server.db")), "a SQLite file was created although the store is PostgreSQL");
        await using (var again = await InProcessServer.StartAsync(data, args))
        {
            var detail = await again.Http.GetJsonAsync($"/api/runs/{id}");
            Assert.Equal("Converged", detail.Status());
            Assert.Equal(iterations, detail.GetProperty("residuals").GetArrayLength());
            Assert.True(detail.GetProperty("taskCounts").GetProperty("COMPLETED").GetInt32() >= 1 + 4 * iterations);
        }
        await using var c = new NpgsqlConnection(cs);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT COUNT(*) FROM iterations WHERE run_id = @id", c);
        cmd.Parameters.AddWithValue("id", id);
        Assert.Equal(iterations, Convert.ToInt32(await cmd.ExecuteScalarAsync()));
        Temp.Delete(data);
    }

    [Fact]
    public async Task An_unreachable_server_is_reported_with_its_address()
    {
        string cs = $"Host=127.0.0.1;Port={cluster.Port};Username=ogclews;Database=does_not_exist;Timeout=5";
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => RunStore.OpenAsync(StoreKind.Postgres, cs));
        Assert.Contains("cannot open the run store postgresql://127.0.0.1:", e.Message);
        Assert.Contains("does_not_exist", e.Message);
    }

    [Fact]
    public async Task A_malformed_connection_string_is_refused()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => RunStore.OpenAsync(StoreKind.Postgres, "Host=127.0.0.1;Bogus Key=1"));
        Assert.Contains("connection string is malformed", e.Message);
    }
}
