using System.Diagnostics;
using System.Text.Json;

namespace Mesh.Benchmarks;

/// <summary>Runs a bench program in a child process and reads its RESULT lines.</summary>
internal static class Child
{
    /// <summary>
    /// Context switches (voluntary and involuntary) of every live thread of a process so far:
    /// each is a thread that went to sleep or was pre-empted, the unit in which wake-up costs come.
    /// </summary>
    public static long ContextSwitches(int pid) => ContextSwitchesByThread(pid).Values.Sum(v => v.Switches);

    /// <summary>The same per live thread: thread id → (name, switches).</summary>
    public static Dictionary<int, (string Name, long Switches)> ContextSwitchesByThread(int pid)
    {
        var result = new Dictionary<int, (string, long)>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    long total = 0;
                    string name = File.ReadAllText(Path.Combine(task, "comm")).Trim();
                    foreach (var line in File.ReadLines(Path.Combine(task, "status")))
                        if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal) || line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                            total += long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim());
                    result[int.Parse(Path.GetFileName(task))] = (name, total);
                }
                catch (IOException) { /* the thread ended while being read */ }
            }
        }
        catch (DirectoryNotFoundException) { /* the process ended */ }
        return result;
    }

    /// <summary>Switches per call of the busiest threads between two snapshots, grouped by thread name.</summary>
    public static string BusiestThreads(Dictionary<int, (string Name, long Switches)> before, Dictionary<int, (string Name, long Switches)> after, int calls, int top = 4) =>
        string.Join(", ", after
            .Select(kv => (kv.Value.Name, Delta: kv.Value.Switches - (before.TryGetValue(kv.Key, out var b) ? b.Switches : 0)))
            .GroupBy(t => t.Name).Select(g => (Name: g.Key, Threads: g.Count(x => x.Delta > 0), Delta: g.Sum(x => x.Delta)))
            .Where(t => t.Delta > 0).OrderByDescending(t => t.Delta).Take(top)
            .Select(t => $"'{t.Name}'{(t.Threads > 1 ? $" ×{t.Threads}" : "")} {(double)t.Delta / calls:0.0}"));

    /// <summary>The exit code bench/peers/benchlib.py uses when a peer package is missing.</summary>
    public const int MissingPackage = 3;

    public readonly record struct Result(string Case, long Payload, int Iterations, double P50, double P99, double CallsPerS,
        string? Version, string? Section, string? Note, string Transport);

    public static Result ParseResult(string line)
    {
        using var doc = JsonDocument.Parse(line["RESULT ".Length..]);
        var e = doc.RootElement;
        return new Result(
            e.TryGetProperty("case", out var c) ? c.GetString()! : "",
            e.GetProperty("payload").GetInt64(), e.GetProperty("iterations").GetInt32(),
            e.GetProperty("p50_us").GetDouble(), e.GetProperty("p99_us").GetDouble(), e.GetProperty("calls_per_s").GetDouble(),
            e.TryGetProperty("version", out var v) ? v.GetString() : null,
            e.TryGetProperty("section", out var s) ? s.GetString() : null,
            e.TryGetProperty("note", out var n) ? n.GetString() : null,
            e.TryGetProperty("transport", out var t) ? t.GetString()! : "tcp");
    }

    /// <summary>
    /// Runs <paramref name="file"/>, hands each RESULT line to <paramref name="onResult"/>, passes
    /// its other output through to stderr, and throws if it fails or outlives its time limit (a
    /// hung peer must not hang `make bench`).
    /// </summary>
    public static async Task RunAsync(string file, IEnumerable<string> args, Plan plan, Action<string> onResult,
        IDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        var stderr = new List<string>();
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stderr) stderr.Add(e.Data);
            Console.Error.WriteLine("    | " + e.Data);
        };
        p.BeginErrorReadLine();
        var reading = Task.Run(async () =>
        {
            while (await p.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line.StartsWith("RESULT ", StringComparison.Ordinal)) onResult(line);
                else Console.Error.WriteLine("    | " + line);
            }
        });
        using var limit = new CancellationTokenSource(plan.Smoke ? TimeSpan.FromSeconds(120) : TimeSpan.FromMinutes(5));
        try
        {
            await p.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(file)} {string.Join(' ', args)} did not finish within its time limit");
        }
        await reading;
        p.WaitForExit(); // drains the stderr reader
        if (p.ExitCode != 0)
        {
            string tail;
            lock (stderr) tail = string.Join("\n", stderr.TakeLast(15));
            throw new InvalidOperationException(p.ExitCode == MissingPackage
                ? tail.Split('\n').LastOrDefault(l => l.StartsWith("missing Debian package", StringComparison.Ordinal)) ?? tail
                : $"{Path.GetFileName(file)} {string.Join(' ', args)} exited with code {p.ExitCode}:\n{tail}");
        }
    }
}
