namespace OgClews.Runner;

/// <summary>
/// A coupled-run scenario: the energy model's data, the macro model's parameters and the coupling
/// settings. The built-in scenarios use the embedded demo data (models/energy/demo).
/// </summary>
public sealed record Scenario
{
    /// <summary>The scenario's name (used in reports and run folders).</summary>
    public required string Name { get; init; }

    /// <summary>One line saying what the scenario is.</summary>
    public required string Description { get; init; }

    /// <summary>
    /// The energy model's main data file. The coupling replaces its <c>SpecifiedAnnualDemand</c> (and
    /// <c>DiscountRate</c>) every iteration; its demand path is the reference the macro GDP path scales.
    /// </summary>
    public required string BaseDataFile { get; init; }

    /// <summary>More data files passed to every solve after the base data (e.g. a carbon price).</summary>
    public IReadOnlyList<string> ExtraDataFiles { get; init; } = [];

    /// <summary>Parameters of the OG macro model (OG-Core names); empty for the model's defaults (S = 80).</summary>
    public IReadOnlyDictionary<string, object?> MacroParameters { get; init; } = new Dictionary<string, object?>();

    /// <summary>Income elasticity of final demand per demand fuel.</summary>
    public IReadOnlyDictionary<string, double> Elasticities { get; init; } = new Dictionary<string, double>
    {
        ["ELC"] = 0.8,
        ["IHT"] = 0.6,
        ["TRA"] = 0.7,
    };

    /// <summary>
    /// Whether the energy model's discount rate follows the macro interest rate (mean over the model
    /// years, plus a premium calibrated so the baseline keeps the data's rate).
    /// </summary>
    public bool CoupleDiscountRate { get; init; } = true;

    /// <summary>The names of the built-in scenarios.</summary>
    public static IReadOnlyList<string> BuiltInNames { get; } = ["demo", "carbon"];

    /// <summary>A built-in scenario on the embedded demo data.</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the known ones.</exception>
    public static Scenario BuiltIn(string name, InstallLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        string data = Path.Combine(layout.DemoDataFolder, "data.dat");
        return name switch
        {
            "demo" => new Scenario
            {
                Name = "demo",
                Description = "Atlantis 2025-2050, no carbon price, built-in OG model (S = 80)",
                BaseDataFile = data,
            },
            "carbon" => new Scenario
            {
                Name = "carbon",
                Description = "Atlantis 2025-2050 with a carbon price rising to 145 $/t, revenue recycled lump sum",
                BaseDataFile = data,
                ExtraDataFiles = [Path.Combine(layout.DemoDataFolder, "carbon_price.dat")],
            },
            _ => throw new ArgumentException($"unknown scenario '{name}': the built-in scenarios are {string.Join(", ", BuiltInNames)}", nameof(name)),
        };
    }

    /// <summary>This scenario with macro parameters overridden (e.g. a shorter life-cycle for tests).</summary>
    public Scenario WithMacro(IReadOnlyDictionary<string, object?> overrides)
    {
        var merged = new Dictionary<string, object?>(MacroParameters);
        foreach (var (k, v) in overrides) merged[k] = v;
        return this with { MacroParameters = merged };
    }
}
