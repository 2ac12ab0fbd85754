using OgClews.Coupling;
using OgClews.Coupling.Orchestration;
using OgClews.Runner;

namespace OgClews.Runner.Tests;

/// <summary>A kernel killed mid-iteration: restarted and the iteration retried once; killed again: a clear failure, nothing lost.</summary>
public class KernelFailureTests
{
    /// <summary>Kills the energy kernel's process when its solve of <paramref name="iteration"/> is about to be sent.</summary>
    private sealed class EnergyKiller(Func<OgClewsKernels?> kernels, int iteration, int times) : ICoupledRunObserver
    {
        public int Kills;
        public List<KernelTaskEvent> Events { get; } = [];

        public void TaskChanged(KernelTaskEvent change)
        {
            lock (Events) Events.Add(change);
            if (change.Step == "energy.solve" && change.Iteration == iteration && change.State == SubTaskState.Queued && Kills < times)
            {
                Kills++;
                // Killed from outside, as an OOM killer would, while the iteration's solve is being sent:
                // at once rather than after a delay, so that the solve can never finish first on a busy machine.
                System.Diagnostics.Process.GetProcessById(kernels()![OgClewsKernels.Energy].Pid).Kill();
            }
        }
    }

    [Fact]
    public async Task A_kernel_killed_mid_iteration_is_restarted_and_the_iteration_retried_with_the_same_result()
    {
        var layout = InstallLayout.Find();
        string reference = Runs.NewFolder("no-kill");
        await using (var k0 = await OgClewsKernels.StartAsync(layout))
        {
            var expected = await CoupledRun.RunAsync(k0, Runs.Options("anderson", reference));
            Assert.Equal(ConvergenceStatus.Converged, expected.Convergence.Status);

            await using var kernels = await OgClewsKernels.StartAsync(layout);
            var killer = new EnergyKiller(() => kernels, iteration: 1, times: 1);
            string folder = Runs.NewFolder("killed-once");
            var result = await CoupledRun.RunAsync(kernels, Runs.Options("anderson", folder), killer);

            Assert.Equal(1, killer.Kills);
            Assert.Equal(ConvergenceStatus.Converged, result.Convergence.Status);
            Assert.Equal(1, kernels[OgClewsKernels.Energy].RestartCount);
            Assert.Contains(killer.Events, e => e.Name == "iter-0001/energy.solve" && e.State == SubTaskState.Error);
            Assert.Contains(killer.Events, e => e.Name == "iter-0001/energy.solve#2" && e.State == SubTaskState.Completed && e.Retry == 1);
            // The retry is a clean re-evaluation: the run is the same as one without the kill.
            Assert.Equal(expected.Convergence.GX, result.Convergence.GX);
            Assert.Equal(expected.Convergence.Iterations, result.Convergence.Iterations);
            Assert.Contains("was lost", File.ReadAllText(Path.Combine(folder, "ogclews.log")));
        }
    }

    [Fact]
    public async Task A_kernel_killed_again_on_the_retry_fails_the_run_naming_the_kernel_and_its_log_and_keeps_the_completed_iterations()
    {
        var layout = InstallLayout.Find();
        await using var kernels = await OgClewsKernels.StartAsync(layout);
        var killer = new EnergyKiller(() => kernels, iteration: 2, times: 2);
        string folder = Runs.NewFolder("killed-twice");
        var options = Runs.Options("damped", folder);

        var e = await Assert.ThrowsAsync<CouplingException>(() => CoupledRun.RunAsync(kernels, options, killer));
        Assert.Equal(2, killer.Kills);
        Assert.Contains("iteration 2 failed twice", e.Message);
        Assert.Contains("kernel 'energy'", e.Message);
        Assert.Contains(kernels[OgClewsKernels.Energy].LogFile, e.Message);

        // Iterations 0 and 1 stay checkpointed and listed; a resume continues from them.
        Assert.Equal(2, Directory.GetFiles(Path.Combine(folder, "checkpoints"), "iter-*.json").Length);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(folder, "iterations.csv")).Length);
        var resumed = await CoupledRun.RunAsync(kernels, options with { Resume = true });
        Assert.Equal(ConvergenceStatus.Converged, resumed.Convergence.Status);
        Assert.Equal(1, resumed.Convergence.ResumedFromIteration);
    }
}
