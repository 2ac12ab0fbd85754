using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Npgsql;
using OgClews.Runner;

namespace OgClews.Server.Store;

/// <summary>Which database holds the runs.</summary>
internal enum StoreKind
{
    /// <summary>An embedded SQLite file in the data folder (the default: zero setup).</summary>
    Sqlite,
    /// <summary>A PostgreSQL database given by a connection string.</summary>
    Postgres,
}

/// <summary>
/// The durable record of runs, their iterations, kernel sub-tasks and log locations, in SQLite or
/// PostgreSQL through plain ADO.NET with one SQL text for both. The run folders hold the numbers
/// (checkpoints, CSV); the store holds what the service needs to list, show and restart runs.
/// </summary>
/// <remarks>
/// Writes are serialized by one in-process lock: a single server owns a store, SQLite allows one
/// writer anyway, and numbering (submission order, start order, task numbers) needs read-then-write.
/// SQLite runs in WAL mode with <c>synchronous=NORMAL</c>: a committed write survives a killed process
/// (the restart case this service is built for); only a power loss may drop the last commits, and the
/// iteration history is then rebuilt from the run folder's <c>iterations.csv</c>.
/// </remarks>
internal sealed class RunStore : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new();
    private readonly SemaphoreSlim _write = new(1, 1);
    private readonly string? _sqliteConnectionString;
    private readonly NpgsqlDataSource? _postgres;

    private RunStore(StoreKind kind, string? sqlite, NpgsqlDataSource? postgres, string description)
    {
        Kind = kind;
        _sqliteConnectionString = sqlite;
        _postgres = postgres;
        Description = description;
    }

    /// <summary>SQLite or PostgreSQL.</summary>
    public StoreKind Kind { get; }

    /// <summary>Where the data is (file path, or host/port/database without the password).</summary>
    public string Description { get; }

    /// <summary>Opens the store and brings its schema to <paramref name="upToVersion"/> (default: the newest).</summary>
    /// <param name="kind">The database.</param>
    /// <param name="target">SQLite: the database file. PostgreSQL: the connection string.</param>
    /// <param name="upToVersion">Stop the migration at this version (tests of the upgrade path).</param>
    /// <param name="ct">Cancels the opening.</param>
    /// <exception cref="InvalidOperationException">The database is newer than this server, or cannot be opened; the message says which.</exception>
    public static async Task<RunStore> OpenAsync(StoreKind kind, string target, int? upToVersion = null, CancellationToken ct = default)
    {
        RunStore store;
        if (kind == StoreKind.Sqlite)
        {
            string path = Path.GetFullPath(target);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            string cs = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
            store = new RunStore(kind, cs, null, path);
        }
        else
        {
            NpgsqlConnectionStringBuilder builder;
            try
            {
                builder = new NpgsqlConnectionStringBuilder(target);
            }
            catch (ArgumentException e)
            {
                throw new InvalidOperationException($"the PostgreSQL connection string is malformed: {e.Message}", e);
            }
            store = new RunStore(kind, null, NpgsqlDataSource.Create(builder), $"postgresql://{builder.Host}:{builder.Port}/{builder.Database}");
        }
        try
        {
            await store.MigrateAsync(upToVersion ?? Migrations.Latest, ct).ConfigureAwait(false);
            return store;
        }
        catch (DbException e)
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"cannot open the run store {store.Description}: {e.Message}", e);
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task<DbConnection> OpenConnectionAsync(CancellationToken ct)
    {
        if (_postgres is not null) return await _postgres.OpenConnectionAsync(ct).ConfigureAwait(false);
        var c = new SqliteConnection(_sqliteConnectionString);
        await c.OpenAsync(ct).ConfigureAwait(false);
        // Per connection (it is not a file setting): see the class remarks.
        await ExecAsync(c, null, "PRAGMA synchronous=NORMAL", ct).ConfigureAwait(false);
        return c;
    }

    private async Task MigrateAsync(int upTo, CancellationToken ct)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        if (Kind == StoreKind.Sqlite) await ExecAsync(c, null, "PRAGMA journal_mode=WAL", ct).ConfigureAwait(false);
        await ExecAsync(c, null, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)", ct).ConfigureAwait(false);
        int current = await VersionAsync(c, null, ct).ConfigureAwait(false);
        if (current > Migrations.Latest)
            throw new InvalidOperationException($"the run store {Description} has schema version {current}, newer than this server's {Migrations.Latest}: use the server version that wrote it, or a newer one");
        foreach (var step in Migrations.All.Where(s => s.Version > current && s.Version <= upTo))
        {
            await using var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
            // Two servers starting on one PostgreSQL database must not both apply a step.
            if (Kind == StoreKind.Postgres) await ExecAsync(c, tx, "LOCK TABLE schema_migrations IN EXCLUSIVE MODE", ct).ConfigureAwait(false);
            if (await VersionAsync(c, tx, ct).ConfigureAwait(false) >= step.Version) continue;
            foreach (string sql in step.Statements) await ExecAsync(c, tx, sql, ct).ConfigureAwait(false);
            await ExecAsync(c, tx, "INSERT INTO schema_migrations (version, description, applied_at) VALUES (@v, @d, @t)", ct,
                ("v", step.Version), ("d", step.Description), ("t", Iso(DateTimeOffset.UtcNow))).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>The schema version the database is at.</summary>
    public async Task<int> SchemaVersionAsync(CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        return await VersionAsync(c, null, ct).ConfigureAwait(false);
    }

    private static async Task<int> VersionAsync(DbConnection c, DbTransaction? tx, CancellationToken ct) =>
        Convert.ToInt32(await ScalarAsync(c, tx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", ct).ConfigureAwait(false), CultureInfo.InvariantCulture);

    // ---------------------------------------------------------------- runs

    private const string RunColumns =
        "id, seq, scenario, method, tolerance, max_iterations, alpha, anderson_depth, macro, priority, status, message, error, folder, " +
        "submitted_at, started_at, finished_at, start_seq, attempts, cancel_requested, iterations, residual, rerun_of";

    /// <summary>Adds a queued run; its submission number is the next one.</summary>
    public async Task<RunRecord> InsertRunAsync(string id, RunSpec spec, int priority, string folder, DateTimeOffset submittedAt, string? rerunOf, CancellationToken ct = default)
    {
        await _write.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
            long seq = Convert.ToInt64(await ScalarAsync(c, tx, "SELECT COALESCE(MAX(seq), 0) + 1 FROM runs", ct).ConfigureAwait(false), CultureInfo.InvariantCulture);
            await ExecAsync(c, tx,
                "INSERT INTO runs (id, seq, scenario, method, tolerance, max_iterations, alpha, anderson_depth, macro, priority, status, folder, submitted_at, rerun_of) " +
                "VALUES (@id, @seq, @scenario, @method, @tol, @maxit, @alpha, @depth, @macro, @priority, @status, @folder, @submitted, @rerun)", ct,
                ("id", id), ("seq", seq), ("scenario", spec.Scenario), ("method", spec.Method), ("tol", spec.Tolerance), ("maxit", spec.MaxIterations),
                ("alpha", spec.Alpha), ("depth", spec.AndersonDepth), ("macro", JsonSerializer.Serialize(spec.Macro, Json)), ("priority", priority),
                ("status", nameof(RunStatus.Queued)), ("folder", folder), ("submitted", Iso(submittedAt)), ("rerun", rerunOf)).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _write.Release();
        }
        return (await GetRunAsync(id, ct).ConfigureAwait(false))!;
    }

    /// <summary>The run, or null.</summary>
    public async Task<RunRecord?> GetRunAsync(string id, CancellationToken ct = default)
    {
        var rows = await QueryRunsAsync($"SELECT {RunColumns} FROM runs WHERE id = @id", ct, ("id", id)).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>Runs, newest submission first.</summary>
    public Task<IReadOnlyList<RunRecord>> ListRunsAsync(RunStatus? status = null, int limit = 500, CancellationToken ct = default) =>
        status is { } s
            ? QueryRunsAsync($"SELECT {RunColumns} FROM runs WHERE status = @status ORDER BY seq DESC LIMIT @limit", ct, ("status", s.ToString()), ("limit", limit))
            : QueryRunsAsync($"SELECT {RunColumns} FROM runs ORDER BY seq DESC LIMIT @limit", ct, ("limit", limit));

    /// <summary>Queued and running runs, in queue order (priority, then submission).</summary>
    public Task<IReadOnlyList<RunRecord>> ListUnfinishedAsync(CancellationToken ct = default) =>
        QueryRunsAsync($"SELECT {RunColumns} FROM runs WHERE status IN ('Queued', 'Running') ORDER BY priority DESC, seq ASC", ct);

    /// <summary>
    /// A slot took the run: status Running, one more attempt, the first start time and start number
    /// kept from the first attempt. Only a queued (or interrupted running) run not asked to cancel
    /// starts: a cancel may have come in after the run left the queue.
    /// </summary>
    /// <returns>The updated run, or null when it may not start.</returns>
    public async Task<RunRecord?> MarkStartedAsync(string id, DateTimeOffset now, CancellationToken ct = default)
    {
        int updated;
        await _write.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
            long next = Convert.ToInt64(await ScalarAsync(c, tx, "SELECT COALESCE(MAX(start_seq), 0) + 1 FROM runs", ct).ConfigureAwait(false), CultureInfo.InvariantCulture);
            updated = await ExecAsync(c, tx,
                "UPDATE runs SET status = 'Running', attempts = attempts + 1, started_at = COALESCE(started_at, @now), start_seq = COALESCE(start_seq, @next) " +
                "WHERE id = @id AND status IN ('Queued', 'Running') AND cancel_requested = 0", ct,
                ("id", id), ("now", Iso(now)), ("next", next)).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _write.Release();
        }
        return updated == 1 ? await GetRunAsync(id, ct).ConfigureAwait(false) : null;
    }

    /// <summary>Records how the run ended.</summary>
    public Task FinishAsync(string id, RunStatus status, string? message, string? error, DateTimeOffset finishedAt, CancellationToken ct = default) =>
        WriteAsync("UPDATE runs SET status = @status, message = @message, error = @error, finished_at = @finished WHERE id = @id", ct,
            ("id", id), ("status", status.ToString()), ("message", message), ("error", error), ("finished", Iso(finishedAt)));

    /// <summary>Sets the run's progress message (e.g. "resumed after a server restart").</summary>
    public Task SetMessageAsync(string id, string message, CancellationToken ct = default) =>
        WriteAsync("UPDATE runs SET message = @message WHERE id = @id", ct, ("id", id), ("message", message));

    /// <summary>Cancels a run that is still queued.</summary>
    /// <returns>False when it was not queued (any more).</returns>
    public async Task<bool> CancelIfQueuedAsync(string id, DateTimeOffset now, string message, CancellationToken ct = default) =>
        await WriteAsync("UPDATE runs SET status = 'Cancelled', cancel_requested = 1, message = @message, finished_at = @now WHERE id = @id AND status = 'Queued'", ct,
            ("id", id), ("message", message), ("now", Iso(now))).ConfigureAwait(false) == 1;

    /// <summary>Notes that a user asked to cancel a running run (so a restart does not resume it).</summary>
    public async Task<bool> RequestCancelAsync(string id, CancellationToken ct = default) =>
        await WriteAsync("UPDATE runs SET cancel_requested = 1 WHERE id = @id AND status IN ('Queued', 'Running')", ct, ("id", id)).ConfigureAwait(false) == 1;

    private async Task<IReadOnlyList<RunRecord>> QueryRunsAsync(string sql, CancellationToken ct, params (string, object?)[] args)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cmd = Command(c, null, sql, args);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<RunRecord>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new RunRecord
            {
                Id = r.GetString(0),
                Seq = Long(r, 1),
                Spec = new RunSpec(r.GetString(2), r.GetString(3), Dbl(r, 4)!.Value, Int(r, 5), Dbl(r, 6)!.Value, Int(r, 7),
                    JsonSerializer.Deserialize<Dictionary<string, double>>(r.GetString(8), Json) ?? []),
                Priority = Int(r, 9),
                Status = RunStatuses.Parse(r.GetString(10)),
                Message = Str(r, 11),
                Error = Str(r, 12),
                Folder = r.GetString(13),
                SubmittedAt = Time(r, 14)!.Value,
                StartedAt = Time(r, 15),
                FinishedAt = Time(r, 16),
                StartSeq = r.IsDBNull(17) ? null : Long(r, 17),
                Attempts = Int(r, 18),
                CancelRequested = Int(r, 19) != 0,
                Iterations = Int(r, 20),
                Residual = Dbl(r, 21),
                RerunOf = Str(r, 22),
            });
        }
        return list;
    }

    // ---------------------------------------------------------------- iterations

    /// <summary>Adds or replaces iterations, and sets the run's iteration count and last residual from the newest.</summary>
    public async Task UpsertIterationsAsync(string runId, IReadOnlyList<IterationRow> rows, CancellationToken ct = default)
    {
        if (rows.Count == 0) return;
        await _write.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
            foreach (var row in rows)
            {
                await ExecAsync(c, tx,
                    "INSERT INTO iterations (run_id, iteration, residual, absolute_residual, step_size, method, map_seconds, wall_seconds, component_seconds, recorded_at) " +
                    "VALUES (@run, @it, @res, @abs, @step, @method, @map, @wall, @comp, @at) " +
                    "ON CONFLICT (run_id, iteration) DO UPDATE SET residual = excluded.residual, absolute_residual = excluded.absolute_residual, " +
                    "step_size = excluded.step_size, method = excluded.method, map_seconds = COALESCE(excluded.map_seconds, iterations.map_seconds), " +
                    "wall_seconds = COALESCE(excluded.wall_seconds, iterations.wall_seconds), component_seconds = excluded.component_seconds", ct,
                    ("run", runId), ("it", row.Iteration), ("res", row.Residual), ("abs", row.AbsoluteResidual), ("step", row.StepSize),
                    ("method", row.Method), ("map", row.MapSeconds), ("wall", row.WallSeconds),
                    ("comp", JsonSerializer.Serialize(row.ComponentSeconds, Json)), ("at", Iso(row.RecordedAt))).ConfigureAwait(false);
            }
            await ExecAsync(c, tx,
                "UPDATE runs SET iterations = (SELECT COUNT(*) FROM iterations WHERE run_id = @run), " +
                "residual = (SELECT residual FROM iterations WHERE run_id = @run ORDER BY iteration DESC LIMIT 1) WHERE id = @run", ct,
                ("run", runId)).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _write.Release();
        }
    }

    /// <summary>The run's iterations in order.</summary>
    public async Task<IReadOnlyList<IterationRow>> GetIterationsAsync(string runId, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cmd = Command(c, null,
            "SELECT iteration, residual, absolute_residual, step_size, method, map_seconds, wall_seconds, component_seconds, recorded_at FROM iterations WHERE run_id = @run ORDER BY iteration", [("run", runId)]);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<IterationRow>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new IterationRow(runId, Int(r, 0), Dbl(r, 1), Dbl(r, 2), Dbl(r, 3), r.GetString(4), Dbl(r, 5), Dbl(r, 6),
                JsonSerializer.Deserialize<Dictionary<string, double>>(r.GetString(7), Json) ?? [], Time(r, 8)!.Value));
        }
        return list;
    }

    // ---------------------------------------------------------------- tasks

    /// <summary>
    /// Adds a sub-task or moves it to a new state. Times and files already known are kept when the
    /// new row leaves them null; the first queue time is never overwritten.
    /// </summary>
    public Task UpsertTaskAsync(TaskRow t, CancellationToken ct = default) =>
        WriteAsync(
            "INSERT INTO tasks (run_id, attempt, name, no, iteration, step, kernel, state, retry, queued_at, started_at, ended_at, " +
            "kernel_queued_at, kernel_started_at, kernel_ended_at, error, output_log, error_log, kernel_log) " +
            "VALUES (@run, @attempt, @name, (SELECT COALESCE(MAX(no), 0) + 1 FROM tasks WHERE run_id = @run), @iteration, @step, @kernel, @state, @retry, " +
            "@queued, @started, @ended, @kqueued, @kstarted, @kended, @error, @out, @err, @klog) " +
            "ON CONFLICT (run_id, attempt, name) DO UPDATE SET state = excluded.state, retry = excluded.retry, " +
            "queued_at = COALESCE(tasks.queued_at, excluded.queued_at), started_at = COALESCE(excluded.started_at, tasks.started_at), " +
            "ended_at = COALESCE(excluded.ended_at, tasks.ended_at), kernel_queued_at = COALESCE(excluded.kernel_queued_at, tasks.kernel_queued_at), " +
            "kernel_started_at = COALESCE(excluded.kernel_started_at, tasks.kernel_started_at), kernel_ended_at = COALESCE(excluded.kernel_ended_at, tasks.kernel_ended_at), " +
            "error = COALESCE(excluded.error, tasks.error), output_log = COALESCE(excluded.output_log, tasks.output_log), " +
            "error_log = COALESCE(excluded.error_log, tasks.error_log), kernel_log = COALESCE(excluded.kernel_log, tasks.kernel_log)", ct,
            ("run", t.RunId), ("attempt", t.Attempt), ("name", t.Name), ("iteration", t.Iteration), ("step", t.Step), ("kernel", t.Kernel),
            ("state", t.State.ToString()), ("retry", t.Retry), ("queued", IsoOrNull(t.QueuedAt)), ("started", IsoOrNull(t.StartedAt)),
            ("ended", IsoOrNull(t.EndedAt)), ("kqueued", IsoOrNull(t.KernelQueuedAt)), ("kstarted", IsoOrNull(t.KernelStartedAt)),
            ("kended", IsoOrNull(t.KernelEndedAt)), ("error", t.Error), ("out", t.OutputLog), ("err", t.ErrorLog), ("klog", t.KernelLog));

    private const string TaskColumns =
        "run_id, attempt, name, no, iteration, step, kernel, state, retry, queued_at, started_at, ended_at, kernel_queued_at, kernel_started_at, kernel_ended_at, error, output_log, error_log, kernel_log";

    /// <summary>The run's sub-tasks in order of first appearance.</summary>
    public Task<IReadOnlyList<TaskRow>> GetTasksAsync(string runId, CancellationToken ct = default) =>
        QueryTasksAsync($"SELECT {TaskColumns} FROM tasks WHERE run_id = @run ORDER BY no", ct, ("run", runId));

    /// <summary>Sub-task number <paramref name="no"/> of the run, or null.</summary>
    public async Task<TaskRow?> GetTaskAsync(string runId, int no, CancellationToken ct = default)
    {
        var rows = await QueryTasksAsync($"SELECT {TaskColumns} FROM tasks WHERE run_id = @run AND no = @no", ct, ("run", runId), ("no", no)).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>How many of the run's sub-tasks are in each state.</summary>
    public async Task<IReadOnlyDictionary<SubTaskState, int>> TaskCountsAsync(string runId, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cmd = Command(c, null, "SELECT state, COUNT(*) FROM tasks WHERE run_id = @run GROUP BY state", [("run", runId)]);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var counts = new Dictionary<SubTaskState, int>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            counts[Enum.Parse<SubTaskState>(r.GetString(0))] = Int(r, 1);
        return counts;
    }

    /// <summary>
    /// Ends every sub-task of the run that is not in a final state (pending, queued, started) with
    /// <paramref name="state"/>: used when a run is cancelled or the server stopped under it.
    /// </summary>
    /// <returns>How many tasks were closed.</returns>
    public Task<int> CloseOpenTasksAsync(string runId, SubTaskState state, string error, DateTimeOffset now, CancellationToken ct = default) =>
        WriteAsync("UPDATE tasks SET state = @state, error = COALESCE(error, @error), ended_at = COALESCE(ended_at, @now) " +
                   "WHERE run_id = @run AND state IN ('Pending', 'Queued', 'Started')", ct,
            ("run", runId), ("state", state.ToString()), ("error", error), ("now", Iso(now)));

    private async Task<IReadOnlyList<TaskRow>> QueryTasksAsync(string sql, CancellationToken ct, params (string, object?)[] args)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cmd = Command(c, null, sql, args);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<TaskRow>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new TaskRow
            {
                RunId = r.GetString(0),
                Attempt = Int(r, 1),
                Name = r.GetString(2),
                No = Int(r, 3),
                Iteration = Int(r, 4),
                Step = r.GetString(5),
                Kernel = r.GetString(6),
                State = Enum.Parse<SubTaskState>(r.GetString(7)),
                Retry = Int(r, 8),
                QueuedAt = Time(r, 9),
                StartedAt = Time(r, 10),
                EndedAt = Time(r, 11),
                KernelQueuedAt = Time(r, 12),
                KernelStartedAt = Time(r, 13),
                KernelEndedAt = Time(r, 14),
                Error = Str(r, 15),
                OutputLog = Str(r, 16),
                ErrorLog = Str(r, 17),
                KernelLog = Str(r, 18),
            });
        }
        return list;
    }

    // ---------------------------------------------------------------- log files

    /// <summary>Records where one of the run's logs is (the run log, a kernel's log).</summary>
    public Task SetLogFileAsync(string runId, string name, string path, CancellationToken ct = default) =>
        WriteAsync("INSERT INTO log_files (run_id, name, path) VALUES (@run, @name, @path) ON CONFLICT (run_id, name) DO UPDATE SET path = excluded.path", ct,
            ("run", runId), ("name", name), ("path", path));

    /// <summary>The run's logs, by name.</summary>
    public async Task<IReadOnlyList<LogFileRow>> GetLogFilesAsync(string runId, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cmd = Command(c, null, "SELECT name, path FROM log_files WHERE run_id = @run ORDER BY name", [("run", runId)]);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<LogFileRow>();
        while (await r.ReadAsync(ct).ConfigureAwait(false)) list.Add(new LogFileRow(runId, r.GetString(0), r.GetString(1)));
        return list;
    }

    // ---------------------------------------------------------------- plumbing

    private async Task<int> WriteAsync(string sql, CancellationToken ct, params (string, object?)[] args)
    {
        await _write.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
            return await ExecAsync(c, null, sql, ct, args).ConfigureAwait(false);
        }
        finally
        {
            _write.Release();
        }
    }

    private static DbCommand Command(DbConnection c, DbTransaction? tx, string sql, (string Name, object? Value)[] args)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        foreach (var (name, value) in args)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = "@" + name;
            // NaN has no place in either database (SQLite stores it as NULL anyway): unknown is null.
            p.Value = value switch
            {
                null => DBNull.Value,
                double d when double.IsNaN(d) => DBNull.Value,
                _ => value,
            };
            cmd.Parameters.Add(p);
        }
        return cmd;
    }

    private static async Task<int> ExecAsync(DbConnection c, DbTransaction? tx, string sql, CancellationToken ct, params (string, object?)[] args)
    {
        await using var cmd = Command(c, tx, sql, args);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task<object?> ScalarAsync(DbConnection c, DbTransaction? tx, string sql, CancellationToken ct)
    {
        await using var cmd = Command(c, tx, sql, []);
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
    }

    // INTEGER is 64-bit in SQLite and 32-bit in PostgreSQL: read through Convert so both work.
    private static int Int(DbDataReader r, int i) => Convert.ToInt32(r.GetValue(i), CultureInfo.InvariantCulture);
    private static long Long(DbDataReader r, int i) => Convert.ToInt64(r.GetValue(i), CultureInfo.InvariantCulture);
    private static double? Dbl(DbDataReader r, int i) => r.IsDBNull(i) ? null : Convert.ToDouble(r.GetValue(i), CultureInfo.InvariantCulture);
    private static string? Str(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
    private static DateTimeOffset? Time(DbDataReader r, int i) =>
        r.IsDBNull(i) ? null : DateTimeOffset.Parse(r.GetString(i), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    /// <summary>UTC, fixed width: text order is time order in both databases.</summary>
    internal static string Iso(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static string? IsoOrNull(DateTimeOffset? t) => t is { } v ? Iso(v) : null;

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_postgres is not null) await _postgres.DisposeAsync().ConfigureAwait(false);
        _write.Dispose();
    }
}
