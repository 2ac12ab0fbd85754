using Mesh.Client;
using Mesh.Protocol;
using Mesh.Values;

namespace Mesh.Conformance.Tests;

using Client = Mesh.Client.Client;

/// <summary>
/// One set of behavioural cases (docs/conformance.md) run against every kernel implementation
/// through the same .NET client. Adding a kernel language means adding one subclass and its fixture.
/// </summary>
public abstract class KernelConformanceTests<TFixture>(TFixture fixture) : IClassFixture<TFixture> where TFixture : KernelFixture
{
    protected Client Client => fixture.Concurrent.Client;
    protected Client Serial => fixture.Serial.Client;
    protected bool Serves(params string[] endpoints) => endpoints.All(fixture.Endpoints.Contains);

    [Fact]
    public async Task Kernels_serve_over_ipc_by_default_and_over_tcp_when_asked()
    {
        if (!Serves("add")) return;
        // The fixture's kernels use the manager's default: Unix sockets in its private run folder.
        Assert.StartsWith("ipc://", fixture.Concurrent.ConnectionInfo.Submit);
        // tcp still works (remote clients, containers); a kernel id longer than a socket name can
        // hold must not matter for ipc (kernels shorten it in the file name).
        await using var manager = new Mesh.Client.Managing.KernelManager();
        var kernels = await manager.StartAllAsync(
        [
            fixture.CreateSpec("transport-tcp", 1) with { Transport = "tcp" },
            fixture.CreateSpec("transport-ipc-" + new string('k', 90), 1) with { Transport = "ipc" },
        ]);
        Assert.StartsWith("tcp://127.0.0.1:", kernels[0].ConnectionInfo.Submit);
        Assert.StartsWith("ipc://", kernels[1].ConnectionInfo.Health);
        foreach (var k in kernels) Assert.Equal(5.0, await k.Client.CallAsync<double>("add", 2.0, 3.0));
    }

    [Fact]
    public async Task Calls_are_answered_with_the_result_in_one_message()
    {
        if (!Serves("add")) return;
        // docs/protocol.md 6.2: an accepted call-style submit gets no submit_reply, only the final
        // get_reply; the client learns that from the first answer (a plain acceptance would say no).
        Assert.Equal(5.0, await Serial.CallAsync<double>("add", 2.0, 3.0));
        Assert.True(Serial.KernelAnswersCalls, "the kernel answered a call with a plain submit_reply");
        var rejected = await Assert.ThrowsAsync<RemoteTaskException>(() => Serial.CallAsync("no_such_endpoint", Arguments.Of()));
        Assert.Equal(ErrorCode.UnknownEndpoint, rejected.Code);
        Assert.Equal(9.0, await Serial.CallAsync<double>("add", 4.0, 5.0));
    }

    [Fact]
    public async Task Scalars_strings_and_nested_maps_round_trip()
    {
        if (!Serves("echo")) return;
        var date = new DateTime(2026, 11, 21, 12, 30, 15, DateTimeKind.Utc).AddTicks(1234560);
        object?[] values =
        [
            null, true, false, 0L, 42L, -7L, long.MinValue, ulong.MaxValue, 3.5, -0.0, double.MaxValue,
            "", "héllo wörld ✓", new string('x', 100_000), new byte[] { 0, 1, 255 }, date,
            new Dictionary<string, object?>
            {
                ["region"] = "ATLANTIS",
                ["years"] = new object?[] { 2025L, 2030L, 2050L },
                ["nested"] = new Dictionary<string, object?> { ["deep"] = new object?[] { new Dictionary<string, object?> { ["x"] = 1.5 } } },
            },
        ];
        foreach (var v in values)
        {
            var back = await Client.CallAsync<object?>("echo", Arguments.Of(v));
            Assert.True(DeepEqual(v, back), $"echo changed {v ?? "null"} into {back ?? "null"}");
        }
    }

    [Fact]
    public async Task Ten_million_doubles_round_trip_exactly()
    {
        if (!Serves("echo", "sum_array")) return;
        var rng = new Random(1);
        var data = new double[10_000_000];
        for (int i = 0; i < data.Length; i++) data[i] = rng.NextDouble() * 1e6 - 5e5;
        var back = await Client.CallAsync<double[]>("echo", Arguments.Of(data));
        Assert.Equal(data.Length, back.Length);
        Assert.True(data.AsSpan().SequenceEqual(back), "array content changed");
        double expected = 0;
        foreach (var v in data) expected += v;
        Assert.Equal(expected, await Client.CallAsync<double>("sum_array", Arguments.Of(data)));
    }

    [Fact]
    public async Task Two_dimensional_arrays_keep_their_shape()
    {
        if (!Serves("transpose", "scale")) return;
        var m = new double[3, 5];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 5; j++) m[i, j] = i * 100 + j + 0.25;
        var t = await Client.CallAsync<double[,]>("transpose", Arguments.Of(m));
        Assert.Equal(5, t.GetLength(0));
        Assert.Equal(3, t.GetLength(1));
        for (int i = 0; i < 3; i++) for (int j = 0; j < 5; j++) Assert.Equal(m[i, j], t[j, i]);
        var big = new double[600, 700];
        big[599, 699] = 7;
        var scaled = await Client.CallAsync<NDArray>("scale", Arguments.Of(big, 2.0));
        Assert.Equal([600L, 700L], scaled.Shape);
        Assert.Equal(14, scaled.To2D<double>()[599, 699]);
    }

    [Fact]
    public async Task Tables_travel_as_named_typed_columns()
    {
        if (!Serves("make_table", "table_echo")) return;
        var t = await Client.CallAsync<Table>("make_table", Arguments.Of(5));
        Assert.Equal(["id", "value", "name"], t.Names);
        Assert.Equal([0L, 1, 2, 3, 4], t.Get<long>("id"));
        Assert.Equal([0, 0.5, 1, 1.5, 2], t.Get<double>("value"));
        Assert.Equal(new string?[] { "row0", "row1", "row2", "row3", "row4" }, t.GetStrings("name"));
        var mine = new Table()
            .Add("REGION", Enumerable.Repeat<string?>("ATLANTIS", 3000).ToArray())
            .Add("YEAR", Enumerable.Range(2025, 3000).Select(i => (long)i).ToArray())
            .Add("VALUE", Enumerable.Range(0, 3000).Select(i => i * 0.1).ToArray())
            .Add("NOTE", Enumerable.Range(0, 3000).Select(i => i % 2 == 0 ? null : "odd").ToArray());
        Assert.Equal(mine, await Client.CallAsync<Table>("table_echo", Arguments.Of(mine)));
    }

    [Fact]
    public async Task Arguments_bind_by_position_and_by_name()
    {
        if (!Serves("concat", "add")) return;
        Assert.Equal("ab", await Client.CallAsync<string>("concat", "a", "b"));
        Assert.Equal("x-", await Client.CallAsync<string>("concat", Arguments.None.With("a", "x")));
        Assert.Equal("xy", await Client.CallAsync<string>("concat", Arguments.Of("x").With("b", "y")));
        Assert.Equal("yx", await Client.CallAsync<string>("concat", Arguments.None.With("b", "x").With("a", "y")));
        Assert.Equal(3.5, await Client.CallAsync<double>("add", Arguments.Of(1L).With("b", 2.5)));
        await AssertCode(ErrorCode.BadArguments, () => Client.CallAsync<string>("concat", Arguments.Of("x").With("a", "y")), "'a'");
        await AssertCode(ErrorCode.BadArguments, () => Client.CallAsync<string>("concat", Arguments.Of("x").With("c", "y")), "'c'");
        await AssertCode(ErrorCode.BadArguments, () => Client.CallAsync<string>("concat", Arguments.None), "'a'");
        await AssertCode(ErrorCode.BadArguments, () => Client.CallAsync<string>("concat", "a", "b", "c"), "concat");
    }

    [Fact]
    public async Task Wrong_argument_types_are_refused_naming_the_parameter()
    {
        if (!Serves("add")) return;
        await AssertCode(ErrorCode.BadArguments, () => Client.CallAsync<double>("add", "one", 2.0), "'a'");
        await AssertCode(ErrorCode.BadArguments, () => Client.CallAsync<double>("add", 1.0, new Dictionary<string, object?>()), "'b'");
    }

    [Fact]
    public async Task Unknown_endpoints_are_refused_by_name()
    {
        await AssertCode(ErrorCode.UnknownEndpoint, () => Client.CallAsync<object?>("no_such_endpoint", Arguments.None), "no_such_endpoint");
        var e = await Assert.ThrowsAsync<RemoteTaskException>(() => Client.SubmitAsync("no_such_endpoint", Arguments.None));
        Assert.Equal(ErrorCode.UnknownEndpoint, e.Code);
    }

    [Fact]
    public async Task A_handler_exception_arrives_with_type_message_and_traceback()
    {
        if (!Serves("fail")) return;
        var e = await Assert.ThrowsAsync<RemoteTaskException>(() => Client.CallAsync<object?>("fail", "the model is infeasible"));
        Assert.Equal(ErrorCode.ApplicationError, e.Code);
        Assert.Equal(fixture.FailErrorType, e.RemoteType);
        Assert.Contains("the model is infeasible", e.Message);
        Assert.NotEmpty(e.RemoteTraceback);
        Assert.Contains("remote traceback", e.ToString());
    }

    [Fact]
    public async Task Ten_thousand_concurrent_calls_from_eight_threads_do_not_mix_up()
    {
        if (!Serves("add")) return;
        const int threads = 8, perThread = 1250;
        var workers = Enumerable.Range(0, threads).Select(t => Task.Run(async () =>
        {
            var calls = Enumerable.Range(0, perThread).Select(i => Client.CallAsync<double>("add", (double)i, t * 1_000_000.0)).ToArray();
            var results = await Task.WhenAll(calls);
            for (int i = 0; i < perThread; i++) Assert.Equal(i + t * 1_000_000.0, results[i]);
        })).ToArray();
        await Task.WhenAll(workers);
    }

    [Fact]
    public async Task Tasks_start_in_priority_order_then_first_in_first_out()
    {
        if (!Serves("sleep", "order")) return;
        // The blocker holds the only worker until every task is queued, however slow the machine.
        var blocker = await Serial.SubmitAsync("sleep", Arguments.Of(30.0));
        await WaitForState(blocker, TaskState.Started);
        int[] priorities = [1, 5, 10, 5, 1, 10, 3, 7];
        var submitted = new List<(int Priority, int Index, RemoteTask Task)>();
        for (int i = 0; i < priorities.Length; i++)
            submitted.Add((priorities[i], i, await Serial.SubmitAsync("order", Arguments.Of((long)i), new CallOptions { Priority = priorities[i] })));
        Assert.True(await blocker.CancelAsync());
        await Assert.ThrowsAsync<RemoteTaskException>(() => blocker.GetAsync());
        var ran = new List<(long Tag, long N)>();
        foreach (var s in submitted)
        {
            var r = await s.Task.GetAsync<object?[]>();
            ran.Add(((long)r[0]!, (long)r[1]!));
        }
        var actualOrder = ran.OrderBy(x => x.N).Select(x => (int)x.Tag).ToArray();
        var expectedOrder = submitted.OrderByDescending(s => s.Priority).ThenBy(s => s.Index).Select(s => s.Index).ToArray();
        Assert.Equal(expectedOrder, actualOrder);
    }

    [Fact]
    public async Task Queued_and_running_tasks_can_be_cancelled()
    {
        if (!Serves("sleep")) return;
        var running = await Serial.SubmitAsync("sleep", Arguments.Of(30.0));
        await WaitForState(running, TaskState.Started);
        var queued = await Serial.SubmitAsync("sleep", Arguments.Of(0.01));
        Assert.True(await queued.CancelAsync());
        var qe = await Assert.ThrowsAsync<RemoteTaskException>(() => queued.GetAsync());
        Assert.Equal(ErrorCode.TaskCancelled, qe.Code);
        Assert.Equal(TaskState.Cancelled, queued.Record?.State);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        Assert.True(await running.CancelAsync());
        var re = await Assert.ThrowsAsync<RemoteTaskException>(() => running.GetAsync());
        Assert.Equal(ErrorCode.TaskCancelled, re.Code);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"cancelling a running task took {sw.Elapsed}");
        Assert.NotNull(running.Record?.StartedAt);
        Assert.NotNull(running.Record?.EndedAt);
    }

    [Fact]
    public async Task Per_call_timeouts_end_the_task()
    {
        if (!Serves("sleep")) return;
        var e = await Assert.ThrowsAsync<RemoteTaskException>(() => Client.CallAsync<double>("sleep", Arguments.Of(30.0), new CallOptions { Timeout = TimeSpan.FromMilliseconds(300) }));
        Assert.Equal(ErrorCode.TaskTimeout, e.Code);
        await Assert.ThrowsAsync<TimeoutException>(() => Client.CallAsync<double>("sleep", Arguments.Of(30.0), new CallOptions { WaitTimeout = TimeSpan.FromMilliseconds(300) }));
    }

    [Fact]
    public async Task Progress_and_log_lines_reach_the_client()
    {
        if (!Serves("progress", "log")) return;
        var seen = new System.Collections.Concurrent.ConcurrentBag<long>();
        var reporter = new SyncProgress(p => seen.Add(Convert.ToInt64(p.Value)));
        Assert.Equal(5L, await Client.CallAsync<long>("progress", Arguments.Of(5), new CallOptions { Progress = reporter }));
        for (int i = 0; i < 100 && seen.Count < 5; i++) await Task.Delay(20);
        Assert.Equal([1L, 2, 3, 4, 5], seen.Order());

        var logged = await Client.SubmitAsync("log", Arguments.Of((object)new[] { "first line", "second line" }));
        Assert.Equal(2L, await logged.GetAsync<long>());
        Assert.Contains("first line", logged.Record!.Log);
        Assert.Contains("second line", logged.Record!.Log);
    }

    [Fact]
    public async Task Kernel_info_and_health_describe_the_kernel()
    {
        var info = await Client.KernelInfoAsync();
        Assert.Equal(1L, info["protocol_version"]);
        Assert.Equal("conformance", info["kernel_id"]);
        var health = await Client.HealthAsync();
        Assert.Equal("ok", health.Status);
        Assert.Equal(fixture.Concurrent.Pid, health.Pid);
    }

    private sealed class SyncProgress(Action<TaskProgressEventArgs> report) : IProgress<TaskProgressEventArgs>
    {
        public void Report(TaskProgressEventArgs value) => report(value);
    }

    private static async Task WaitForState(RemoteTask task, TaskState state)
    {
        for (int i = 0; i < 500; i++)
        {
            if ((await task.StatusAsync())?.State == state) return;
            await Task.Delay(10);
        }
        throw new TimeoutException($"task never reached {state}");
    }

    private static async Task AssertCode(ErrorCode code, Func<Task> call, string mentioned)
    {
        var e = await Assert.ThrowsAsync<RemoteTaskException>(call);
        Assert.Equal(code, e.Code);
        Assert.Contains(mentioned, e.Message);
    }

    private static bool DeepEqual(object? expected, object? actual) => (expected, actual) switch
    {
        (null, null) => true,
        (double a, double b) => BitConverter.DoubleToInt64Bits(a) == BitConverter.DoubleToInt64Bits(b),
        (byte[] a, byte[] b) => a.AsSpan().SequenceEqual(b),
        (object?[] a, object?[] b) => a.Length == b.Length && a.Zip(b).All(p => DeepEqual(p.First, p.Second)),
        (Dictionary<string, object?> a, Dictionary<string, object?> b) => a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && DeepEqual(kv.Value, v)),
        (DateTime a, DateTime b) => a.ToUniversalTime() == b.ToUniversalTime(),
        _ => Equals(expected, actual),
    };
}
