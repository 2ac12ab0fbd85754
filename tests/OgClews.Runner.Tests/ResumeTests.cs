using System.Text.Json;

namespace OgClews.Runner.Tests;

/// <summary>The ogclews process killed at a random iteration, then resumed: the same result bit for bit.</summary>
public class ResumeTests
{
    private static string[] Args(string folder, params string[] more) =>
        ["converge", "--method", "damped", "--macro-S", "40", "--out", folder, "--quiet", .. more];

    [Fact]
    public async Task A_killed_run_resumed_gives_the_uninterrupted_result_bit_for_bit_without_recomputing_an_iteration()
    {
        string reference = Runs.NewFolder("reference");
        var (code, stdout, stderr) = await Runs.RunCliAsync(Args(reference));
        Assert.True(code == 0, $"reference run failed ({code}): {stdout}{stderr}");
        int total = IterationRows(reference);
        Assert.True(total >= 6, $"the damped run took only {total} iterations");

        // Kill at a random iteration boundary or inside an iteration, never after the last.
        int killAfter = Random.Shared.Next(1, total - 2);
        string folder = Runs.NewFolder("killed");
        using (var victim = Runs.StartCli(Args(folder)))
        {
            _ = victim.StandardOutput.ReadToEndAsync();
            _ = victim.StandardError.ReadToEndAsync();
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (IterationRows(folder) < killAfter && !victim.HasExited && DateTime.UtcNow < deadline) await Task.Delay(20);
            Assert.False(victim.HasExited, "the run ended before it could be killed");
            victim.Kill(entireProcessTree: false); // SIGKILL; the kernels notice their parent is gone
            await victim.WaitForExitAsync();
        }
        // Completed = checkpointed (the CSV row follows the checkpoint, so it can lag by one).
        int completed = Directory.GetFiles(Path.Combine(folder, "checkpoints"), "iter-*.json").Length;
        Assert.InRange(completed, killAfter, total - 1);
        Assert.False(File.Exists(Path.Combine(folder, "run.json")));

        (code, stdout, stderr) = await Runs.RunCliAsync(Args(folder, "--resume"));
        Assert.True(code == 0, $"resumed run failed ({code}): {stdout}{stderr}");

        using var a = JsonDocument.Parse(File.ReadAllText(Path.Combine(reference, "run.json")));
        using var b = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "run.json")));
        Assert.Equal(total, b.RootElement.GetProperty("iterations").GetInt32());
        // Only the iterations that had not completed were evaluated again.
        Assert.Equal(total - completed, b.RootElement.GetProperty("evaluations_this_process").GetInt32());
        Assert.Equal(completed - 1, b.RootElement.GetProperty("resumed_from_iteration").GetInt32());
        Assert.Equal(a.RootElement.GetProperty("residual").GetDouble(), b.RootElement.GetProperty("residual").GetDouble());
        // Every number of the final paths and every iteration's residual, bit for bit.
        Assert.Equal(File.ReadAllText(Path.Combine(reference, "paths.csv")), File.ReadAllText(Path.Combine(folder, "paths.csv")));
        Assert.Equal(Residuals(reference), Residuals(folder));
        Assert.Equal(File.ReadAllText(Path.Combine(reference, "energy", "NewCapacity.csv")), File.ReadAllText(Path.Combine(folder, "energy", "NewCapacity.csv")));
    }

    private static int IterationRows(string folder)
    {
        string csv = Path.Combine(folder, "iterations.csv");
        if (!File.Exists(csv)) return 0;
        try
        {
            using var s = new FileStream(csv, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var r = new StreamReader(s);
            return Math.Max(0, r.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length - 1);
        }
        catch (IOException) { return 0; }
    }

    private static string[] Residuals(string folder) =>
        File.ReadAllLines(Path.Combine(folder, "iterations.csv")).Skip(1).Select(l => string.Join(',', l.Split(',')[..5])).ToArray();
}
