using System.Globalization;
using OgClews.Server.Store;

namespace OgClews.Server.Runs;

/// <summary>
/// Reads a run folder's <c>iterations.csv</c> (written by the coupling orchestrator with every
/// checkpoint). It is the truth about which iterations completed: the store is brought in line with
/// it after a restart and at the end of a run, so an iteration checkpointed just before the server
/// was killed (and before its store row was written) is not lost.
/// </summary>
internal static class IterationsFile
{
    public const string FileName = "iterations.csv";

    private static readonly HashSet<string> NotComponents = new(StringComparer.Ordinal) { "map_seconds", "wall_seconds", "overhead_seconds" };

    /// <summary>The iterations in the folder's CSV (none when there is no file yet).</summary>
    /// <exception cref="InvalidDataException">The file is not an iterations CSV; the message names the line.</exception>
    public static IReadOnlyList<IterationRow> Read(string runId, string folder)
    {
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return [];
        string[] lines;
        // The orchestrator appends to the file while a run goes on: share it.
        using (var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        using (var reader = new StreamReader(s))
            lines = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0) return [];
        var header = Split(lines[0]);
        int Col(string name) => header.IndexOf(name) is var i and >= 0 ? i : throw new InvalidDataException($"{path}: no '{name}' column");
        int it = Col("iteration"), res = Col("residual"), abs = Col("absolute_residual"), step = Col("step_size"), method = Col("method");
        int map = header.IndexOf("map_seconds"), wall = header.IndexOf("wall_seconds");
        var components = header.Select((h, i) => (h, i)).Where(x => x.h.EndsWith("_seconds", StringComparison.Ordinal) && !NotComponents.Contains(x.h)).ToList();
        var rows = new List<IterationRow>();
        var modified = File.GetLastWriteTimeUtc(path);
        for (int n = 1; n < lines.Length; n++)
        {
            var cells = Split(lines[n]);
            // A row cut short by a crash in the middle of an append is not an iteration.
            if (cells.Count != header.Count) continue;
            double? Num(int i) => i >= 0 && double.TryParse(cells[i], NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && !double.IsNaN(v) ? v : null;
            if (!int.TryParse(cells[it], NumberStyles.None, CultureInfo.InvariantCulture, out int iteration))
                throw new InvalidDataException($"{path}: line {n + 1}: iteration '{cells[it]}' is not a number");
            var comp = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var (h, i) in components)
                if (Num(i) is { } v) comp[h[..^"_seconds".Length]] = v;
            rows.Add(new IterationRow(runId, iteration, Num(res), Num(abs), Num(step), cells[method], Num(map), Num(wall), comp, modified));
        }
        return rows;
    }

    // RFC 4180 fields: the orchestrator quotes a field only when it holds a comma or a quote.
    private static List<string> Split(string line)
    {
        var cells = new List<string>();
        var cell = new System.Text.StringBuilder();
        bool quoted = false;
        line = line.TrimEnd('\r');
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { cell.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else cell.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { cells.Add(cell.ToString()); cell.Clear(); }
            else cell.Append(c);
        }
        cells.Add(cell.ToString());
        return cells;
    }
}
