using System.Globalization;
using System.Text;
using OgClews.Coupling.Orchestration;

namespace OgClews.Coupling.Checkpointing;

// iterations.csv, one row per completed iteration, appended as the run goes:
// iteration,residual,absolute_residual,step_size,method,<component>_seconds…,map_seconds,wall_seconds,overhead_seconds
// The component columns are the problem's component names, or else every name the map has reported,
// in the order first seen (a name that appears later makes the file be rewritten with the new
// column). A resume rewrites the file from the checkpoint records, so it never holds rows of lost
// iterations twice.
internal sealed class IterationsCsv
{
    private readonly string _path;
    private readonly bool _fixedComponents;
    private List<string>? _components;

    public IterationsCsv(string path, IReadOnlyList<string>? componentNames)
    {
        _path = path;
        _fixedComponents = componentNames is not null;
        _components = componentNames is null ? null : [.. componentNames];
    }

    // Appends the row of `record`, the last of `all`.
    public void Append(IterationRecord record, IReadOnlyList<IterationRecord> all)
    {
        if (!_fixedComponents && _components is not null && record.ComponentTimes.Keys.Any(k => !_components.Contains(k)))
        {
            Rewrite(all);
            return;
        }
        var sb = new StringBuilder();
        if (_components is null || !File.Exists(_path))
        {
            _components ??= [.. record.ComponentTimes.Keys];
            AppendHeader(sb);
        }
        AppendRow(sb, record);
        using var stream = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.Read);
        stream.Write(Encoding.UTF8.GetBytes(sb.ToString()));
        stream.Flush();
    }

    public void Rewrite(IReadOnlyList<IterationRecord> records)
    {
        if (!_fixedComponents && records.Count > 0)
        {
            _components = [];
            foreach (var r in records)
            {
                foreach (string name in r.ComponentTimes.Keys)
                {
                    if (!_components.Contains(name)) _components.Add(name);
                }
            }
        }
        var sb = new StringBuilder();
        if (_components is not null) AppendHeader(sb);
        foreach (var r in records) AppendRow(sb, r);
        if (_components is null) return; // nothing known yet: the first Append writes the header
        AtomicFile.Write(_path, Encoding.UTF8.GetBytes(sb.ToString()), durable: false);
    }

    private void AppendHeader(StringBuilder sb)
    {
        sb.Append("iteration,residual,absolute_residual,step_size,method");
        foreach (string c in _components!) sb.Append(',').Append(Quote(c + "_seconds"));
        sb.Append(",map_seconds,wall_seconds,overhead_seconds\n");
    }

    private void AppendRow(StringBuilder sb, IterationRecord r)
    {
        var inv = CultureInfo.InvariantCulture;
        sb.Append(r.Iteration.ToString(inv)).Append(',')
          .Append(r.Residual.ToString("R", inv)).Append(',')
          .Append(r.AbsoluteResidual.ToString("R", inv)).Append(',')
          .Append(r.StepSize.ToString("R", inv)).Append(',')
          .Append(Quote(r.Method));
        foreach (string c in _components!)
        {
            sb.Append(',');
            if (r.ComponentTimes.TryGetValue(c, out var t)) sb.Append(t.TotalSeconds.ToString("R", inv));
        }
        sb.Append(',').Append(r.MapTime.TotalSeconds.ToString("R", inv))
          .Append(',').Append(r.WallTime.TotalSeconds.ToString("R", inv))
          .Append(',').Append(r.Overhead.TotalSeconds.ToString("R", inv))
          .Append('\n');
    }

    private static string Quote(string field) =>
        field.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : field;
}
