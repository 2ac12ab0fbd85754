namespace Mesh.Benchmarks;

/// <summary>
/// How much CPU the .NET JIT's background thread (".NET Tiered Compilation Worker", shown as
/// ".NET Tiered Com" in /proc) of some processes has used so far, so that a benchmark can wait
/// until optimised code is in place in the client and the server alike. /proc counts CPU time in
/// clock ticks (10 ms), so a window of 250 ms without a tick means the compiler used less than 4 %
/// of a core in it.
/// </summary>
internal static class JitActivity
{
    public static readonly TimeSpan Window = TimeSpan.FromMilliseconds(250);

    /// <summary>(pid, tid) → user + system clock ticks of every live tiered-compilation thread.</summary>
    public static Dictionary<(int Pid, int Tid), long> Snapshot(IEnumerable<int> pids)
    {
        var result = new Dictionary<(int, int), long>();
        foreach (int pid in pids)
        {
            try
            {
                foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
                {
                    try
                    {
                        if (!File.ReadAllText(Path.Combine(task, "comm")).StartsWith(".NET Tiered", StringComparison.Ordinal)) continue;
                        // The command name in field 2 may hold spaces: fields are counted after its ')'.
                        string stat = File.ReadAllText(Path.Combine(task, "stat"));
                        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                        result[(pid, int.Parse(Path.GetFileName(task)))] = long.Parse(fields[11]) + long.Parse(fields[12]); // utime, stime
                    }
                    catch (IOException) { /* the thread ended while being read */ }
                }
            }
            catch (DirectoryNotFoundException) { /* the process ended */ }
        }
        return result;
    }

    /// <summary>Whether no compilation thread ran between two snapshots (a thread that appeared counts as running).</summary>
    public static bool Quiet(Dictionary<(int Pid, int Tid), long> before, Dictionary<(int Pid, int Tid), long> after) =>
        after.All(kv => before.TryGetValue(kv.Key, out long ticks) && ticks == kv.Value);
}
