namespace OgClews.Reporting;

/// <summary>The files <see cref="ReportWriter.Write"/> wrote.</summary>
/// <param name="HtmlPath">The self-contained report page.</param>
/// <param name="PngPath">The convergence curve as a PNG image.</param>
public sealed record ReportFiles(string HtmlPath, string PngPath);
