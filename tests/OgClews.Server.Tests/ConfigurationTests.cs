using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using OgClews.Runner;
using OgClews.Server.Runs;
using OgClews.Server.Store;

namespace OgClews.Server.Tests;

/// <summary>Server settings, scenario files and the run queue: each bad input has its own clear error.</summary>
public class ConfigurationTests
{
    private static ServerOptions Options(params (string Key, string Value)[] values) =>
        ServerOptions.From(new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build());

    [Fact]
    public void The_defaults_listen_on_loopback_with_one_run_at_a_time_on_sqlite()
    {
        var o = Options();
        Assert.Equal([ServerOptions.DefaultUrl], o.Urls);
        Assert.Equal((1, KernelMode.Own, StoreKind.Sqlite, true), (o.Concurrency, o.Kernels, o.Store, o.DurableCheckpoints));
        Assert.Null(o.Token);
        Assert.EndsWith("ogclews-data/ogclews-server.db", o.SqlitePath);
    }

    [Theory]
    [InlineData("concurrency", "0", "--concurrency: 0 must be from 1 to 64")]
    [InlineData("concurrency", "two", "--concurrency: 'two' is not an integer")]
    [InlineData("kernels", "shared", "--kernels: 'shared' is not one of own, pool")]
    [InlineData("kernels", "1", "--kernels: '1' is not one of own, pool")]
    [InlineData("store", "mysql", "--store: 'mysql' is not one of sqlite, postgres")]
    [InlineData("store", "postgres", "--connection: --store postgres needs a connection string")]
    [InlineData("connection", "Host=x", "--connection: a connection string is only used with --store postgres")]
    [InlineData("token", "short", "--token: use at least 16 characters")]
    [InlineData("urls", "http://0.0.0.0:5080", "--urls: http://0.0.0.0:5080 is reachable from other machines")]
    [InlineData("urls", "http://127.0.0.1:5080;http://*:5081", "--urls: http://*:5081 is reachable from other machines")]
    public void A_bad_setting_is_refused_naming_the_option(string key, string value, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => Options((key, value)));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Listening_beyond_loopback_is_allowed_with_a_token_from_the_option_or_the_environment_variable()
    {
        Assert.Equal("0123456789abcdef0", Options(("urls", "http://0.0.0.0:5080"), ("token", "0123456789abcdef0")).Token);
        Assert.Equal("0123456789abcdef1", Options(("urls", "http://0.0.0.0:5080"), ("OGCLEWS_SERVER_TOKEN", "0123456789abcdef1")).Token);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5080", true)]
    [InlineData("http://127.0.0.2:0", true)]
    [InlineData("http://localhost:5080", true)]
    [InlineData("http://[::1]:5080", true)]
    [InlineData("http://0.0.0.0:5080", false)]
    [InlineData("http://*:5080", false)]
    [InlineData("http://+:5080", false)]
    [InlineData("http://[::]:5080", false)]
    [InlineData("http://192.168.1.10:5080", false)]
    [InlineData("http://example.org:80", false)]
    public void Loopback_addresses_are_recognised(string url, bool loopback) => Assert.Equal(loopback, ServerOptions.IsLoopback(url));

    [Fact]
    public async Task The_program_exits_with_code_2_and_says_which_option_is_wrong()
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in new[] { ServerProcess.ServerDll, "--concurrency", "0", "--data", Temp.NewFolder("bad-option") }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2, p.ExitCode);
        Assert.Equal("ogclews-server: --concurrency: 0 must be from 1 to 64", err.Trim());
    }

    // ------------------------------------------------------------------ scenario files

    private static string ScenarioFolder(params (string File, string Json)[] files)
    {
        string folder = Temp.NewFolder("scenario-files");
        File.WriteAllText(Path.Combine(folder, "data.dat"), "data;\nend;\n");
        foreach (var (file, json) in files) File.WriteAllText(Path.Combine(folder, file), json);
        return folder;
    }

    [Theory]
    [InlineData("{ nope", "not valid JSON")]
    [InlineData("[]", "expected a JSON object")]
    [InlineData("""{"baseDataFile": "data.dat"}""", "'name' (a non-empty string) is required")]
    [InlineData("""{"name": "Big Name", "baseDataFile": "data.dat"}""", "name 'Big Name' must be 1-40 lower-case letters")]
    [InlineData("""{"name": "x"}""", "'baseDataFile' (a non-empty string) is required")]
    [InlineData("""{"name": "x", "baseDataFile": "missing.dat"}""", "baseDataFile: ")]
    [InlineData("""{"name": "x", "baseDataFile": "data.dat", "extraDataFiles": "data.dat"}""", "extraDataFiles must be an array of file names")]
    [InlineData("""{"name": "x", "baseDataFile": "data.dat", "extraDataFiles": ["gone.dat"]}""", "extraDataFiles: ")]
    [InlineData("""{"name": "x", "baseDataFile": "data.dat", "macro": {"S": "40"}}""", "macro.S must be a number")]
    [InlineData("""{"name": "x", "baseDataFile": "data.dat", "elasticities": [1]}""", "elasticities must be an object of numbers")]
    [InlineData("""{"name": "x", "baseDataFile": "data.dat", "coupleDiscountRate": "yes"}""", "coupleDiscountRate must be true or false")]
    [InlineData("""{"name": "demo", "baseDataFile": "data.dat"}""", "the name 'demo' is a built-in scenario's")]
    public void A_bad_scenario_file_stops_the_start_naming_the_file_and_field(string json, string message)
    {
        string folder = ScenarioFolder(("s.json", json));
        var e = Assert.Throws<InvalidOperationException>(() => ScenarioCatalog.Load(InstallLayout.Find(), folder));
        Assert.Contains(Path.Combine(folder, "s.json"), e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Two_scenario_files_with_one_name_and_a_missing_folder_are_refused()
    {
        string folder = ScenarioFolder(("a.json", """{"name": "x", "baseDataFile": "data.dat"}"""), ("b.json", """{"name": "x", "baseDataFile": "data.dat"}"""));
        Assert.Contains("the scenario name 'x' is used by another file", Assert.Throws<InvalidOperationException>(() => ScenarioCatalog.Load(InstallLayout.Find(), folder)).Message);
        Assert.Contains("--scenarios: the folder /nonexistent does not exist",
            Assert.Throws<InvalidOperationException>(() => ScenarioCatalog.Load(InstallLayout.Find(), "/nonexistent")).Message);
    }

    [Fact]
    public void A_scenario_file_gives_a_full_scenario_with_paths_from_its_folder()
    {
        string folder = ScenarioFolder(("s.json", """
            {"name": "mine", "description": "my data", "baseDataFile": "data.dat", "extraDataFiles": ["data.dat"],
             "macro": {"S": 20, "sigma": 2.5}, "elasticities": {"ELC": 1.0}, "coupleDiscountRate": false}
            """));
        var catalog = ScenarioCatalog.Load(InstallLayout.Find(), folder);
        var s = catalog.Resolve("mine");
        Assert.Equal(("mine", "my data", Path.Combine(folder, "data.dat"), false), (s.Name, s.Description, s.BaseDataFile, s.CoupleDiscountRate));
        Assert.Equal([Path.Combine(folder, "data.dat")], s.ExtraDataFiles);
        Assert.Equal(20L, s.MacroParameters["S"]);      // an integer for the Python model
        Assert.Equal(2.5, s.MacroParameters["sigma"]);
        Assert.Equal(1.0, s.Elasticities["ELC"]);
        Assert.Equal("demo", catalog.Resolve("demo").Name);
        Assert.Contains("unknown scenario 'mars'", Assert.Throws<ArgumentException>(() => catalog.Resolve("mars")).Message);
    }

    // ------------------------------------------------------------------ the queue

    [Fact]
    public async Task The_queue_gives_resumed_runs_first_then_priority_then_submission_order()
    {
        var q = new RunQueue();
        q.Add("low", 1, 1);
        q.Add("mid-a", 5, 2);
        q.Add("high", 10, 3);
        q.Add("mid-b", 5, 4);
        q.Add("resumed", 1, 0, resumed: true);
        q.Add("mid-a", 9, 9); // already queued: ignored
        Assert.Equal(1, q.PositionOf("resumed"));
        Assert.Equal(2, q.PositionOf("high"));
        Assert.Equal(5, q.PositionOf("low"));
        Assert.True(q.Remove("mid-b"));
        Assert.False(q.Remove("mid-b"));
        Assert.Null(q.PositionOf("mid-b"));
        var order = new List<string>();
        for (int i = 0; i < 4; i++) order.Add(await q.TakeAsync(CancellationToken.None));
        Assert.Equal(["resumed", "high", "mid-a", "low"], order);
        Assert.Equal(0, q.Count);

        // Empty (with a wake-up left over from the removed run): the next take waits for the next run.
        var take = q.TakeAsync(CancellationToken.None);
        await Task.Delay(100);
        Assert.False(take.IsCompleted);
        q.Add("later", 3, 7);
        Assert.Equal("later", await take.WaitAsync(TimeSpan.FromSeconds(5)));
        using var cts = new CancellationTokenSource(50);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => q.TakeAsync(cts.Token));
    }

    [Theory]
    [InlineData("S", 40, null)]
    [InlineData("S", 2, "must be an integer from 3 to 80, got 2")]
    [InlineData("maxiter", 0, "must be an integer from 1 to 100000, got 0")]
    [InlineData("sigma", double.NaN, "must be a finite number")]
    [InlineData("sigma", 2.0, null)]
    [InlineData("beta", 0.9, "unknown macro parameter")]
    public void Macro_overrides_are_checked(string name, double value, string? error) => Assert.Equal(error, MacroParameters.Check(name, value) is { } e ? e[..Math.Min(e.Length, error?.Length ?? 0)] : null);
}
