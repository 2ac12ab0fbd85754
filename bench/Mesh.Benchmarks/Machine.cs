using System.Diagnostics;
using System.Text;
using Mesh.Transport;

namespace Mesh.Benchmarks;

/// <summary>What the figures were measured on, written next to them.</summary>
internal static class Machine
{
    public static string Cpu() =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";

    public static string Memory() => File.ReadLines("/proc/meminfo").FirstOrDefault()?.Split(':', 2)[1].Trim() ?? "";

    public static string Os()
    {
        string pretty = File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?.Split('=', 2)[1].Trim('"') ?? ""
            : "";
        return $"{pretty}, Linux {Environment.OSVersion.Version}";
    }

    public static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "";

    public static string OneLine() => $"{Cpu()}, {Environment.ProcessorCount} cores, {Memory()} RAM, {Os()}";

    /// <summary>Versions of everything measured, the Python ones read by the interpreter that runs the peers.</summary>
    public static string Describe(DateTime runUtc, Plan plan, string loadBefore, string loadAfter, TimeSpan elapsed)
    {
        var (zmqMajor, zmqMinor, zmqPatch) = ZmqContext.Version;
        var sb = new StringBuilder();
        sb.AppendLine("# Benchmark machine").AppendLine();
        string rounds = plan.Rounds > 1 ? $"; round trips are the median of {plan.Rounds} rounds run in turn" : "";
        sb.AppendLine($"Run of {runUtc:yyyy-MM-dd HH:mm} UTC ({plan.Mode} mode), {elapsed.TotalSeconds:0} s of measurement{rounds}.").AppendLine();
        sb.AppendLine("| what | value |").AppendLine("|---|---|");
        sb.AppendLine($"| CPU | {Cpu()} |");
        sb.AppendLine($"| cores (as the runtime sees them) | {Environment.ProcessorCount} |");
        sb.AppendLine($"| memory | {Memory()} |");
        sb.AppendLine($"| OS | {Os()} |");
        sb.AppendLine($"| load average (1, 5, 15 min) before / after | {loadBefore} / {loadAfter} |");
        sb.AppendLine($"| .NET runtime | {Environment.Version} |");
        sb.AppendLine($"| .NET SDK | {Command("dotnet", "--version")} |");
        sb.AppendLine($"| libzmq (system: C kernels and floor, .NET health ports; .NET submit/get use Mesh's own ZMTP) | {zmqMajor}.{zmqMinor}.{zmqPatch} |");
        foreach (var line in PythonVersions()) sb.AppendLine(line);
        sb.AppendLine($"| gcc (C floor) | {Command("gcc", "-dumpfullversion")} |");
        return sb.ToString();
    }

    static IEnumerable<string> PythonVersions()
    {
        const string probe = """
import importlib, platform
print("| Python (/usr/bin/python3) | %s |" % platform.python_version())
for label, module in [("pyzmq", "zmq"), ("libzmq (as pyzmq sees it)", None), ("msgpack", "msgpack"), ("numpy", "numpy"),
                      ("rpyc", "rpyc"), ("jupyter_client", "jupyter_client"), ("ipykernel", "ipykernel"), ("distributed", "distributed")]:
    try:
        if module is None:
            import zmq; v = zmq.zmq_version()
        else:
            m = importlib.import_module(module); v = getattr(m, "__version__", None) or ".".join(map(str, m.version))
    except Exception as e:
        v = "not installed (%s)" % type(e).__name__
    print("| %s | %s |" % (label, v))
""";
        return Command(PythonPeers.Python, "-c", probe).Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    static string Command(string file, params string[] args)
    {
        try
        {
            var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = Process.Start(psi)!;
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return output.Trim();
        }
        catch (Exception e)
        {
            return $"unavailable ({e.Message})";
        }
    }
}
