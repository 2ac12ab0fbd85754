using System.Diagnostics;
using Mesh.Client;
using Mesh.Client.Managing;
using OgClews.Energy.Tests;

namespace Mesh.Benchmarks;

/// <summary>
/// Successive demand changes on the demo energy model: the glpsol command line (a process and
/// a full model translation per run), the kernel's cold solve (translation per call, no process),
/// and the kernel's warm re-solve (model loaded once, row bounds changed, basis reused).
/// </summary>
internal static class EnergySolves
{
    public static async Task<List<Row>> MeasureAsync(Plan plan)
    {
        int changes = plan.EnergyChanges;
        var dir = Directory.CreateTempSubdirectory("mesh-energy-bench").FullName;
        try
        {
            var scales = Enumerable.Range(1, changes).Select(i => 1.0 + 0.01 * i).ToArray();
            var dataFiles = scales.Select(s => EnergyModel.ScaledData(dir, s)).ToArray();

            var cli = new List<double>();
            foreach (var data in dataFiles)
            {
                long t0 = Stopwatch.GetTimestamp();
                EnergyModel.GlpsolObjective(dir, data);
                cli.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
            }

            await using var manager = new KernelManager();
            var client = (await manager.StartAsync(EnergyModel.Spec("energy-bench"))).Client;
            var cold = new List<double>();
            foreach (var data in dataFiles)
            {
                long t0 = Stopwatch.GetTimestamp();
                await client.CallAsync("solve", Arguments.None.With("model", EnergyModel.Model).With("data", new object?[] { data })
                    .With("options", new Dictionary<string, object?> { ["msg_level"] = "off" }));
                cold.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
            }

            var loaded = await client.CallAsync<Dictionary<string, object?>>("load",
                Arguments.None.With("model", EnergyModel.Model).With("data", new object?[] { EnergyModel.DemoData }));
            long handle = (long)loaded["handle"]!;
            await client.CallAsync("solve_handle", Arguments.Of(handle));
            var warm = new List<double>();
            foreach (var scale in scales)
            {
                var (rows, values) = EnergyModel.DemandRows(scale);
                long t0 = Stopwatch.GetTimestamp();
                await client.CallAsync("set_row_bounds", Arguments.Of(handle, (object)rows, values));
                await client.CallAsync("solve_handle", Arguments.Of(handle).With("warm", true));
                warm.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
            }
            await client.CallAsync("release", Arguments.Of(handle));
            return
            [
                Of("glpsol CLI solve (process + MathProg translation)", "shell", "glpsol", cli),
                Of("C kernel cold solve (translation per call)", ".NET", "C", cold),
                Of("C kernel warm re-solve (set_row_bounds + solve_handle)", ".NET", "C", warm),
            ];
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    static Row Of(string name, string client, string server, List<double> us)
    {
        us.Sort();
        return new Row(Section.Energy, name, client, server, 0, us.Count, us[us.Count / 2], us[^1], 1e6 / us.Average());
    }
}
