namespace OgClews.Reporting.Html;

// One chart of the page; serialised into the page's data for report.js.
internal sealed record ChartSpec(string Id, string Kind, string Title, string Caption)
{
    public string YLabel { get; init; } = "";
    public string Unit { get; init; } = "";
    public double Scale { get; init; } = 1;
    public int Decimals { get; init; } = 2;
    public string Color { get; init; } = "#1d4ed8";
    public IReadOnlyList<string> Colors { get; init; } = [];
    public IReadOnlyList<SeriesSpec> Series { get; init; } = [];
}

// role: "baseline" or "coupled" (drawn dashed grey and solid in the chart's colour).
internal sealed record SeriesSpec(string Label, string Column, string Role);
