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
        var psi = new ProcessStartInfo("dotnet", [Paths.WebEcho])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        };
        using var server = Process.Start(psi) ?? throw new InvalidOperationException("cannot start the web echo server");
        var rows = new List<Row>();
        try
        {
            var ready = server.StandardOutput.ReadLineAsync();
            if (await Task.WhenAny(ready, Task.Delay(TimeSpan.FromSeconds(30))) != ready || ready.Result is not { } line || !line.StartsWith("LISTENING ", StringComparison.Ordinal))
                throw new InvalidOperationException("the web echo server did not report its address within 30 s");
            using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri(line["LISTENING ".Length..].Trim() + "/") };
            var warm = new EchoPayload(new byte[1], null);
            await plan.SettleJitAsync(async () => { using var _ = await http.PostAsJsonAsync("echo", warm, EchoJson.Default.EchoPayload); }, [server.Id]);
            foreach (var size in Plan.Sizes)
            {
                var payload = size < 8
                    ? new EchoPayload(new byte[size], null)
                    : new EchoPayload(null, Enumerable.Range(0, size / 8).Select(i => (double)i).ToArray());
                int n = plan.Iterations(size, Cost.SlowLarge);
                var times = new List<double>(n);
                // As for Mesh calls (MeshCalls.EchoRowsAsync): a new payload size's code paths are compiled first.
                if (size <= Plan.SettlePerSizeUpTo)
                    await plan.SettleJitAsync(async () => { using var _ = await http.PostAsJsonAsync("echo", payload, EchoJson.Default.EchoPayload); }, [server.Id], TimeSpan.Zero, report: false);
                long start = 0;
                for (int i = -plan.Warmup(n); i < n; i++)
                {
                    if (i == 0) start = Stopwatch.GetTimestamp();
                    long t0 = Stopwatch.GetTimestamp();
                    using var response = await http.PostAsJsonAsync("echo", payload, EchoJson.Default.EchoPayload);
                    response.EnsureSuccessStatusCode();
                    var back = await response.Content.ReadFromJsonAsync(EchoJson.Default.EchoPayload);
                    if (i >= 0) times.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
                    long got = back?.Bytes is { } b ? b.Length : back?.Values is { } v ? v.Length * 8L : -1;
                    if (got != size)
                        throw new InvalidOperationException($"web echo of {size} bytes came back as {got} bytes (iteration {i})");
                }
                var s = Stats.Of(times, Stopwatch.GetElapsedTime(start).TotalSeconds);
                rows.Add(new Row(Section.Call, "ASP.NET Core HTTP/JSON echo", ".NET", ".NET", size, n, s.P50, s.P99, s.CallsPerS, "Kestrel, HTTP/1.1 keep-alive, System.Text.Json source-generated"));
            }
        }
        finally
        {
            server.StandardInput.Close();
            if (!server.WaitForExit(10_000)) server.Kill(entireProcessTree: true);
        }
        return rows;
    }
}
