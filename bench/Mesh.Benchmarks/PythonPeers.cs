using System.Text.Json;

namespace Mesh.Benchmarks;

/// <summary>
/// The cases measured by Python scripts in bench/peers: the Python Mesh client, and the peers
/// (pyzmq + msgpack, RPyC, Jupyter, Dask). Each runs in its own process; the client in every
/// one of them is Python.
/// </summary>
internal static class PythonPeers
{
    public const string Python = "/usr/bin/python3";

    public static string Script(string name) => Path.Combine(Paths.Root, "bench", "peers", name);

    public static async Task<List<Row>> RunAsync(string script, string server, IEnumerable<string> args, Plan plan)
    {
        var rows = new List<Row>();
        await Child.RunAsync(Python, [Script(script), .. args], plan, line =>
        {
            var r = Child.ParseResult(line);
            var section = r.Section == "profile" ? Section.Profile
                : r.Case.Contains("start-to-ready", StringComparison.Ordinal) ? Section.Startup : Section.Call;
            rows.Add(new Row(section, r.Case, "Python", server,
                r.Payload, r.Iterations, r.P50, r.P99, r.CallsPerS,
                string.Join("; ", new[] { r.Version is null ? null : $"version {r.Version}", r.Note }.Where(x => x is not null)), r.Transport));
        });
        return rows;
    }

    /// <summary>The Python Mesh client against a kernel started with <paramref name="argv"/>.</summary>
    public static Task<List<Row>> MeshClientAsync(string label, string[] argv, bool proxy, bool profile, Plan plan) =>
        RunAsync("mesh_client_bench.py", label,
            ["--label", label, "--argv", JsonSerializer.Serialize(argv), .. proxy ? new[] { "--proxy" } : [],
             .. profile ? new[] { "--profile" } : [], .. plan.PythonArgs()], plan);
}
