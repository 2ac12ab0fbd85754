// An example .NET kernel: a few energy-economics helpers served over Mesh.
using Mesh.Kernel;
using Mesh.Values;

var kernel = MeshKernel.CreateBuilder(args).Build();

kernel.Map("npv", (double[] cashFlows, double rate) =>
{
    double npv = 0;
    for (int t = 0; t < cashFlows.Length; t++) npv += cashFlows[t] / Math.Pow(1 + rate, t);
    return npv;
}, "net present value of yearly cash flows (year 0 undiscounted)");

kernel.Map("lcoe", (PlantCosts plant, double rate) =>
{
    // Levelised cost: annualised capital (capital recovery factor) plus fixed and variable costs, per MWh.
    double crf = rate * Math.Pow(1 + rate, plant.LifeYears) / (Math.Pow(1 + rate, plant.LifeYears) - 1);
    double mwhPerKw = 8.76 * plant.CapacityFactor;
    return (plant.CapitalPerKw * crf + plant.FixedPerKwYear) / mwhPerKw + plant.VariablePerMwh;
}, "levelised cost of electricity in $/MWh");

kernel.Map("load_duration", (double[] hourlyLoad) =>
{
    var sorted = (double[])hourlyLoad.Clone();
    Array.Sort(sorted);
    Array.Reverse(sorted);
    return new Table()
        .Add("rank", Enumerable.Range(1, sorted.Length).Select(i => (long)i).ToArray())
        .Add("load", sorted);
}, "load duration curve as a table");

kernel.Map("simulate", async (int years, IProgress<long> progress, CancellationToken ct) =>
{
    var demand = new double[years];
    demand[0] = 100;
    for (int y = 1; y < years; y++)
    {
        ct.ThrowIfCancellationRequested();
        demand[y] = demand[y - 1] * 1.02;
        progress.Report(y);
        await Task.Yield();
    }
    return demand;
}, "a toy demand projection reporting progress per year");

return await kernel.RunAsync();

/// <summary>Cost data of a power plant.</summary>
public sealed record PlantCosts(double CapitalPerKw, double FixedPerKwYear, double VariablePerMwh, double CapacityFactor, int LifeYears);
