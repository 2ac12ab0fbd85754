using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using OgClews.Runner;

namespace OgClews.Server.Tests;

/// <summary>Temporary folders for the tests (under /tmp, one per use).</summary>
public static class Temp
{
    public static string NewFolder(string name)
    {
        string path = Path.Combine(Path.GetTempPath(), "ogclews-server-tests", $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Removes a test's folder (run folders add up to tens of MB per test run); kept with OGCLEWS_KEEP_TEST_DATA=1.</summary>
    public static void Delete(string path)
    {
        if (Environment.GetEnvironmentVariable("OGCLEWS_KEEP_TEST_DATA") == "1") return;
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // A kernel of a killed server may still be writing its last log line: the folder stays in /tmp.
        }
    }
}

/// <summary>The server built in this process (ServerApp) listening on a free loopback port: real Kestrel, real kernels, real SQLite file.</summary>
public sealed class InProcessServer : IAsyncDisposable
{
    private readonly bool _ownsData;

    private InProcessServer(WebApplication app, string data, Uri address, bool ownsData)
    {
        _ownsData = ownsData;
        App = app;
        DataFolder = data;
        Address = address;
        Http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public WebApplication App { get; }
    public string DataFolder { get; }
    public Uri Address { get; }
    public HttpClient Http { get; }

    /// <summary>Starts a server on a new data folder (or <paramref name="dataFolder"/>) with <paramref name="args"/> added.</summary>
    public static async Task<InProcessServer> StartAsync(string? dataFolder, params string[] args)
    {
        string data = dataFolder ?? Temp.NewFolder("server");
        // Checkpoints are not fsynced in tests: a killed process loses nothing that way, only a power cut would.
        string[] all = ["--urls", "http://127.0.0.1:0", "--data", data, "--durable-checkpoints", "false", .. args];
        var app = await ServerApp.BuildAsync(all);
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new InProcessServer(app, data, new Uri(address), ownsData: dataFolder is null);
    }

    public T Service<T>() where T : notnull => App.Services.GetRequiredService<T>();

    private bool _disposed;

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        if (_ownsData) Temp.Delete(DataFolder);
    }
}

/// <summary>The built ogclews-server program as its own process (for the kill -9 test).</summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServerProcess(Process process) => _process = process;

    public Uri Address { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>The server program next to its project (built with the tests: the project is referenced).</summary>
    public static string ServerDll
    {
        get
        {
            string config = AppContext.BaseDirectory.Contains("/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";
            return Path.Combine(InstallLayout.Find().Root, "OgClews.Server", "bin", config, "net10.0", "ogclews-server.dll");
        }
    }

    public static async Task<ServerProcess> StartAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(ServerDll);
        foreach (string a in args) psi.ArgumentList.Add(a);
        var server = new ServerProcess(Process.Start(psi)!);
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        server._process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (server._output) server._output.AppendLine(e.Data);
            const string marker = "ogclews-server: listening on ";
            if (e.Data.StartsWith(marker, StringComparison.Ordinal)) listening.TrySetResult(new Uri(e.Data[marker.Length..].Trim()));
        };
        server._process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (server._output) server._output.AppendLine(e.Data);
        };
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        var exited = server._process.WaitForExitAsync();
        var first = await Task.WhenAny(listening.Task, exited, Task.Delay(TimeSpan.FromSeconds(60)));
        if (first != listening.Task)
        {
            string why = exited.IsCompleted ? $"exited with code {server._process.ExitCode}" : "did not say where it listens within 60 s";
            await server.DisposeAsync();
            throw new InvalidOperationException($"ogclews-server {why}:\n{server.Output}");
        }
        server.Address = await listening.Task;
        server.Http = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(30) };
        return server;
    }

    /// <summary>SIGKILL: no shutdown code runs. Its kernels notice that their parent is gone and exit.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: false);
        await _process.WaitForExitAsync();
    }

    private bool _disposed;

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        Http?.Dispose();
        if (!_process.HasExited) await KillAsync();
        _process.Dispose();
    }
}

/// <summary>
/// A scenario small enough for queue and load tests: the demo's energy model on 2025-2030 only
/// (generated by the project's own generator with its year list shortened) and a macro model with
/// 20 periods of 4 years. A coupled iteration takes a few tenths of a second.
/// </summary>
public static class TinyScenario
{
    public const string Name = "tiny";
    private static readonly Lazy<string> LazyFolder = new(Create);

    /// <summary>The scenarios folder (pass as <c>--scenarios</c>).</summary>
    public static string Folder => LazyFolder.Value;

    private static string Create()
    {
        string folder = Temp.NewFolder("scenarios");
        string demo = InstallLayout.Find().DemoDataFolder;
        string data = Path.Combine(folder, "tiny.dat");
        var psi = new ProcessStartInfo("/usr/bin/python3") { WorkingDirectory = demo, RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"import generate_data as g\ng.YEARS = list(range(2025, 2031))\ng.write_data({JsonSerializer.Serialize(data)}, 1.0)\n");
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0 || !File.Exists(data)) throw new InvalidOperationException($"generating {data} failed ({p.ExitCode}): {err}");
        File.WriteAllText(Path.Combine(folder, "tiny.json"),
            """{ "name": "tiny", "description": "Atlantis 2025-2030, 20 macro periods", "baseDataFile": "tiny.dat", "macro": { "S": 20 } }""");
        return folder;
    }
}

/// <summary>Small helpers over the JSON API.</summary>
public static class Api
{
    public static readonly string[] FinalStatuses = ["Converged", "MaxIterations", "Diverged", "Oscillating", "Cancelled", "Failed"];

    public static async Task<JsonElement> GetJsonAsync(this HttpClient http, string url)
    {
        using var response = await http.GetAsync(url);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {url}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public static async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> PostJsonAsync(this HttpClient http, string url, string? json,
        string contentType = "application/json", string? token = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, contentType);
        if (json is not null) request.Content!.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (token is not null) request.Headers.Add("X-OgClews-Token", token);
        var response = await http.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();
        var element = body.Length > 0 && (response.Content.Headers.ContentType?.MediaType?.Contains("json") ?? false)
            ? JsonDocument.Parse(body).RootElement.Clone()
            : JsonDocument.Parse("null").RootElement.Clone();
        return (response.StatusCode, element, response);
    }

    /// <summary>Submits a run; asserts 202 and returns its id.</summary>
    public static async Task<string> SubmitAsync(this HttpClient http, object request)
    {
        var (status, body, _) = await http.PostJsonAsync("/api/runs", JsonSerializer.Serialize(request));
        Assert.True(status == HttpStatusCode.Accepted, $"submit: {(int)status} {body}");
        return body.GetProperty("id").GetString()!;
    }

    /// <summary>Polls GET /api/runs/{id} until <paramref name="until"/> holds; the assertion names what was awaited and the last state.</summary>
    public static async Task<JsonElement> WaitForRunAsync(this HttpClient http, string id, Func<JsonElement, bool> until, TimeSpan timeout, string what, int pollMs = 100)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonElement last;
        while (true)
        {
            last = await http.GetJsonAsync($"/api/runs/{id}");
            if (until(last)) return last;
            if (DateTime.UtcNow > deadline) break;
            await Task.Delay(pollMs);
        }
        Assert.Fail($"run {id}: {what} did not happen within {timeout.TotalSeconds} s; last state: {last}");
        return last;
    }

    public static string Status(this JsonElement detail) => detail.GetProperty("run").GetProperty("status").GetString()!;

    public static bool IsFinal(this JsonElement detail) => FinalStatuses.Contains(detail.Status());

    public static Task<JsonElement> WaitFinalAsync(this HttpClient http, string id, TimeSpan timeout) =>
        http.WaitForRunAsync(id, d => d.IsFinal(), timeout, "finishing");
}
