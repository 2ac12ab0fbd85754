namespace OgClews.Server.Store;

/// <summary>
/// The schema, as numbered steps. A store is brought to the newest version when it opens; each step
/// runs in its own transaction together with its row in <c>schema_migrations</c>, so a crash in the
/// middle leaves the previous version intact. Steps are never edited once released: a change is a
/// new step. The SQL is the common subset of SQLite and PostgreSQL (TEXT times in ISO 8601 UTC, which
/// sort as strings; INTEGER 0/1 for flags).
/// </summary>
internal static class Migrations
{
    public sealed record Step(int Version, string Description, IReadOnlyList<string> Statements);

    public static IReadOnlyList<Step> All { get; } =
    [
        new(1, "runs, iterations and kernel sub-tasks",
        [
            """
            CREATE TABLE runs (
                id TEXT PRIMARY KEY,
                seq BIGINT NOT NULL UNIQUE,
                scenario TEXT NOT NULL,
                method TEXT NOT NULL,
                tolerance DOUBLE PRECISION NOT NULL,
                max_iterations INTEGER NOT NULL,
                alpha DOUBLE PRECISION NOT NULL,
                anderson_depth INTEGER NOT NULL,
                macro TEXT NOT NULL,
                priority INTEGER NOT NULL,
                status TEXT NOT NULL,
                message TEXT,
                error TEXT,
                folder TEXT NOT NULL,
                submitted_at TEXT NOT NULL,
                started_at TEXT,
                finished_at TEXT,
                start_seq BIGINT,
                attempts INTEGER NOT NULL DEFAULT 0,
                cancel_requested INTEGER NOT NULL DEFAULT 0,
                iterations INTEGER NOT NULL DEFAULT 0,
                residual DOUBLE PRECISION,
                rerun_of TEXT
            )
            """,
            "CREATE INDEX runs_status ON runs (status)",
            """
            CREATE TABLE iterations (
                run_id TEXT NOT NULL REFERENCES runs (id),
                iteration INTEGER NOT NULL,
                residual DOUBLE PRECISION,
                absolute_residual DOUBLE PRECISION,
                step_size DOUBLE PRECISION,
                method TEXT NOT NULL,
                map_seconds DOUBLE PRECISION,
                wall_seconds DOUBLE PRECISION,
                component_seconds TEXT NOT NULL,
                recorded_at TEXT NOT NULL,
                PRIMARY KEY (run_id, iteration)
            )
            """,
            """
            CREATE TABLE tasks (
                run_id TEXT NOT NULL REFERENCES runs (id),
                attempt INTEGER NOT NULL,
                name TEXT NOT NULL,
                no INTEGER NOT NULL,
                iteration INTEGER NOT NULL,
                step TEXT NOT NULL,
                kernel TEXT NOT NULL,
                state TEXT NOT NULL,
                retry INTEGER NOT NULL,
                queued_at TEXT,
                started_at TEXT,
                ended_at TEXT,
                kernel_queued_at TEXT,
                kernel_started_at TEXT,
                kernel_ended_at TEXT,
                error TEXT,
                output_log TEXT,
                error_log TEXT,
                kernel_log TEXT,
                PRIMARY KEY (run_id, attempt, name)
            )
            """,
        ]),
        new(2, "log locations per run",
        [
            """
            CREATE TABLE log_files (
                run_id TEXT NOT NULL REFERENCES runs (id),
                name TEXT NOT NULL,
                path TEXT NOT NULL,
                PRIMARY KEY (run_id, name)
            )
            """,
        ]),
    ];

    public static int Latest => All[^1].Version;
}
