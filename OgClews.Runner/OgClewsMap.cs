using System.Diagnostics;
using Mesh;
using Mesh.Client;
using Mesh.Protocol;
using Mesh.Proxy;
using Mesh.Values;
using OgClews.Coupling;

namespace OgClews.Runner;

/// <summary>
/// The OG-CLEWS fixed-point map G over the three kernels. x holds two yearly paths over the energy
/// model's years: the GDP index (<c>gdp</c>, the baseline's first year = 1) and the annual interest
/// rate (<c>r</c>). One evaluation runs
/// <list type="number">
/// <item><c>etl.macro_to_energy</c>: demand D′[r,f,y] = D[r,f,y]·(GDP_y/GDPref_y)^ε_f and the discount rate
/// (mean r + calibrated premium) as a GMPL data file;</item>
/// <item><c>energy.solve</c>: the energy LP, cold, on the base data without the replaced parameters plus that file;</item>
/// <item><c>etl.energy_to_macro</c>: yearly energy system cost, final energy and emissions;</item>
/// <item><c>macro</c> (a remote <c>ogmacro.Model</c> object): the transition path given the energy price
/// index p_E,t = unit cost incl. carbon payments relative to the first year, and the recycled carbon revenue;</item>
/// </list>
/// and returns the macro model's GDP index and interest rate on the energy years: G(x).
/// </summary>
/// <remarks>
/// Every step is a pure function of x (cold LP solves, no warm starts whose basis would depend on the
/// history), so a resumed run reproduces an uninterrupted one bit for bit. If a kernel dies during an
/// evaluation, the manager restarts it and the evaluation is retried once from the start.
/// </remarks>
public sealed class OgClewsMap : IFixedPointMap
{
    /// <summary>Names of the timed components (kernel compute seconds per iteration).</summary>
    public static readonly IReadOnlyList<string> ComponentNames = ["energy", "etl", "macro"];

    /// <summary>The energy results the ETL's forward pass reads (OgClews.Etl/README.md, "Forward pass").</summary>
    private static readonly string[] EnergyToMacroTables =
    [
        "Demand", "CapitalInvestment", "AnnualFixedOperatingCost", "AnnualVariableOperatingCost", "AnnualEmissions",
        "AnnualFuelImportCost", "CommodityMarginalCost",
    ];

    /// <summary>The result table this process reads itself (carbon payments).</summary>
    private const string CarbonPenaltyTable = "AnnualTechnologyEmissionsPenalty";

    private readonly OgClewsKernels _kernels;
    private readonly Scenario _scenario;
    private readonly ICoupledRunObserver _observer;
    private readonly string? _detailsFolder;
    private readonly string? _energyFolder;
    private Calibration? _calibration;
    private ProxyClient? _proxies;
    private RemoteObject? _model;
    private int _modelIncarnation = -1;
    private TaskRecord? _lastMacroRecord;
    private readonly Dictionary<string, double[]> _stepSeconds = new(StringComparer.Ordinal);

    /// <summary>Creates the map; calibrate it (<see cref="CalibrateAsync"/>) or give it a saved calibration (<see cref="UseCalibration"/>) before use.</summary>
    /// <param name="kernels">The running kernels.</param>
    /// <param name="scenario">Data and parameters.</param>
    /// <param name="observer">Receives task events and log lines; null for none.</param>
    /// <param name="detailsFolder">Where each evaluation's yearly outputs are written (<c>iter-NNNN.json</c>); null for nowhere.</param>
    /// <param name="energyFolder">
    /// Where the energy model's output files (its CSV result tables) go, replaced at every
    /// evaluation, so that it holds the last evaluated iterate's; null: nowhere, and every result
    /// table travels back instead (<see cref="MapEvaluation"/> users then find them in
    /// <see cref="Evaluation.EnergyTables"/>).
    /// </param>
    public OgClewsMap(OgClewsKernels kernels, Scenario scenario, ICoupledRunObserver? observer = null, string? detailsFolder = null, string? energyFolder = null)
    {
        _kernels = kernels;
        _scenario = scenario;
        _observer = observer ?? NullObserver.Instance;
        _detailsFolder = detailsFolder;
        _energyFolder = energyFolder is null ? null : Path.GetFullPath(energyFolder);
        if (detailsFolder is not null) Directory.CreateDirectory(detailsFolder);
    }

    /// <summary>The baseline the paths are measured against.</summary>
    /// <exception cref="InvalidOperationException">Not calibrated yet.</exception>
    public Calibration Calibration => _calibration ?? throw new InvalidOperationException("the map is not calibrated: call CalibrateAsync or UseCalibration first");

    /// <summary>Uses a calibration saved by an earlier run (resume).</summary>
    public void UseCalibration(Calibration calibration) => _calibration = calibration ?? throw new ArgumentNullException(nameof(calibration));

    /// <summary>The problem: x₀ = the baseline paths, blocks <c>gdp</c> and <c>r</c>.</summary>
    public FixedPointProblem Problem() =>
        FixedPointProblem.Concatenate([("gdp", Calibration.GdpRef), ("r", Calibration.InterestRate)], ComponentNames);

    /// <summary>The last evaluation's yearly outputs and energy result tables.</summary>
    public Evaluation? Last { get; private set; }

    /// <summary>
    /// Calibrates the map: the macro model's own paths without energy feedback (GDP index and
    /// interest rate on the energy years), the data's discount rate and the premium that keeps it
    /// at the baseline.
    /// </summary>
    public async Task<Calibration> CalibrateAsync(CancellationToken ct = default)
    {
        var scenario = _scenario;
        var data = OgClews.Etl.Gmpl.GmplDataReader.Read(scenario.BaseDataFile);
        int[] years = data.Years("the coupled run");
        var regions = data.RequireSet("REGION", "the coupled run");
        var rates = regions.Select(r => data.Value("DiscountRate", r)).Distinct().ToArray();
        if (scenario.CoupleDiscountRate && rates.Length != 1)
            throw new CouplingException($"{scenario.BaseDataFile}: the regions have different DiscountRate values ({string.Join(", ", rates)}); coupling the discount rate needs one rate (set CoupleDiscountRate = false)");

        var model = await ModelAsync(ct).ConfigureAwait(false);
        var full = ValueConverter.ConvertTo<Dictionary<string, object?>>(await model.GetAsync("full_params", ct).ConfigureAwait(false));
        int s = Convert.ToInt32(full["S"]), t = Convert.ToInt32(full["T"]);
        double eta = Convert.ToDouble(full["eta"]), pE = Convert.ToDouble(full["p_E"]);
        double yearsPerPeriod = 80.0 / s;
        if ((years[^1] - years[0]) / yearsPerPeriod >= t - 1)
            throw new CouplingException($"the macro transition (T = {t} periods of {yearsPerPeriod:g} years) does not cover the energy years {years[0]}-{years[^1]}");

        var sw = Stopwatch.StartNew();
        var warmUp = WarmReversePassAsync(years, rates[0], ct);
        var tp = await MacroAsync(model, new Dictionary<string, object?>(), -1, "calibration", 0, ct).ConfigureAwait(false);
        await warmUp.ConfigureAwait(false);
        var (gdp, r) = MacroOnYears(tp, years, yearsPerPeriod);
        double meanR = r.Average();
        var calibration = new Calibration
        {
            Years = years,
            GdpRef = gdp,
            InterestRate = r,
            DataDiscountRate = rates[0],
            DiscountRatePremium = rates[0] - meanR,
            Eta = eta,
            PriceLevel = pE,
            S = s,
            T = t,
        };
        _calibration = calibration;
        _observer.Log(FormattableString.Invariant(
            $"calibrated in {sw.Elapsed.TotalSeconds:F2} s: S = {s}, T = {t}, eta = {eta}, mean r = {meanR:P2}, data discount rate {rates[0]:P2} (premium {calibration.DiscountRatePremium:+0.0000;-0.0000})"));
        return calibration;
    }

    /// <inheritdoc/>
    public async ValueTask<MapEvaluation> EvaluateAsync(double[] x, int iteration, CancellationToken ct)
    {
        try
        {
            return await EvaluateOnceAsync(x, iteration, retry: 0, ct).ConfigureAwait(false);
        }
        catch (KernelLostException first)
        {
            var handle = _kernels[first.KernelId];
            _observer.Log($"iteration {iteration}: kernel '{first.KernelId}' was lost ({first.Reason}); waiting for its restart, then retrying the iteration once. Log: {handle.LogFile}");
            if (!await _kernels.WaitReadyAsync(first.KernelId, TimeSpan.FromSeconds(60), ct).ConfigureAwait(false))
                throw new CouplingException($"iteration {iteration}: kernel '{first.KernelId}' died ({first.Reason}) and did not restart (state {handle.State}); see its log {handle.LogFile}", first);
            try
            {
                return await EvaluateOnceAsync(x, iteration, retry: 1, ct).ConfigureAwait(false);
            }
            catch (KernelLostException second)
            {
                var h = _kernels[second.KernelId];
                throw new CouplingException($"iteration {iteration} failed twice: kernel '{second.KernelId}' died again ({second.Reason}) on the retry after a restart; see its log {h.LogFile}", second);
            }
        }
    }

    private async Task<MapEvaluation> EvaluateOnceAsync(double[] x, int iteration, int retry, CancellationToken ct)
    {
        var cal = Calibration;
        int n = cal.Years.Length;
        double[] gdp = x[..n], r = x[n..];
        var compute = new Dictionary<string, TimeSpan>(StringComparer.Ordinal) { ["energy"] = TimeSpan.Zero, ["etl"] = TimeSpan.Zero, ["macro"] = TimeSpan.Zero };

        // 1. Macro paths -> energy data (demand, discount rate).
        var reverse = ValueConverter.ConvertTo<Dictionary<string, object?>>(await CallAsync(OgClewsKernels.Etl, "macro_to_energy",
            ReverseArguments(cal.Years, gdp, cal.GdpRef, r, cal.DiscountRatePremium), iteration, "macro_to_energy", retry, compute, "etl", ct).ConfigureAwait(false));
        string baseData = (string)reverse["base_data_file"]!, demandData = (string)reverse["data_file"]!;
        double discountRate = reverse.GetValueOrDefault("discount_rate") is { } dr ? Convert.ToDouble(dr) : cal.DataDiscountRate;

        // 2. The energy LP, cold: the same x always gives the same vertex.
        string[] data = [baseData, demandData, .. _scenario.ExtraDataFiles];
        // Only the model's own result tables are read: the per-variable and per-row tables stay in the kernel.
        var solveOptions = new Dictionary<string, object?>
        {
            ["presolve"] = false,
            ["msg_level"] = "off",
            ["return_variables"] = false,
            ["return_constraints"] = false,
        };
        if (_energyFolder is not null)
        {
            // The results stay where the solver writes them: the kernel keeps the model's output
            // files in the run's energy folder, the ETL kernel reads them there, and only the one
            // table this process reads itself travels back.
            solveOptions["return_tables"] = new[] { CarbonPenaltyTable };
            solveOptions["keep_outputs"] = _energyFolder;
        }
        var solution = ValueConverter.ConvertTo<Dictionary<string, object?>>(await CallAsync(OgClewsKernels.Energy, "solve",
            Arguments.None.With("model", _kernels.Layout.EnergyModel).With("data", data).With("options", solveOptions),
            iteration, "energy.solve", retry, compute, "energy", ct).ConfigureAwait(false));
        string status = (string)solution["status"]!;
        if (status != "optimal")
            throw new CouplingException($"iteration {iteration}: the energy model is {status} for the demand the macro paths imply{(solution.GetValueOrDefault("message") is string m ? ": " + m : "")}");
        // The kernel names tables by the file the model's `table ... OUT` writes (Demand.csv); the ETL by result name.
        var tables = ValueConverter.ConvertTo<Dictionary<string, object?>>(solution["tables"])
            .ToDictionary(kv => kv.Key.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? kv.Key[..^4] : kv.Key, kv => kv.Value, StringComparer.Ordinal);

        // 3. Energy results -> yearly macro inputs.
        // Only the tables the forward pass reads travel (the dispatch-level ones are the bulk of the results).
        var forwardOptions = new Dictionary<string, object?> { ["data_file"] = _scenario.BaseDataFile };
        var forwardArguments = _energyFolder is not null
            ? Arguments.None.With("results_path", _energyFolder).With("options", forwardOptions)
            : Arguments.None.With("tables", EnergyToMacroTables.Where(tables.ContainsKey).ToDictionary(name => name, name => tables[name], StringComparer.Ordinal))
                .With("options", forwardOptions);
        var forward = ValueConverter.ConvertTo<Table>(await CallAsync(OgClewsKernels.Etl, "energy_to_macro",
            forwardArguments, iteration, "energy_to_macro", retry, compute, "etl", ct).ConfigureAwait(false));
        var cost = forward.Get<double>("energy_system_cost");
        var finalEnergy = forward.Get<double>("final_energy");
        var carbon = CarbonPayments(tables, cal.Years);
        var priceIndex = new double[n];
        var carbonShare = new double[n];
        double unit0 = (cost[0] + carbon[0]) / finalEnergy[0];
        for (int i = 0; i < n; i++)
        {
            double bill = cost[i] + carbon[i];
            priceIndex[i] = bill / finalEnergy[i] / unit0;
            // The macro firm's energy bill is eta*Y; the carbon tax is that share of it.
            carbonShare[i] = bill > 0 ? cal.Eta * carbon[i] / bill : 0;
        }

        // 4. The macro model's transition given the energy price and the recycled revenue.
        var macroPaths = new Dictionary<string, object?>
        {
            ["p_E"] = ToPeriods(priceIndex, cal).Select(v => v * cal.PriceLevel).ToArray(),
            ["carbon_revenue"] = ToPeriods(carbonShare, cal),
        };
        var model = await ModelAsync(ct).ConfigureAwait(false);
        var macroWatch = Stopwatch.StartNew();
        var tp = await MacroAsync(model, macroPaths, iteration, "macro.solve_transition", retry, ct).ConfigureAwait(false);
        compute["macro"] += Duration(_lastMacroRecord);
        _stepSeconds["macro.solve_transition"] = [macroWatch.Elapsed.TotalSeconds, Duration(_lastMacroRecord).TotalSeconds];
        var (gdpOut, rOut) = MacroOnYears(tp, cal.Years, cal.YearsPerPeriod);

        var evaluation = new Evaluation
        {
            Iteration = iteration,
            Years = cal.Years,
            Gdp = gdp,
            InterestRate = r,
            DiscountRate = discountRate,
            Objective = Convert.ToDouble(solution["objective"]),
            FinalEnergy = finalEnergy,
            EnergySystemCost = cost,
            CarbonPayments = carbon,
            EnergyCostIndex = forward.Get<double>("energy_cost_index"),
            EnergyPriceIndex = priceIndex,
            Emissions = forward.Get<double>("emissions"),
            CarbonRevenueShare = carbonShare,
            Investment = forward.Get<double>("investment"),
            GdpOut = gdpOut,
            InterestRateOut = rOut,
            KernelSeconds = compute.ToDictionary(kv => kv.Key, kv => kv.Value.TotalSeconds),
            StepSeconds = new Dictionary<string, double[]>(_stepSeconds),
            EnergyTables = tables.Where(kv => kv.Value is Table).ToDictionary(kv => kv.Key, kv => (Table)kv.Value!),
            MacroInputs = forward,
        };
        Last = evaluation;
        if (_detailsFolder is not null) evaluation.WriteJson(Path.Combine(_detailsFolder, Evaluation.FileName(iteration)));
        return new MapEvaluation([.. gdpOut, .. rOut], compute);
    }

    /// <summary>The reverse pass's arguments: macro paths on the energy years and the scenario's options.</summary>
    private Arguments ReverseArguments(int[] years, double[] gdp, double[] gdpRef, double[] interestRate, double discountRatePremium)
    {
        var paths = new Table()
            .Add("year", years.Select(y => (long)y).ToArray())
            .Add("gdp", gdp)
            .Add("gdp_ref", gdpRef)
            .Add("interest_rate", interestRate);
        var options = new Dictionary<string, object?>
        {
            ["data_file"] = _scenario.BaseDataFile,
            ["elasticities"] = _scenario.Elasticities.ToDictionary(kv => kv.Key, kv => (object?)kv.Value),
            ["basis"] = "base_path",
            ["driver"] = "gdp",
            ["set_discount_rate"] = _scenario.CoupleDiscountRate,
            ["discount_rate_premium"] = discountRatePremium,
        };
        return Arguments.Of(paths).With("options", options);
    }

    /// <summary>
    /// The ETL kernel's first reverse pass pays once for compiling its argument binding, conversions
    /// and data-file writer, and this process for decoding the reply's shape (≈20 ms outside the
    /// handler, the largest part of the first iteration's extra cost). That call is made here, on flat
    /// paths, while the macro kernel calibrates and the ETL kernel would otherwise be idle; its result
    /// is not used.
    /// </summary>
    private async Task WarmReversePassAsync(int[] years, double discountRate, CancellationToken ct)
    {
        var flat = Enumerable.Repeat(1.0, years.Length).ToArray();
        var rate = Enumerable.Repeat(discountRate, years.Length).ToArray();
        try
        {
            ValueConverter.ConvertTo<Dictionary<string, object?>>(await _kernels[OgClewsKernels.Etl].Client
                .CallAsync("macro_to_energy", ReverseArguments(years, flat, flat, rate, 0.0), cancellationToken: ct).ConfigureAwait(false));
        }
        catch (MeshException e)
        {
            // Not fatal: the first iteration makes the same call and reports its failure properly.
            _observer.Log($"ETL warm-up call failed: {e.Message}");
        }
    }

    /// <summary>A kernel task with its events and kernel-side compute time.</summary>
    private async Task<object?> CallAsync(string kernel, string endpoint, Arguments arguments, int iteration, string step, int retry,
        Dictionary<string, TimeSpan> compute, string component, CancellationToken ct)
    {
        var handle = _kernels[kernel];
        string name = TaskName(iteration, step, retry);
        TaskRecord? record = null;
        Emit(name, iteration, step, kernel, SubTaskState.Queued, retry, null, null);
        var sw = Stopwatch.StartNew();
        try
        {
            var result = await handle.Client.CallAsync(endpoint, arguments, new CallOptions { Finished = r => record = r }, ct).ConfigureAwait(false);
            compute[component] += Duration(record);
            _stepSeconds[step] = new[] { sw.Elapsed.TotalSeconds, Duration(record).TotalSeconds };
            Emit(name, iteration, step, kernel, SubTaskState.Completed, retry, record, null);
            return result;
        }
        catch (Exception e)
        {
            Emit(name, iteration, step, kernel, ct.IsCancellationRequested ? SubTaskState.Cancelled : SubTaskState.Error, retry, record, e.Message);
            throw;
        }
    }

    /// <summary>Runs the remote model's transition (events as for a task).</summary>
    private async Task<Dictionary<string, object?>> MacroAsync(RemoteObject model, Dictionary<string, object?> paths, int iteration, string step, int retry, CancellationToken ct)
    {
        string name = TaskName(iteration, step, retry);
        _lastMacroRecord = null;
        Emit(name, iteration, step, OgClewsKernels.Macro, SubTaskState.Queued, retry, null, null);
        try
        {
            var result = ValueConverter.ConvertTo<Dictionary<string, object?>>(await model.CallMethodAsync("solve_transition", Arguments.Of(paths), ct).ConfigureAwait(false));
            Emit(name, iteration, step, OgClewsKernels.Macro, SubTaskState.Completed, retry, _lastMacroRecord, null);
            if (result.GetValueOrDefault("converged") is false)
                throw new CouplingException($"iteration {iteration}: the macro transition path did not converge (TPI distance {result.GetValueOrDefault("tpi_distance")})");
            return result;
        }
        catch (Exception e) when (e is not CouplingException)
        {
            Emit(name, iteration, step, OgClewsKernels.Macro, ct.IsCancellationRequested ? SubTaskState.Cancelled : SubTaskState.Error, retry, _lastMacroRecord, e.Message);
            throw;
        }
    }

    /// <summary>The remote macro model, created once per macro kernel process (a restart loses it).</summary>
    private async Task<RemoteObject> ModelAsync(CancellationToken ct)
    {
        var handle = _kernels[OgClewsKernels.Macro];
        if (_model is not null && _modelIncarnation == handle.RestartCount) return _model;
        _proxies = new ProxyClient(handle.Client) { CallOptions = new CallOptions { Finished = r => _lastMacroRecord = r } };
        // A sub-task of its own, so that a model refusing its parameters shows as a failed task with the kernel's message.
        string name = $"model-{handle.RestartCount}/macro.model";
        _lastMacroRecord = null;
        Emit(name, -1, "macro.model", OgClewsKernels.Macro, SubTaskState.Queued, 0, null, null);
        try
        {
            var type = (RemoteObject)await _proxies.GetRemoteAsync("Model", ct).ConfigureAwait(false);
            _model = (RemoteObject)(await type.CallAsync(Arguments.Of(new Dictionary<string, object?>(_scenario.MacroParameters)).With("backend", "builtin"), ct).ConfigureAwait(false))!;
        }
        catch (Exception e)
        {
            Emit(name, -1, "macro.model", OgClewsKernels.Macro, ct.IsCancellationRequested ? SubTaskState.Cancelled : SubTaskState.Error, 0, _lastMacroRecord, e.Message);
            throw;
        }
        Emit(name, -1, "macro.model", OgClewsKernels.Macro, SubTaskState.Completed, 0, _lastMacroRecord, null);
        _modelIncarnation = handle.RestartCount;
        return _model;
    }

    private void Emit(string name, int iteration, string step, string kernel, SubTaskState state, int retry, TaskRecord? record, string? error) =>
        _observer.TaskChanged(new KernelTaskEvent(name, iteration, step, kernel, state, DateTimeOffset.UtcNow, retry, record, error, _kernels[kernel].LogFile));

    private static string TaskName(int iteration, string step, int retry) =>
        (iteration < 0 ? "calibration" : $"iter-{iteration:D4}") + "/" + step + (retry > 0 ? $"#{retry + 1}" : "");

    private static TimeSpan Duration(TaskRecord? record) =>
        record is { StartedAt: { } s, EndedAt: { } e } && e >= s ? e - s : TimeSpan.Zero;

    /// <summary>Carbon payments per model year (M$): the model's <c>AnnualTechnologyEmissionsPenalty</c>, summed.</summary>
    private static double[] CarbonPayments(Dictionary<string, object?> tables, int[] years)
    {
        var result = new double[years.Length];
        if (tables.GetValueOrDefault(CarbonPenaltyTable) is not Table t) return result;
        var year = ValueConverter.ConvertTo<double[]>(t["YEAR"]);
        var value = t.Get<double>("VALUE");
        for (int i = 0; i < value.Length; i++)
        {
            int k = (int)year[i] - years[0];
            if (k >= 0 && k < years.Length) result[k] += value[i];
        }
        return result;
    }

    /// <summary>A yearly series on the energy years as a per-period path of length T (mean over a period's years; the last year's value beyond the horizon).</summary>
    internal static double[] ToPeriods(double[] yearly, Calibration cal)
    {
        var path = new double[cal.T];
        double p = cal.YearsPerPeriod;
        for (int t = 0; t < cal.T; t++)
        {
            double sum = 0;
            int count = 0;
            for (int i = 0; i < yearly.Length; i++)
            {
                double offset = cal.Years[i] - cal.Years[0];
                if (offset >= t * p && offset < (t + 1) * p) { sum += yearly[i]; count++; }
            }
            path[t] = count > 0 ? sum / count : yearly[^1];
        }
        return path;
    }

    /// <summary>The macro GDP index (level, relative to the initial steady state) and annual interest rate on the energy years.</summary>
    internal static (double[] Gdp, double[] R) MacroOnYears(Dictionary<string, object?> tp, int[] years, double yearsPerPeriod)
    {
        var y = ValueConverter.ConvertTo<double[]>(tp["Y"]);
        var level = ValueConverter.ConvertTo<double[]>(tp["level_index"]);
        var r = ValueConverter.ConvertTo<double[]>(tp["r"]);
        var ss = ValueConverter.ConvertTo<Dictionary<string, object?>>(tp["ss_initial"]);
        double y0 = Convert.ToDouble(ss["Y"]);
        var gdpLevel = new double[y.Length];
        for (int t = 0; t < y.Length; t++) gdpLevel[t] = y[t] * level[t];
        var gdp = new double[years.Length];
        var rate = new double[years.Length];
        for (int i = 0; i < years.Length; i++)
        {
            double f = (years[i] - years[0]) / yearsPerPeriod;
            int k = (int)Math.Floor(f);
            double w = f - k;
            double Interp(double[] a) => w == 0 ? a[k] : (1 - w) * a[k] + w * a[k + 1];
            gdp[i] = Interp(gdpLevel) / y0;
            rate[i] = Math.Pow(1 + Interp(r), 1 / yearsPerPeriod) - 1;
        }
        return (gdp, rate);
    }

    private sealed class NullObserver : ICoupledRunObserver
    {
        public static readonly NullObserver Instance = new();
    }
}
