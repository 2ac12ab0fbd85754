using System.Net;
using System.Text.Json;

namespace OgClews.Server.Tests;

/// <summary>One server with a token, shared by the validation tests. No request here may start a run.</summary>
public sealed class TokenServerFixture : IAsyncLifetime
{
    public const string Token = "test-token-0123456789abcdef";
    public InProcessServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await InProcessServer.StartAsync(null, "--token", Token, "--scenarios", TinyScenario.Folder);

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>Bad requests are refused with a problem-details body that names the field; nothing is queued.</summary>
public class ApiValidationTests(TokenServerFixture fixture) : IClassFixture<TokenServerFixture>
{
    private HttpClient Http => fixture.Server.Http;

    private async Task<JsonElement> PostProblemAsync(string url, string? body, HttpStatusCode expected, string contentType = "application/json")
    {
        var (status, json, response) = await Http.PostJsonAsync(url, body, contentType, TokenServerFixture.Token);
        Assert.True(status == expected, $"POST {url} {body}: expected {(int)expected}, got {(int)status} {json}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal((int)expected, json.GetProperty("status").GetInt32());
        return json;
    }

    private async Task AssertNothingQueuedAsync() => Assert.Equal(0, (await Http.GetJsonAsync("/api/runs")).GetArrayLength());

    [Theory]
    [InlineData("not json", "body", "not valid JSON")]
    [InlineData("", "body", "the body is empty")]
    [InlineData("[1, 2]", "body", "expected a JSON object with the run's settings, got an array")]
    [InlineData("""{"tol": 0.001}""", "tol", "unknown field; the fields are scenario, method, tolerance")]
    [InlineData("""{"scenario": "mars"}""", "scenario", "unknown scenario 'mars'; known are demo, carbon, tiny")]
    [InlineData("""{"scenario": 3}""", "scenario", "expected a string, got 3")]
    [InlineData("""{"method": "newton"}""", "method", "'newton' is not one of anderson, aitken, damped")]
    [InlineData("""{"tolerance": 0}""", "tolerance", "must be greater than 0 and less than 1, got 0")]
    [InlineData("""{"tolerance": 1}""", "tolerance", "must be greater than 0 and less than 1, got 1")]
    [InlineData("""{"tolerance": "small"}""", "tolerance", "expected a number, got the string \"small\"")]
    [InlineData("""{"maxIterations": 0}""", "maxIterations", "must be an integer from 1 to 10000, got 0")]
    [InlineData("""{"maxIterations": 2.5}""", "maxIterations", "must be an integer from 1 to 10000, got 2.5")]
    [InlineData("""{"priority": 11}""", "priority", "must be an integer from 1 to 10, got 11")]
    [InlineData("""{"priority": true}""", "priority", "expected an integer from 1 to 10, got a boolean")]
    [InlineData("""{"alpha": 1.5}""", "alpha", "must be greater than 0 and at most 1, got 1.5")]
    [InlineData("""{"andersonDepth": 0}""", "andersonDepth", "must be an integer from 1 to 50, got 0")]
    [InlineData("""{"macro": [40]}""", "macro", "expected an object of parameter values")]
    [InlineData("""{"macro": {"S": 2}}""", "macro.S", "must be an integer from 3 to 80, got 2")]
    [InlineData("""{"macro": {"S": 40.5}}""", "macro.S", "must be an integer from 3 to 80, got 40.5")]
    [InlineData("""{"macro": {"S": "40"}}""", "macro.S", "expected a number, got the string \"40\"")]
    [InlineData("""{"macro": {"beta": 0.9}}""", "macro.beta", "unknown macro parameter; known are S, T, Z")]
    [InlineData("""{"macro": {"carbon_revenue": 0.1}}""", "macro.carbon_revenue", "unknown macro parameter")]
    public async Task A_bad_run_request_is_refused_naming_the_field(string body, string field, string message)
    {
        var problem = await PostProblemAsync("/api/runs", body, HttpStatusCode.BadRequest);
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var list), $"no error for '{field}' in {problem}");
        Assert.Contains(message, list[0].GetString());
        Assert.Contains(field + ": ", problem.GetProperty("detail").GetString());
        await AssertNothingQueuedAsync();
    }

    [Fact]
    public async Task Every_bad_field_of_one_request_is_reported()
    {
        var problem = await PostProblemAsync("/api/runs", """{"method": "x", "tolerance": -1, "priority": 0, "macro": {"S": 1000}}""", HttpStatusCode.BadRequest);
        var names = problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order().ToArray();
        Assert.Equal(["macro.S", "method", "priority", "tolerance"], names);
        await AssertNothingQueuedAsync();
    }

    [Fact]
    public async Task A_body_that_is_not_json_or_too_large_is_refused()
    {
        var wrongType = await PostProblemAsync("/api/runs", "scenario=demo", HttpStatusCode.UnsupportedMediaType, "application/x-www-form-urlencoded");
        Assert.Equal("Unsupported Media Type", wrongType.GetProperty("title").GetString());
        string huge = JsonSerializer.Serialize(new { scenario = "demo", pad = new string('x', 70_000) });
        var tooLarge = await PostProblemAsync("/api/runs", huge, HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("at most 65536 bytes", tooLarge.GetProperty("detail").GetString());
        await AssertNothingQueuedAsync();
    }

    [Theory]
    [InlineData("/api/runs/0123456789ab")]
    [InlineData("/api/runs/0123456789ab/tasks")]
    [InlineData("/api/runs/0123456789ab/tasks/1/output")]
    [InlineData("/api/runs/0123456789ab/tasks/1/error")]
    [InlineData("/api/runs/0123456789ab/logs")]
    [InlineData("/api/runs/0123456789ab/logs/energy")]
    [InlineData("/api/runs/0123456789ab/report")]
    [InlineData("/api/runs/0123456789ab/paths")]
    public async Task An_unknown_run_is_a_404_problem_naming_it(string url)
    {
        using var response = await Http.GetAsync(url);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("there is no run '0123456789ab'", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/api/runs/0123456789ab/cancel")]
    [InlineData("/api/runs/0123456789ab/rerun")]
    public async Task Cancelling_or_rerunning_an_unknown_run_is_a_404(string url)
    {
        var problem = await PostProblemAsync(url, null, HttpStatusCode.NotFound);
        Assert.Contains("there is no run '0123456789ab'", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("/api/runs?status=Bogus", "status", "'Bogus' is not one of Queued, Running, Converged")]
    [InlineData("/api/runs?status=3", "status", "'3' is not one of")]
    [InlineData("/api/runs?limit=0", "limit", "must be from 1 to 5000, got 0")]
    public async Task Bad_list_filters_are_refused_naming_the_parameter(string url, string field, string message)
    {
        using var response = await Http.GetAsync(url);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Contains(message, problem.GetProperty("errors").GetProperty(field)[0].GetString());
    }

    [Fact]
    public async Task A_non_numeric_path_or_query_value_is_refused()
    {
        using var badTail = await Http.GetAsync("/api/runs/0123456789ab/logs?tail=many");
        Assert.Equal(HttpStatusCode.BadRequest, badTail.StatusCode);
        using var badTask = await Http.GetAsync("/api/runs/0123456789ab/tasks/first/output");
        Assert.Equal(HttpStatusCode.NotFound, badTask.StatusCode);
    }

    [Fact]
    public async Task Write_requests_need_the_token_reads_do_not()
    {
        var (status, body, response) = await Http.PostJsonAsync("/api/runs", "{}");
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("X-OgClews-Token", body.GetProperty("detail").GetString());
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);

        (status, body, _) = await Http.PostJsonAsync("/api/runs", "{}", token: "wrong-token-0123456789");
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("does not match", body.GetProperty("detail").GetString());

        (status, _, _) = await Http.PostJsonAsync("/api/runs/0123456789ab/cancel", null);
        Assert.Equal(HttpStatusCode.Unauthorized, status);

        // The right token as a bearer token gets past the check: the (deliberately bad) body is what is refused.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/runs") { Content = new StringContent("""{"priority": 0}""", System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new("Bearer", TokenServerFixture.Token);
        using var authorized = await Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, authorized.StatusCode);

        var health = await Http.GetJsonAsync("/api/health");
        Assert.True(health.GetProperty("tokenRequired").GetBoolean());
        await AssertNothingQueuedAsync();
    }

    [Fact]
    public async Task The_openapi_document_describes_every_endpoint_and_the_run_request()
    {
        var doc = await Http.GetJsonAsync("/openapi/v1.json");
        Assert.StartsWith("3.", doc.GetProperty("openapi").GetString());
        Assert.Equal("OG-CLEWS run service", doc.GetProperty("info").GetProperty("title").GetString());
        var paths = doc.GetProperty("paths");
        string[] expected =
        [
            "/api/runs", "/api/runs/{id}", "/api/runs/{id}/tasks", "/api/runs/{id}/tasks/{no}/output", "/api/runs/{id}/tasks/{no}/error",
            "/api/runs/{id}/logs", "/api/runs/{id}/logs/{name}", "/api/runs/{id}/report", "/api/runs/{id}/paths",
            "/api/runs/{id}/cancel", "/api/runs/{id}/rerun", "/api/scenarios", "/api/health",
        ];
        Assert.Equal(expected.Order(), paths.EnumerateObject().Select(p => p.Name).Order());
        var submit = paths.GetProperty("/api/runs").GetProperty("post");
        Assert.Equal("SubmitRun", submit.GetProperty("operationId").GetString());
        Assert.True(submit.GetProperty("responses").TryGetProperty("202", out _));
        Assert.True(submit.GetProperty("responses").TryGetProperty("400", out _));
        var request = doc.GetProperty("components").GetProperty("schemas").GetProperty("RunRequest").GetProperty("properties");
        Assert.Equal(["alpha", "andersonDepth", "macro", "maxIterations", "method", "priority", "scenario", "tolerance"],
            request.EnumerateObject().Select(p => p.Name).Order());
    }

    [Fact]
    public async Task The_dashboard_and_its_assets_come_from_the_server_itself()
    {
        using var page = await Http.GetAsync("/");
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        string html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<script src=\"/static/chart.umd.js\">", html);
        Assert.Contains("<script src=\"/static/app.js\" defer>", html);
        foreach (string asset in new[] { "app.js", "app.css" })
        {
            string text = await Http.GetStringAsync("/static/" + asset);
            Assert.DoesNotContain("http://", text);
            Assert.DoesNotContain("https://", text);
        }
        Assert.DoesNotContain("http", html.Replace("http-equiv", "", StringComparison.Ordinal));
        using var chart = await Http.GetAsync("/static/chart.umd.js");
        Assert.Equal("text/javascript", chart.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Chart.js v4.6.1", (await chart.Content.ReadAsStringAsync())[..300]);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/static/missing.js")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/static/..%2Fweb%2Findex.html")).StatusCode);
    }

    [Fact]
    public async Task The_scenarios_list_has_the_built_in_ones_and_the_configured_ones()
    {
        var list = await Http.GetJsonAsync("/api/scenarios");
        var names = list.EnumerateArray().Select(s => (s.GetProperty("name").GetString(), s.GetProperty("builtIn").GetBoolean())).ToArray();
        Assert.Equal([("demo", true), ("carbon", true), ("tiny", false)], names);
    }
}

/// <summary>How stored runs look through the API (rows written straight into the server's store; nothing executes).</summary>
public class ApiShapeTests
{
    [Fact]
    public async Task A_diverged_runs_infinite_residual_is_served_as_Infinity_and_its_progress_is_complete()
    {
        await using var server = await InProcessServer.StartAsync(null);
        var store = server.Service<OgClews.Server.Store.RunStore>();
        var spec = new OgClews.Server.Store.RunSpec("demo", "damped", 1e-6, 60, 0.5, 5, new Dictionary<string, double>());
        await store.InsertRunAsync("0000000000d1", spec, 5, Path.Combine(server.DataFolder, "runs", "0000000000d1"), DateTimeOffset.UtcNow, null);
        await store.UpsertIterationsAsync("0000000000d1",
        [
            new("0000000000d1", 0, 0.5, 1.0, 0.25, "damped", 1, 1, new Dictionary<string, double>(), DateTimeOffset.UtcNow),
            new("0000000000d1", 1, double.PositiveInfinity, double.PositiveInfinity, double.NaN, "damped", 1, 1, new Dictionary<string, double>(), DateTimeOffset.UtcNow),
        ]);
        await store.FinishAsync("0000000000d1", OgClews.Server.Store.RunStatus.Diverged, "Diverged at iteration 1", null, DateTimeOffset.UtcNow);

        string json = await server.Http.GetStringAsync("/api/runs/0000000000d1");
        var detail = JsonDocument.Parse(json).RootElement;
        Assert.Equal("Diverged", detail.Status());
        Assert.Equal("Infinity", detail.GetProperty("run").GetProperty("residual").GetString());
        Assert.Equal(1.0, detail.GetProperty("run").GetProperty("progress").GetDouble());
        var last = detail.GetProperty("residuals")[1];
        Assert.Equal("Infinity", last.GetProperty("residual").GetString());
        Assert.Equal(JsonValueKind.Null, last.GetProperty("stepSize").ValueKind);
        using var paths = await server.Http.GetAsync("/api/runs/0000000000d1/paths");
        Assert.Equal(HttpStatusCode.NotFound, paths.StatusCode);
        Assert.Contains("ended (Diverged) without writing paths.csv", await paths.Content.ReadAsStringAsync());
        using var log = await server.Http.GetAsync("/api/runs/0000000000d1/logs");
        Assert.Contains("has no log 'run' (its logs: none yet)", await log.Content.ReadAsStringAsync());
    }
}
