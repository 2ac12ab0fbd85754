using System.Diagnostics;
using Mesh.Client;
using Mesh.Client.Managing;
using OgClews.Energy.Tests;

namespace Mesh.Benchmarks;

/// <summary>
/// Ten successive demand changes on the demo energy model: the glpsol command line (a process and
/// a full model translation per run), the kernel's cold solve (translation per call, no process),
/// and the kernel's warm re-solve (model loaded once, row bounds changed, basis reused).
/// </summary>
internal static class EnergySolves
{
    public static async Task<(double Cli, double Cold, double Warm)> MeasureAsync(int changes)
    {
        var dir = Directory.CreateTempSubdirectory("mesh-energy-bench").FullName;
        var scales = Enumerable.Range(1, changes).Select(i => 1.0 + 0.01 * i).ToArray();
        var dataFiles = scales.Select(s => EnergyModel.ScaledData(dir, s)).ToArray();

        var cli = new List<double>();
        foreach (var data in dataFiles)
        {
            var sw = Stopwatch.StartNew();
            EnergyModel.GlpsolObjective(dir, data);
            cli.Add(sw.Elapsed.TotalMilliseconds);
        }

        await using var manager = new KernelManager();
        var client = (await manager.StartAsync(EnergyModel.Spec("energy-bench"))).Client;
        var cold = new List<double>();
        foreach (var data in dataFiles)
        {
            var sw = Stopwatch.StartNew();
            await client.CallAsync("solve", Arguments.None.With("model", EnergyModel.Model).With("data", new object?[] { data })
                .With("options", new Dictionary<string, object?> { ["msg_level"] = "off" }));
            cold.Add(sw.Elapsed.TotalMilliseconds);
        }

        var loaded = await client.CallAsync<Dictionary<string, object?>>("load",
            Arguments.None.With("model", EnergyModel.Model).With("data", new object?[] { EnergyModel.DemoData }));
        long handle = (long)loaded["handle"]!;
        await client.CallAsync("solve_handle", Arguments.Of(handle));
        var warm = new List<double>();
        foreach (var scale in scales)
        {
            var (rows, values) = EnergyModel.DemandRows(scale);
            var sw = Stopwatch.StartNew();
            await client.CallAsync("set_row_bounds", Arguments.Of(handle, (object)rows, values));
            await client.CallAsync("solve_handle", Arguments.Of(handle).With("warm", true));
            warm.Add(sw.Elapsed.TotalMilliseconds);
        }
        await client.CallAsync("release", Arguments.Of(handle));
        return (Median(cli), Median(cold), Median(warm));
    }

    private static double Median(List<double> v)
    {
        v.Sort();
        return v[v.Count / 2];
    }
}
