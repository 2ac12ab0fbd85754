using Mesh.Values;

namespace OgClews.Etl.Reverse;

/// <summary>The reverse pass's result: LP row-bound updates and the same change as a GMPL data file.</summary>
public sealed class MacroToEnergyResult
{
    internal MacroToEnergyResult(IReadOnlyList<RowUpdate> rows, IReadOnlyList<AnnualDemandUpdate> demand, double? discountRate,
        string dataFile, IReadOnlyList<string> replaced)
    {
        RowUpdates = rows;
        AnnualDemand = demand;
        DiscountRate = discountRate;
        DataFile = dataFile;
        ReplacedParameters = replaced;
    }

    /// <summary>New lower bounds of the demand rows (only rows whose base right-hand side is positive).</summary>
    public IReadOnlyList<RowUpdate> RowUpdates { get; }

    /// <summary>Old and new SpecifiedAnnualDemand of every demand fuel and year.</summary>
    public IReadOnlyList<AnnualDemandUpdate> AnnualDemand { get; }

    /// <summary>The new model DiscountRate (1/yr), or null when the paths carry no interest rate (or it is not used).</summary>
    public double? DiscountRate { get; }

    /// <summary>
    /// A GMPL data file that sets <see cref="ReplacedParameters"/>. Load it after the base data file
    /// with those parameters removed (<see cref="Gmpl.GmplDataReader.RemoveParameters"/>): GMPL refuses a
    /// parameter set in two data files.
    /// </summary>
    public string DataFile { get; }

    /// <summary>The parameters <see cref="DataFile"/> sets: SpecifiedAnnualDemand, and DiscountRate when set.</summary>
    public IReadOnlyList<string> ReplacedParameters { get; }

    /// <summary>The row updates as a table: <c>row</c> (text), <c>lower</c> (float64).</summary>
    public Table RowUpdatesTable() => new Table()
        .Add("row", RowUpdates.Select(u => (string?)u.Row).ToArray())
        .Add("lower", RowUpdates.Select(u => u.Lower).ToArray());

    /// <summary>The new annual demand as an otoole-style table: REGION, FUEL, YEAR, VALUE.</summary>
    public Table AnnualDemandTable() => new Table()
        .Add("REGION", AnnualDemand.Select(d => (string?)d.Region).ToArray())
        .Add("FUEL", AnnualDemand.Select(d => (string?)d.Fuel).ToArray())
        .Add("YEAR", AnnualDemand.Select(d => (long)d.Year).ToArray())
        .Add("VALUE", AnnualDemand.Select(d => d.New).ToArray());
}
