namespace OgClews.Reporting;

/// <summary>
/// A run-folder file the report needs is missing or malformed. The message names the file and, where
/// it applies, the line and the column or field.
/// </summary>
public sealed class ReportInputException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="filePath">The file at fault.</param>
    /// <param name="message">The full message (already naming the file).</param>
    /// <param name="column">The CSV column or JSON field at fault, if any.</param>
    /// <param name="line">The 1-based line at fault, if known.</param>
    /// <param name="inner">The parser's exception, if any.</param>
    public ReportInputException(string filePath, string message, string? column = null, int? line = null, Exception? inner = null)
        : base(message, inner)
    {
        FilePath = filePath;
        Column = column;
        Line = line;
    }

    /// <summary>The file at fault.</summary>
    public string FilePath { get; }

    /// <summary>The CSV column or JSON field at fault, or null when the problem is the whole file.</summary>
    public string? Column { get; }

    /// <summary>The 1-based line at fault, or null when not tied to a line.</summary>
    public int? Line { get; }
}
