// ogclews: one command to a converged, reproducible OG-CLEWS run.
using System.CommandLine;
using System.Globalization;
using Mesh;
using OgClews.Cli;
using OgClews.Coupling;
using OgClews.Coupling.Orchestration;
using OgClews.Runner;

var scenario = new Option<string>("--scenario") { Description = $"built-in scenario: {string.Join(", ", Scenario.BuiltInNames)}", DefaultValueFactory = _ => "demo" };
var method = new Option<string>("--method") { Description = "anderson (default), aitken or damped", DefaultValueFactory = _ => "anderson" };
method.AcceptOnlyFromAmong([.. CoupledRunOptions.Methods]);
var tol = new Option<double>("--tol") { Description = "relative L-infinity residual at which the run has converged", DefaultValueFactory = _ => 1e-6 };
var maxIter = new Option<int>("--max-iter") { Description = "iteration limit", DefaultValueFactory = _ => 60 };
var alpha = new Option<double>("--alpha") { Description = "relaxation weight of the damped method (and the others' fallback step)", DefaultValueFactory = _ => 0.5 };
var depth = new Option<int>("--depth") { Description = "Anderson history depth", DefaultValueFactory = _ => 5 };
var output = new Option<string>("--out") { Description = "run folder (default runs/<scenario>-<method>)" };
var resume = new Option<bool>("--resume") { Description = "continue the run in --out from its last complete iteration" };
var overwrite = new Option<bool>("--overwrite") { Description = "start afresh in an --out folder that holds an earlier run (deletes that run's files)" };
var macroS = new Option<int?>("--macro-S") { Description = "macro model adult periods S (default 80: one period per year)" };
var quiet = new Option<bool>("--quiet") { Description = "print only the summary" };

var converge = new Command("converge", "run the coupled energy-economy model to its joint fixed point")
{
    scenario, method, tol, maxIter, alpha, depth, output, resume, overwrite, macroS, quiet,
};
converge.SetAction(async (parse, ct) =>
{
    var overrides = new Dictionary<string, object?>();
    if (parse.GetValue(macroS) is { } s) overrides["S"] = s;
    string name = parse.GetValue(scenario)!, m = parse.GetValue(method)!;
    var options = new CoupledRunOptions
    {
        Scenario = name,
        Method = m,
        Tolerance = parse.GetValue(tol),
        MaxIterations = parse.GetValue(maxIter),
        Alpha = parse.GetValue(alpha),
        AndersonDepth = parse.GetValue(depth),
        OutputFolder = Path.GetFullPath(parse.GetValue(output) ?? Path.Combine("runs", $"{name}-{m}")),
        Resume = parse.GetValue(resume),
        Overwrite = parse.GetValue(overwrite),
        MacroOverrides = overrides,
    };
    return await Commands.ConvergeAsync(options, parse.GetValue(quiet), ct);
});

var kernels = new Command("kernels", "start the three kernels, check their health and print what they serve");
kernels.SetAction(async (_, ct) => await Commands.KernelsAsync(ct));

var root = new RootCommand("OG-CLEWS: the coupled CLEWS energy model (GLPK), CLEWS ETL and OG macro model, iterated to a joint fixed point")
{
    converge, kernels,
};
return await root.Parse(args).InvokeAsync();
