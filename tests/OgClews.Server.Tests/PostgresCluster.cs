using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Npgsql;

namespace OgClews.Server.Tests;

/// <summary>
/// A private PostgreSQL server for the tests: a new cluster (initdb) in a temporary folder, started
/// with pg_ctl on a free loopback port and its own socket folder, stopped and deleted at the end. It
/// uses Debian's server binaries (package <c>postgresql</c>, installed by scripts/install-deps.sh).
/// PostgreSQL refuses to run as root, so as root the cluster belongs to the <c>postgres</c> system user.
/// </summary>
public sealed class PostgresCluster : IAsyncLifetime
{
    private string _root = "";
    private string _bin = "";
    private bool _asRoot;

    public string AdminConnectionString { get; private set; } = "";
    public int Port { get; private set; }

    [DllImport("libc")]
    private static extern uint geteuid();

    public async Task InitializeAsync()
    {
        _bin = FindBinaries();
        _asRoot = geteuid() == 0;
        _root = Temp.NewFolder("postgres");
        string data = Path.Combine(_root, "data");
        if (_asRoot) await RunAsync("chown", ["postgres:postgres", _root], asPostgres: false);
        await RunAsync(Path.Combine(_bin, "initdb"), ["-D", data, "-U", "ogclews", "-A", "trust", "-E", "UTF8", "--no-sync"], asPostgres: _asRoot);
        Port = FreePort();
        // fsync off: the tests check behaviour, not crash safety of PostgreSQL itself.
        string serverOptions = $"-p {Port} -k {_root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off";
        await RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", data, "-l", Path.Combine(_root, "server.log"), "-w", "-t", "60", "-o", serverOptions, "start"], asPostgres: _asRoot);
        AdminConnectionString = $"Host=127.0.0.1;Port={Port};Username=ogclews;Database=postgres;Pooling=false";
    }

    /// <summary>A new empty database; its connection string.</summary>
    public async Task<string> NewDatabaseAsync()
    {
        string name = "t" + Guid.NewGuid().ToString("N")[..16];
        await using (var c = new NpgsqlConnection(AdminConnectionString))
        {
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", c);
            await cmd.ExecuteNonQueryAsync();
        }
        return $"Host=127.0.0.1;Port={Port};Username=ogclews;Database={name}";
    }

    public async Task DisposeAsync()
    {
        if (_root.Length == 0) return;
        try
        {
            await RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", Path.Combine(_root, "data"), "-m", "immediate", "-w", "stop"], asPostgres: _asRoot);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
        }
    }

    private static string FindBinaries()
    {
        const string root = "/usr/lib/postgresql";
        var bin = Directory.Exists(root)
            ? Directory.GetDirectories(root).Select(d => Path.Combine(d, "bin"))
                .Where(b => File.Exists(Path.Combine(b, "initdb")) && File.Exists(Path.Combine(b, "pg_ctl")))
                .OrderByDescending(b => int.TryParse(Path.GetFileName(Path.GetDirectoryName(b)), out int v) ? v : 0)
                .FirstOrDefault()
            : null;
        return bin ?? throw new InvalidOperationException(
            "the PostgreSQL server binaries (initdb, pg_ctl under /usr/lib/postgresql/*/bin) are missing: run scripts/install-deps.sh (Debian package 'postgresql')");
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static async Task RunAsync(string program, string[] args, bool asPostgres)
    {
        var psi = new ProcessStartInfo(asPostgres ? "runuser" : program) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (asPostgres)
        {
            foreach (string a in new[] { "-u", "postgres", "--", program }) psi.ArgumentList.Add(a);
        }
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(90));
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({p.ExitCode}): {await stdout}{await stderr}");
    }
}
