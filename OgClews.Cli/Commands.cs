using System.Globalization;
using Mesh;
using Mesh.Client.Managing;
using OgClews.Coupling;
using OgClews.Coupling.Orchestration;
using OgClews.Runner;

namespace OgClews.Cli;

/// <summary>The commands' bodies; exit codes: 0 converged/ok, 1 not converged, 2 bad input, 3 a kernel or model failure, 130 interrupted.</summary>
internal static class Commands
{
    public static async Task<int> ConvergeAsync(CoupledRunOptions options, bool quiet, CancellationToken ct)
    {
        try
        {
            var result = await CoupledRun.RunAsync(options, new ConsoleObserver(quiet), ct);
            var c = result.Convergence;
            var inv = CultureInfo.InvariantCulture;
            Console.WriteLine(string.Create(inv, $"{c.Status} after {c.Iterations} iterations: residual {c.Residual:E2} (tolerance {options.Tolerance:E0}), {result.OverheadFraction:P2} of the loop outside the kernels"));
            Console.WriteLine(string.Create(inv, $"GDP 2050: {result.Baseline.Gdp[^1]:F4} baseline -> {result.Final.GdpOut[^1]:F4} coupled; final energy 2050: {result.Baseline.FinalEnergy[^1]:F1} -> {result.Final.FinalEnergy[^1]:F1} PJ"));
            Console.WriteLine($"outputs: {result.OutputFolder}");
            if (File.Exists(Path.Combine(result.OutputFolder, "report.html"))) Console.WriteLine($"report:  {Path.Combine(result.OutputFolder, "report.html")}");
            return c.Status switch
            {
                ConvergenceStatus.Converged => 0,
                ConvergenceStatus.Cancelled => 130,
                _ => 1,
            };
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Console.Error.WriteLine("interrupted; continue with --resume");
            return 130;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or InvalidDataException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is CouplingException or MeshException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 3;
        }
    }

    public static async Task<int> KernelsAsync(CancellationToken ct)
    {
        try
        {
            var layout = InstallLayout.Find();
            await using var kernels = await OgClewsKernels.StartAsync(layout, ct: ct);
            foreach (string id in new[] { OgClewsKernels.Energy, OgClewsKernels.Etl, OgClewsKernels.Macro })
            {
                KernelHandle k = kernels[id];
                var health = await k.Client.HealthAsync(ct);
                var info = await k.Client.KernelInfoAsync(ct);
                Console.WriteLine($"{id,-7} pid {k.Pid,-7} ready in {k.StartupTime.TotalMilliseconds,6:F0} ms  health {health}");
                Console.WriteLine($"        {info.GetValueOrDefault("implementation")} {info.GetValueOrDefault("implementation_version")}, protocol {info.GetValueOrDefault("protocol_version")}; log {k.LogFile}");
                if (info.GetValueOrDefault("endpoints") is IEnumerable<object?> endpoints)
                    Console.WriteLine($"        endpoints: {string.Join(", ", endpoints.Select(Describe))}");
            }
            return 0;
        }
        catch (Exception e) when (e is InvalidOperationException or MeshException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 3;
        }
    }

    private static string Describe(object? endpoint) => endpoint switch
    {
        Dictionary<string, object?> d => d.GetValueOrDefault("name")?.ToString() ?? "?",
        _ => endpoint?.ToString() ?? "?",
    };

    private sealed class ConsoleObserver(bool quiet) : ICoupledRunObserver
    {
        public void Log(string line)
        {
            if (!quiet) Console.WriteLine(line);
        }

        public void IterationCompleted(IterationRecord record) { /* the log line says it */ }
    }
}
