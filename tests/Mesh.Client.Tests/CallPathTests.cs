using Mesh.Client.Managing;
using Mesh.Protocol;

namespace Mesh.Client.Tests;

/// <summary>
/// The short-call path: calls answered in one message (docs/protocol.md 6.2), the fallback for
/// kernels that ignore <c>call</c>, callers that receive their own replies, and inline endpoints.
/// Real kernel processes throughout.
/// </summary>
public sealed class CallPathTests
{
    [Fact]
    public async Task Calls_are_answered_in_one_message_with_results_errors_and_rejections()
    {
        await using var manager = new KernelManager();
        var client = (await manager.StartAsync(TestKernels.Spec("one-message"))).Client;
        Assert.Null(client.KernelAnswersCalls);
        await AllCallOutcomesAsync(client);
        Assert.True(client.KernelAnswersCalls);
    }

    [Fact]
    public async Task A_kernel_that_ignores_calls_is_served_with_a_submit_and_a_get()
    {
        await using var manager = new KernelManager();
        var client = (await manager.StartAsync(TestKernels.Spec("base-protocol", environment: new Dictionary<string, string?> { ["MESH_ANSWER_CALLS"] = "0" }))).Client;
        // The first call learns it from the kernel's plain acceptance, later ones send a get at once.
        Assert.Equal(5.0, await client.CallAsync<double>("add", 2.0, 3.0));
        Assert.False(client.KernelAnswersCalls);
        await AllCallOutcomesAsync(client);
        Assert.False(client.KernelAnswersCalls);
    }

    [Fact]
    public async Task Calls_work_when_callers_never_receive_their_own_replies()
    {
        await using var manager = new KernelManager();
        var kernel = await manager.StartAsync(TestKernels.Spec("no-inline-wait"));
        using var client = Client.Connect(kernel.ClientConnectionFile!, new ClientOptions { InlineWait = TimeSpan.Zero });
        await AllCallOutcomesAsync(client);
    }

    [Fact]
    public async Task Sequential_concurrent_and_pipelined_calls_share_one_connection()
    {
        await using var manager = new KernelManager();
        var client = (await manager.StartAsync(TestKernels.Spec("mixed", maxConcurrency: 4))).Client;
        // Eight threads calling back to back while one caller keeps 200 calls in flight: whoever
        // receives, every reply must reach its own caller.
        var threads = Enumerable.Range(0, 8).Select(t => Task.Run(async () =>
        {
            for (int i = 0; i < 300; i++)
                Assert.Equal(t * 1000.0 + i, await client.CallAsync<double>(i % 2 == 0 ? "add" : "add", t * 1000.0, (double)i));
        })).ToList();
        var pipelined = Enumerable.Range(0, 200).Select(i => client.CallAsync<double>("add", (double)i, 0.5)).ToList();
        var results = await Task.WhenAll(pipelined);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => i + 0.5), results);
        await Task.WhenAll(threads);
        // And sequential calls afterwards, through heartbeats (500 ms) taken by the background thread.
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal("x" + i, await client.CallAsync<string>("echo_inline", "x" + i));
            await Task.Delay(60);
        }
    }

    [Fact]
    public async Task An_inline_endpoint_answers_while_every_worker_is_busy_and_queued_work_waits()
    {
        await using var manager = new KernelManager();
        var client = (await manager.StartAsync(TestKernels.Spec("inline", maxConcurrency: 1))).Client;
        var spin = client.CallAsync<long>("spin", 3.0);
        await Task.Delay(300);
        var queuedEcho = client.CallAsync<string>("echo", "queued");
        Assert.Equal("now", await client.CallAsync<string>("echo_inline", "now"));
        Assert.False(spin.IsCompleted, "the inline endpoint should not have waited for the busy worker");
        Assert.False(queuedEcho.IsCompleted, "a worker endpoint queues behind the busy worker");
        // Inline tasks keep the usual task record, binding errors and rejections.
        TaskRecord? record = null;
        await client.CallAsync("echo_inline", Arguments.Of(1L), new CallOptions { Finished = r => record = r });
        Assert.Equal(TaskState.Completed, record!.State);
        Assert.NotNull(record.StartedAt);
        var bad = await Assert.ThrowsAsync<RemoteTaskException>(() => client.CallAsync("echo_inline", Arguments.Of(1L, 2L)));
        Assert.Equal(ErrorCode.BadArguments, bad.Code);
        Assert.Equal("queued", await queuedEcho);
        await spin;
    }

    [Fact]
    public async Task Calls_work_with_no_spinning_on_either_side()
    {
        await using var manager = new KernelManager();
        var kernel = await manager.StartAsync(TestKernels.Spec("no-spin", environment: new Dictionary<string, string?> { ["MESH_IDLE_SPIN_US"] = "0" }));
        using var client = Client.Connect(kernel.ClientConnectionFile!, new ClientOptions { InlineSpin = TimeSpan.Zero });
        await AllCallOutcomesAsync(client);
    }

    [Fact]
    public async Task An_idle_kernel_stops_spinning()
    {
        // A long spin window (50 ms) so that a spin that never ended would burn most of a core.
        await using var manager = new KernelManager();
        var kernel = await manager.StartAsync(TestKernels.Spec("idle", environment: new Dictionary<string, string?> { ["MESH_IDLE_SPIN_US"] = "50000" }));
        for (int i = 0; i < 300; i++) Assert.Equal(i + 1.0, await kernel.Client.CallAsync<double>("add", (double)i, 1.0));
        for (int i = 0; i < 300; i++) Assert.Equal("x", await kernel.Client.CallAsync<string>("echo_inline", "x"));
        // Let late work settle (tiered JIT recompiles hot methods in the background), then measure:
        // idle, this kernel uses about 10 ms a second at most; spinning, it would use hundreds. A
        // second window is allowed for a late burst of background work under a loaded machine; a
        // spin that never ends fails both.
        await Task.Delay(1000);
        double used = double.MaxValue;
        for (int window = 0; window < 2 && used >= 0.1; window++)
        {
            double before = CpuSeconds(kernel.Pid);
            await Task.Delay(1000);
            used = CpuSeconds(kernel.Pid) - before;
        }
        Assert.True(used < 0.1, $"the idle kernel used {used * 1000:F0} ms of CPU in one second");
        // And it still answers at once.
        Assert.Equal("y", await kernel.Client.CallAsync<string>("echo_inline", "y"));
    }

    [Fact]
    public async Task A_kernel_refuses_an_invalid_idle_spin_setting()
    {
        await using var manager = new KernelManager();
        var e = await Assert.ThrowsAsync<KernelStartupException>(() => manager.StartAsync(
            TestKernels.Spec("bad-spin", environment: new Dictionary<string, string?> { ["MESH_IDLE_SPIN_US"] = "fast" })));
        Assert.Equal(6, e.ExitCode);
        Assert.Contains(e.LogTail, l => l.Contains("MESH_IDLE_SPIN_US") && l.Contains("'fast'"));
    }

    /// <summary>User plus system CPU time of a process, from /proc (clock ticks of 1/100 s on Linux).</summary>
    private static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // After "pid (comm) ": field 3 is index 0, so utime (14) and stime (15) are 11 and 12.
        return (long.Parse(fields[11]) + long.Parse(fields[12])) / 100.0;
    }

    /// <summary>A result, a handler error, a rejection, a wait timeout (task cancelled) and an inline endpoint.</summary>
    private static async Task AllCallOutcomesAsync(Client client)
    {
        Assert.Equal(7.0, await client.CallAsync<double>("add", 3.0, 4.0));
        var payload = Enumerable.Range(0, 100_000).Select(i => i * 0.5).ToArray();
        Assert.Equal(payload, await client.CallAsync<double[]>("echo", Arguments.Of(payload)));
        var failed = await Assert.ThrowsAsync<RemoteTaskException>(() => client.CallAsync("fail", Arguments.Of("on purpose")));
        Assert.Contains("on purpose", failed.Message);
        var unknown = await Assert.ThrowsAsync<RemoteTaskException>(() => client.CallAsync("no_such_endpoint", Arguments.Of()));
        Assert.Equal(ErrorCode.UnknownEndpoint, unknown.Code);
        var badArgs = await Assert.ThrowsAsync<RemoteTaskException>(() => client.CallAsync("add", Arguments.Of("x", 1.0)));
        Assert.Equal(ErrorCode.BadArguments, badArgs.Code);
        string taskId = MessageIds.Next();
        await Assert.ThrowsAsync<TimeoutException>(() => client.CallAsync("sleep", Arguments.Of(30.0),
            new CallOptions { TaskId = taskId, WaitTimeout = TimeSpan.FromMilliseconds(300) }));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        TaskRecord? status;
        do { status = (await client.StatusAsync([taskId]))[0]; await Task.Delay(20); }
        while (status is { State: not TaskState.Cancelled } && DateTime.UtcNow < deadline);
        Assert.True(status is null or { State: TaskState.Cancelled }, $"the timed-out task should be cancelled, is {status?.State}");
        Assert.Equal("inline", await client.CallAsync<string>("echo_inline", "inline"));
        for (int i = 0; i < 50; i++) Assert.Equal(i + 1.0, await client.CallAsync<double>("add", (double)i, 1.0));
    }
}
