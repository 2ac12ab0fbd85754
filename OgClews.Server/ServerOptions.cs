using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using OgClews.Server.Store;

namespace OgClews.Server;

/// <summary>How runs get their kernels.</summary>
internal enum KernelMode
{
    /// <summary>Each run starts its own three kernels (logs in its folder; a crash touches one run).</summary>
    Own,
    /// <summary>Kernel sets are kept between runs (one set per concurrent run): for many short runs.</summary>
    Pool,
}

/// <summary>
/// The server's settings, read through ASP.NET configuration: the command line (<c>--concurrency 2</c>),
/// or the same keys in appsettings.json; the token also from the <c>OGCLEWS_SERVER_TOKEN</c>
/// environment variable, which keeps it out of the process list.
/// </summary>
internal sealed record ServerOptions
{
    /// <summary>The address when none is given: this machine only.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>Where runs, the SQLite database and pooled kernel logs live.</summary>
    public required string DataFolder { get; init; }

    /// <summary>Runs executing at the same time.</summary>
    public int Concurrency { get; init; } = 1;

    /// <summary>Own kernels per run, or a pool.</summary>
    public KernelMode Kernels { get; init; } = KernelMode.Own;

    /// <summary>SQLite (default) or PostgreSQL.</summary>
    public StoreKind Store { get; init; } = StoreKind.Sqlite;

    /// <summary>The PostgreSQL connection string (with <see cref="Store"/> = Postgres).</summary>
    public string? ConnectionString { get; init; }

    /// <summary>The token write requests must carry; null when none is configured.</summary>
    public string? Token { get; init; }

    /// <summary>A folder of scenario JSON files, in addition to the built-in scenarios.</summary>
    public string? ScenariosFolder { get; init; }

    /// <summary>Fsync every checkpoint (keep on: off only trades safety against power loss for speed).</summary>
    public bool DurableCheckpoints { get; init; } = true;

    /// <summary>The URLs the server listens on.</summary>
    public required IReadOnlyList<string> Urls { get; init; }

    /// <summary>The SQLite database file.</summary>
    public string SqlitePath => Path.Combine(DataFolder, "ogclews-server.db");

    /// <summary>Where run folders are created.</summary>
    public string RunsFolder => Path.Combine(DataFolder, "runs");

    /// <summary>Reads and checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it.</exception>
    public static ServerOptions From(IConfiguration c)
    {
        string data = Path.GetFullPath(c["data"] is { Length: > 0 } d ? d : "ogclews-data");
        int concurrency = Int(c, "concurrency", 1);
        if (concurrency is < 1 or > 64) throw new ArgumentException($"--concurrency: {concurrency} must be from 1 to 64");
        var kernels = Parse<KernelMode>(c, "kernels", KernelMode.Own, "own, pool");
        var store = Parse<StoreKind>(c, "store", StoreKind.Sqlite, "sqlite, postgres");
        string? connection = c["connection"] is { Length: > 0 } cs ? cs : null;
        if (store == StoreKind.Postgres && connection is null)
            throw new ArgumentException("--connection: --store postgres needs a connection string (e.g. \"Host=127.0.0.1;Port=5432;Database=ogclews;Username=ogclews\")");
        if (store == StoreKind.Sqlite && connection is not null)
            throw new ArgumentException("--connection: a connection string is only used with --store postgres (SQLite lives in the data folder)");
        string? token = c["token"] is { Length: > 0 } t ? t : c["OGCLEWS_SERVER_TOKEN"] is { Length: > 0 } et ? et : null;
        if (token is { Length: < 16 }) throw new ArgumentException("--token: use at least 16 characters (it is the only guard on the write endpoints)");
        string? scenarios = c["scenarios"] is { Length: > 0 } s ? Path.GetFullPath(s) : null;
        bool durable = !bool.TryParse(c["durable-checkpoints"], out bool dc) || dc;
        var urls = (c["urls"] is { Length: > 0 } u ? u : DefaultUrl).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (string url in urls)
        {
            if (!IsLoopback(url) && token is null)
                throw new ArgumentException($"--urls: {url} is reachable from other machines, so the write endpoints need a token: set --token (or OGCLEWS_SERVER_TOKEN)");
        }
        return new ServerOptions
        {
            DataFolder = data,
            Concurrency = concurrency,
            Kernels = kernels,
            Store = store,
            ConnectionString = connection,
            Token = token,
            ScenariosFolder = scenarios,
            DurableCheckpoints = durable,
            Urls = urls,
        };
    }

    /// <summary>Whether a URL binds only this machine's loopback (127.0.0.0/8, ::1, localhost).</summary>
    internal static bool IsLoopback(string url)
    {
        // Kestrel's wildcards (*, +) and 0.0.0.0 are every interface.
        string host = url;
        int scheme = host.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0) host = host[(scheme + 3)..];
        int slash = host.IndexOf('/');
        if (slash >= 0) host = host[..slash];
        if (host.StartsWith('['))
            host = host[1..host.IndexOf(']')];
        else if (host.LastIndexOf(':') is var colon and >= 0)
            host = host[..colon];
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip);
    }

    private static int Int(IConfiguration c, string key, int fallback)
    {
        if (c[key] is not { Length: > 0 } text) return fallback;
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : throw new ArgumentException($"--{key}: '{text}' is not an integer");
    }

    private static T Parse<T>(IConfiguration c, string key, T fallback, string allowed) where T : struct, Enum
    {
        if (c[key] is not { Length: > 0 } text) return fallback;
        return Enum.TryParse<T>(text, ignoreCase: true, out var v) && Enum.IsDefined(v) && !int.TryParse(text, out _)
            ? v
            : throw new ArgumentException($"--{key}: '{text}' is not one of {allowed}");
    }
}
