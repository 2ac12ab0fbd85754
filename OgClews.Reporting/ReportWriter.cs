using System.Globalization;
using System.Text;
using OgClews.Reporting.Html;
using OgClews.Reporting.Input;
using OgClews.Reporting.Png;

namespace OgClews.Reporting;

/// <summary>
/// Writes the report of a coupled OG-CLEWS run into its run folder: <c>report.html</c>, a single
/// self-contained page (summary, convergence curve, baseline-vs-coupled paths; Chart.js inlined, no
/// network needed), and <c>convergence.png</c>, the convergence curve as an image.
/// </summary>
/// <remarks>
/// Reads <c>run.json</c>, <c>iterations.csv</c> and <c>paths.csv</c> from the folder. Both outputs
/// are replaced atomically, so a report that is open or being copied is never half-written.
/// </remarks>
public static class ReportWriter
{
    /// <summary>The report page's file name.</summary>
    public const string HtmlFileName = "report.html";

    /// <summary>The convergence image's file name.</summary>
    public const string PngFileName = "convergence.png";

    /// <summary>Reads the run folder and writes <c>report.html</c> and <c>convergence.png</c> into it.</summary>
    /// <param name="runFolder">The folder the coupled run wrote its files into.</param>
    /// <returns>The paths of the two files written.</returns>
    /// <exception cref="ReportInputException">A required file, column or field is missing or malformed; the message names it.</exception>
    public static ReportFiles Write(string runFolder)
    {
        ArgumentException.ThrowIfNullOrEmpty(runFolder);
        var run = RunFolder.Load(runFolder);

        // Everything is rendered before anything is written, so bad input leaves the folder untouched.
        string html = HtmlReport.Render(run);
        byte[] png = RenderConvergencePng(run);

        string htmlPath = Path.Combine(runFolder, HtmlFileName);
        string pngPath = Path.Combine(runFolder, PngFileName);
        WriteAtomically(pngPath, png);
        WriteAtomically(htmlPath, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(html));
        return new ReportFiles(htmlPath, pngPath);
    }

    internal static byte[] RenderConvergencePng(RunFolder run) => ConvergencePlotFor(run).RenderPng();

    internal static ConvergencePlot ConvergencePlotFor(RunFolder run)
    {
        var r = run.Run;
        string scenario = string.IsNullOrWhiteSpace(r.Scenario) ? "" : $"{r.Scenario} · ";
        string subtitle = $"{scenario}{r.Method} · {r.Status}, {r.Iterations.ToString(CultureInfo.InvariantCulture)} " +
                          $"iteration{(r.Iterations == 1 ? "" : "s")}, residual {ConvergencePlot.Scientific(r.Residual)}";
        return new ConvergencePlot(run.Iterations.Iteration, run.Iterations.Residual, r.Tolerance,
            "Convergence of the coupled OG-CLEWS run", subtitle);
    }

    private static void WriteAtomically(string path, byte[] content)
    {
        string temp = path + ".tmp-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        try
        {
            File.WriteAllBytes(temp, content);
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }
}
