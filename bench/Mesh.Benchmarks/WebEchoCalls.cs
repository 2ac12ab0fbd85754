using System.Diagnostics;
using System.Net.Http.Json;
using Mesh.Benchmarks.WebEcho;

namespace Mesh.Benchmarks;

/// <summary>
/// The ".NET web API" baseline: HttpClient → ASP.NET Core minimal API (Kestrel, HTTP/1.1,
/// keep-alive, loopback TCP) in another process, the payload serialized as JSON both ways.
/// </summary>
internal static class WebEchoCalls
{
    public static async Task<List<Row>> MeasureAsync(Plan plan)
    {
        var rows = new List<Row>();
        await using var web = await WebEchoServer.StartAsync();
        var warm = new EchoPayload(new byte[1], null);
        await plan.SettleJitAsync(() => web.EchoAsync(warm, 1), [web.Pid]);
        foreach (var size in Plan.Sizes)
        {
            var payload = size < 8
                ? new EchoPayload(new byte[size], null)
                : new EchoPayload(null, Enumerable.Range(0, size / 8).Select(i => (double)i).ToArray());
            int n = plan.Iterations(size, Cost.SlowLarge);
            var times = new List<double>(n);
            // As for Mesh calls (MeshCalls.EchoRowsAsync): a new payload size's code paths are compiled first.
            if (size <= Plan.SettlePerSizeUpTo)
                await plan.SettleJitAsync(() => web.EchoAsync(payload, size), [web.Pid], TimeSpan.Zero, report: false);
            long start = 0;
            for (int i = -plan.Warmup(n); i < n; i++)
            {
                if (i == 0) start = Stopwatch.GetTimestamp();
                long t0 = Stopwatch.GetTimestamp();
                await web.EchoAsync(payload, size);
                if (i >= 0) times.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
            }
            var s = Stats.Of(times, Stopwatch.GetElapsedTime(start).TotalSeconds);
            rows.Add(new Row(Section.Call, Name, ".NET", ".NET", size, n, s.P50, s.P99, s.CallsPerS, Note));
        }
        return rows;
    }

    public const string Name = "ASP.NET Core HTTP/JSON echo";
    public const string Note = "Kestrel, HTTP/1.1 keep-alive, System.Text.Json source-generated";
}

/// <summary>The web echo server (bench/Mesh.Benchmarks.WebEcho) in its own process, and a client for it.</summary>
internal sealed class WebEchoServer : IAsyncDisposable
{
    private readonly Process _server;

    private WebEchoServer(Process server, Uri address)
    {
        _server = server;
        Http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = address };
    }

    public HttpClient Http { get; }
    public int Pid => _server.Id;

    public static async Task<WebEchoServer> StartAsync()
    {
        var psi = new ProcessStartInfo("dotnet", [Paths.WebEcho]) { RedirectStandardInput = true, RedirectStandardOutput = true };
        var server = Process.Start(psi) ?? throw new InvalidOperationException("cannot start the web echo server");
        var ready = server.StandardOutput.ReadLineAsync();
        if (await Task.WhenAny(ready, Task.Delay(TimeSpan.FromSeconds(30))) != ready || ready.Result is not { } line || !line.StartsWith("LISTENING ", StringComparison.Ordinal))
        {
            server.Kill(entireProcessTree: true);
            server.Dispose();
            throw new InvalidOperationException("the web echo server did not report its address within 30 s");
        }
        return new WebEchoServer(server, new Uri(line["LISTENING ".Length..].Trim() + "/"));
    }

    /// <summary>One echo round trip of <paramref name="payload"/> (<paramref name="size"/> bytes), checked on return.</summary>
    public async Task EchoAsync(EchoPayload payload, int size)
    {
        using var response = await Http.PostAsJsonAsync("echo", payload, EchoJson.Default.EchoPayload);
        response.EnsureSuccessStatusCode();
        var back = await response.Content.ReadFromJsonAsync(EchoJson.Default.EchoPayload);
        long got = back?.Bytes is { } b ? b.Length : back?.Values is { } v ? v.Length * 8L : -1;
        if (got != size) throw new InvalidOperationException($"web echo of {size} bytes came back as {got} bytes");
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        _server.StandardInput.Close();
        if (!_server.WaitForExit(10_000)) _server.Kill(entireProcessTree: true);
        await _server.WaitForExitAsync();
        _server.Dispose();
    }
}
