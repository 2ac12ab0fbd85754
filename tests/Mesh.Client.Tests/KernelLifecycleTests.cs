using System.Diagnostics;
using Mesh.Client.Managing;
using Mesh.Protocol;

namespace Mesh.Client.Tests;

using Client = Mesh.Client.Client;

/// <summary>Starting, losing, restarting and stopping real kernel processes.</summary>
public class KernelLifecycleTests
{
    [Fact]
    public async Task A_kernel_killed_mid_task_fails_the_call_at_once_and_is_restarted()
    {
        await using var manager = new KernelManager();
        var kernel = await manager.StartAsync(TestKernels.Spec("killed"));
        var restarted = new TaskCompletionSource();
        kernel.Restarted += (_, _) => restarted.TrySetResult();
        int firstPid = kernel.Pid;
        var call = kernel.Client.CallAsync<double>("sleep", 30.0);
        await Task.Delay(300);
        var sw = Stopwatch.StartNew();
        TestKernels.Kill(firstPid, 9);
        var e = await Assert.ThrowsAsync<KernelLostException>(() => call);
        // Within two heartbeat intervals (2 × 500 ms).
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(1), $"the call failed only after {sw.Elapsed}");
        Assert.Equal("killed", e.KernelId);
        Assert.Equal(9, e.Signal);
        Assert.Contains("signal 9", e.Message);

        await restarted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(KernelState.Ready, kernel.State);
        Assert.Equal(1, kernel.RestartCount);
        Assert.NotEqual(firstPid, kernel.Pid);
        Assert.Equal(5.0, await kernel.Client.CallAsync<double>("add", 2.0, 3.0));
    }

    [Fact]
    public async Task A_kernel_that_crashes_at_startup_reports_its_exit_code_and_output()
    {
        await using var manager = new KernelManager();
        var sw = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<KernelStartupException>(() => manager.StartAsync(TestKernels.Spec("crasher", fault: "crash-at-startup", startupTimeout: TimeSpan.FromSeconds(20))));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20));
        Assert.Equal(17, e.ExitCode);
        Assert.Contains(e.LogTail, l => l.Contains("failing at startup on purpose"));
        Assert.Contains("exit code 17", e.Message);
        Assert.Contains("Mesh.TestKernel.dll", e.CommandLine);
        Assert.True(File.Exists(e.LogFile));
        Assert.Empty(manager.Kernels);
    }

    [Fact]
    public async Task A_kernel_that_never_registers_is_killed_at_the_startup_timeout()
    {
        await using var manager = new KernelManager();
        var sw = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<KernelStartupException>(() => manager.StartAsync(TestKernels.Spec("hanger", fault: "hang-at-startup", startupTimeout: TimeSpan.FromSeconds(2))));
        Assert.InRange(sw.Elapsed.TotalSeconds, 1.9, 10);
        Assert.Contains("startup timeout", e.Message);
        Assert.Contains(e.LogTail, l => l.Contains("hanging at startup on purpose"));
    }

    [Fact]
    public async Task A_missing_kernel_assembly_is_a_clear_startup_error()
    {
        await using var manager = new KernelManager();
        var spec = TestKernels.Spec("missing") with { Launcher = new Launching.DotNetLauncher("/nonexistent/Kernel.dll") };
        var e = await Assert.ThrowsAsync<KernelStartupException>(() => manager.StartAsync(spec));
        Assert.Contains("/nonexistent/Kernel.dll", e.Message);
    }

    [Fact]
    public async Task Disposing_the_manager_leaves_no_kernel_process_alive()
    {
        int[] pids;
        await using (var manager = new KernelManager())
        {
            var kernels = await manager.StartAllAsync([TestKernels.Spec("a"), TestKernels.Spec("b"), TestKernels.Spec("c")]);
            pids = kernels.Select(k => k.Pid).ToArray();
            Assert.All(pids, p => Assert.True(TestKernels.ProcessExists(p)));
            _ = kernels[0].Client.CallAsync<double>("sleep", 60.0); // a busy kernel must stop too
        }
        Assert.All(pids, p => Assert.False(TestKernels.ProcessExists(p), $"kernel process {p} is still alive (or a zombie)"));
    }

    [Fact]
    public async Task A_silent_kernel_is_declared_lost_by_heartbeat_and_replaced()
    {
        await using var manager = new KernelManager();
        var kernel = await manager.StartAsync(TestKernels.Spec("stopped"));
        var restarted = new TaskCompletionSource();
        kernel.Restarted += (_, _) => restarted.TrySetResult();
        int pid = kernel.Pid;
        var call = kernel.Client.CallAsync<double>("sleep", 30.0);
        TestKernels.Kill(pid, 19); // SIGSTOP: alive but silent
        var sw = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<KernelLostException>(() => call);
        Assert.Contains("health", e.Message);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(3), $"lost detected after {sw.Elapsed}");
        await restarted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotEqual(pid, kernel.Pid);
        Assert.False(TestKernels.ProcessExists(pid));
        Assert.Equal(1.5, await kernel.Client.CallAsync<double>("add", 1.0, 0.5));
    }

    [Fact]
    public async Task Restarts_stop_at_the_policy_limit()
    {
        await using var manager = new KernelManager();
        var kernel = await manager.StartAsync(TestKernels.Spec("fragile", restart: RestartPolicy.Never));
        var lost = new TaskCompletionSource<KernelLostException>();
        kernel.Lost += (_, e) => lost.TrySetResult(e);
        TestKernels.Kill(kernel.Pid, 9);
        await lost.Task.WaitAsync(TimeSpan.FromSeconds(5));
        for (int i = 0; i < 100 && kernel.State != KernelState.Failed; i++) await Task.Delay(20);
        Assert.Equal(KernelState.Failed, kernel.State);
        await Assert.ThrowsAsync<KernelLostException>(() => kernel.Client.CallAsync<double>("add", 1.0, 1.0));
    }

    [Fact]
    public async Task Health_is_answered_while_every_worker_is_busy()
    {
        await using var manager = new KernelManager();
        var kernel = await manager.StartAsync(TestKernels.Spec("busy", maxConcurrency: 1));
        var spin = kernel.Client.CallAsync<long>("spin", 2.0);
        var queued = kernel.Client.CallAsync<long>("spin", 0.1);
        await Task.Delay(200);
        for (int i = 0; i < 5; i++)
        {
            var sw = Stopwatch.StartNew();
            var health = await kernel.Client.HealthAsync();
            Assert.True(sw.Elapsed < TimeSpan.FromMilliseconds(500), $"health took {sw.Elapsed}");
            Assert.Equal(1, health.Running);
            Assert.Equal(1, health.Queued);
        }
        await Task.WhenAll(spin, queued);
    }

    [Fact]
    public async Task A_second_client_connects_through_the_client_connection_file()
    {
        await using var manager = new KernelManager();
        var kernel = await manager.StartAsync(TestKernels.Spec("shared"));
        Assert.NotNull(kernel.ClientConnectionFile);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(kernel.ClientConnectionFile!));
        using var other = Client.Connect(kernel.ClientConnectionFile!);
        Assert.Equal(7.0, await other.CallAsync<double>("add", 3.0, 4.0));
    }

    [Fact]
    public async Task Shutdown_request_drains_then_the_process_exits_cleanly()
    {
        await using var manager = new KernelManager();
        var kernel = await manager.StartAsync(TestKernels.Spec("drain", maxConcurrency: 1));
        var running = kernel.Client.CallAsync<double>("sleep", 0.3);
        await Task.Delay(100);
        var queued = await kernel.Client.SubmitAsync("sleep", 5.0);
        await kernel.Client.ShutdownAsync(TimeSpan.FromSeconds(3));
        // While the running task drains (the kernel exits soon after it ends, so ask first):
        // the queued task was cancelled at once, and new work is refused.
        var e = await Assert.ThrowsAsync<RemoteTaskException>(() => queued.GetAsync());
        Assert.Equal(ErrorCode.TaskCancelled, e.Code);
        var refused = await Assert.ThrowsAsync<RemoteTaskException>(() => kernel.Client.CallAsync<double>("add", 1.0, 1.0));
        Assert.Equal(ErrorCode.KernelShuttingDown, refused.Code);
        Assert.Equal(0.3, await running); // finished within the grace period
    }
}
