using System.Globalization;
using System.Text;

namespace Mesh.Benchmarks;

/// <summary>Which part of the table a row belongs to.</summary>
internal enum Section { Call, Pipelined, Startup, Energy, Profile }

/// <summary>
/// One measured case at one payload size. Times are microseconds; <see cref="Payload"/> is 0 for
/// calls without a payload (small calls: proxy and actor calls, Jupyter requests), which are
/// compared with the 1 B floor. <see cref="Transport"/> is what the bytes travelled over (Mesh
/// kernels: the manager's default, ipc; the peers: TCP loopback, their default); a row's ratio is
/// to the floor over the same transport.
/// </summary>
internal sealed record Row(Section Section, string Case, string Client, string Server, long Payload, int Iterations,
    double P50Us, double P99Us, double CallsPerS, string Note = "", string Transport = "tcp")
{
    /// <summary>Payload bytes carried each way per second, for payload cases.</summary>
    public double? MBPerS => Payload >= 1024 ? Payload * CallsPerS / 1e6 : null;
}

/// <summary>Percentiles with one index rule for every case (the C floor and Python peers use the same).</summary>
internal readonly record struct Stats(double P50, double P99, double CallsPerS)
{
    public static Stats Of(List<double> micros, double totalSeconds)
    {
        micros.Sort();
        return new(micros[micros.Count / 2], micros[Math.Min(micros.Count - 1, (int)(micros.Count * 0.99))],
            micros.Count / totalSeconds);
    }
}

/// <summary>The table, the CSV and the ratio to the floor.</summary>
internal static class Report
{
    /// <summary>The C floor's case name over a transport (tcp or ipc).</summary>
    public static string FloorCase(string transport) => $"libzmq REQ/REP floor (C, {transport})";

    /// <summary>The p50 of the floor over the row's transport at the row's payload (1 B for rows without a payload).</summary>
    public static double? FloorP50(IReadOnlyList<Row> rows, Row row)
    {
        if (row.Section != Section.Call) return null;
        long size = row.Payload == 0 ? 1 : row.Payload;
        string floor = FloorCase(row.Transport);
        return rows.FirstOrDefault(r => r.Case == floor && r.Payload == size)?.P50Us;
    }

    public static double? Ratio(IReadOnlyList<Row> rows, Row row) => FloorP50(rows, row) is { } f ? row.P50Us / f : null;

    public static string Size(long bytes) => bytes switch
    {
        0 => "—",
        >= 1024 * 1024 => $"{bytes / (1024 * 1024)} MiB",
        >= 1024 => $"{bytes / 1024} KiB",
        _ => $"{bytes} B",
    };

    /// <summary>A duration in µs, ms or s with three or four significant digits.</summary>
    public static string Time(double us) => us switch
    {
        >= 1e6 => (us / 1e6).ToString("0.00", CultureInfo.InvariantCulture) + " s",
        >= 1e4 => (us / 1e3).ToString("0.0", CultureInfo.InvariantCulture) + " ms",
        >= 1e3 => (us / 1e3).ToString("0.00", CultureInfo.InvariantCulture) + " ms",
        _ => us.ToString("0.0", CultureInfo.InvariantCulture) + " µs",
    };

    static string Rate(double perS) => perS == 0 ? "" : perS >= 100 ? perS.ToString("N0", CultureInfo.InvariantCulture) : perS.ToString("0.0", CultureInfo.InvariantCulture);

    /// <summary>Section headings and the order rows appear in: by payload, then fastest first.</summary>
    public static IEnumerable<(string Heading, List<Row> Rows)> Groups(IReadOnlyList<Row> rows)
    {
        var calls = rows.Where(r => r.Section == Section.Call).ToList();
        yield return ("small calls: 1 B payload, or no payload (—)", calls.Where(r => r.Payload <= 1).OrderBy(r => r.P50Us).ToList());
        foreach (var size in calls.Where(r => r.Payload > 1).Select(r => r.Payload).Distinct().Order())
            yield return ($"{Size(size)} payload (float64 array, echoed both ways)", calls.Where(r => r.Payload == size).OrderBy(r => r.P50Us).ToList());
        yield return ("pipelined small calls (throughput)", rows.Where(r => r.Section == Section.Pipelined).OrderByDescending(r => r.CallsPerS).ToList());
        yield return ("kernel start-to-ready: Mesh kernels by the .NET KernelManager, Jupyter's by jupyter_client (p50 = median, p99 = slowest start)", rows.Where(r => r.Section == Section.Startup).OrderBy(r => r.P50Us).ToList());
        yield return ("demo energy model, per solve (p50 = median, p99 = slowest)", rows.Where(r => r.Section == Section.Energy).OrderBy(r => r.P50Us).ToList());
        // In measurement order: the segments of a call read top to bottom.
        yield return ("profile: where a small call's time goes (segments from the kernel's task record timestamps)", rows.Where(r => r.Section == Section.Profile).ToList());
    }

    public static string Table(IReadOnlyList<Row> rows)
    {
        var sb = new StringBuilder();
        int w = Math.Max(40, rows.Max(r => r.Case.Length) + 1);
        string header = $"{"case".PadRight(w)} {"payload",8} {"n",7} {"p50",10} {"p99",10} {"calls/s",9} {"MB/s",8} {"p50/floor",9}";
        sb.AppendLine(header);
        sb.AppendLine(new string('-', header.Length));
        foreach (var (heading, group) in Groups(rows))
        {
            if (group.Count == 0) continue;
            sb.AppendLine($"[{heading}]");
            foreach (var r in group)
            {
                string ratio = Ratio(rows, r) is { } x ? x.ToString("0.00", CultureInfo.InvariantCulture) + "x" : "";
                string mb = r.MBPerS is { } m ? m.ToString("0.0", CultureInfo.InvariantCulture) : "";
                sb.AppendLine($"{r.Case.PadRight(w)} {Size(r.Payload),8} {r.Iterations,7} {Time(r.P50Us),10} {Time(r.P99Us),10} {Rate(r.CallsPerS),9} {mb,8} {ratio,9}");
            }
            foreach (var r in group.Where(r => r.Note.StartsWith("context switches", StringComparison.Ordinal) && r.Payload <= 1))
                sb.AppendLine($"  {r.Case}: {r.Note}");
        }
        return sb.ToString();
    }

    /// <summary>The same table as Markdown, for docs/performance.md.</summary>
    public static string Markdown(IReadOnlyList<Row> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine("p50 / floor: the p50 divided by the C libzmq floor's over the same transport at the same payload: Mesh rows " +
            "against the ipc floor (kernels on the manager's default transport, Unix sockets) unless their name says tcp; the peers, on " +
            "TCP loopback (their default), against the tcp floor.").AppendLine();
        foreach (var (heading, group) in Groups(rows))
        {
            if (group.Count == 0) continue;
            sb.AppendLine($"**{heading}**").AppendLine();
            sb.AppendLine("| case | payload | n | p50 | p99 | calls/s | MB/s | p50 / floor |");
            sb.AppendLine("|---|---|---|---|---|---|---|---|");
            foreach (var r in group)
            {
                string ratio = Ratio(rows, r) is { } x ? x.ToString("0.00", CultureInfo.InvariantCulture) + "×" : "";
                string mb = r.MBPerS is { } m ? m.ToString("0.0", CultureInfo.InvariantCulture) : "";
                sb.AppendLine($"| {r.Case} | {Size(r.Payload)} | {r.Iterations} | {Time(r.P50Us)} | {Time(r.P99Us)} | {Rate(r.CallsPerS)} | {mb} | {ratio} |");
            }
            var notes = group.Where(r => r.Note.StartsWith("context switches", StringComparison.Ordinal) && r.Payload <= 1).ToList();
            if (notes.Count > 0) sb.AppendLine();
            foreach (var r in notes) sb.AppendLine($"* {r.Case}: {r.Note}");
            sb.AppendLine();
        }
        return sb.ToString();
    }

    public static string Csv(IReadOnlyList<Row> rows, DateTime runUtc)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder("run_utc,section,case,client,server,payload_bytes,iterations,p50_us,p99_us,calls_per_s,mb_per_s,p50_ratio_to_floor,note,transport\n");
        foreach (var r in rows)
        {
            sb.Append(inv, $"{runUtc:yyyy-MM-ddTHH:mm:ssZ},{r.Section},{Quote(r.Case)},{Quote(r.Client)},{Quote(r.Server)},{r.Payload},{r.Iterations},");
            sb.Append(inv, $"{r.P50Us:0.###},{r.P99Us:0.###},{r.CallsPerS:0.###},{(r.MBPerS is { } m ? m.ToString("0.###", inv) : "")},");
            sb.Append(inv, $"{(Ratio(rows, r) is { } x ? x.ToString("0.###", inv) : "")},{Quote(r.Note)},{r.Transport}\n");
        }
        return sb.ToString();
    }

    /// <summary>Reads rows back from <see cref="Csv"/>'s output (the chart and tables are drawn from the CSV).</summary>
    public static List<Row> ReadCsv(string csv)
    {
        var inv = CultureInfo.InvariantCulture;
        var rows = new List<Row>();
        foreach (var f in Records(csv).Skip(1))
        {
            if (f.Count < 13) continue;
            rows.Add(new Row(Enum.Parse<Section>(f[1]), f[2], f[3], f[4], long.Parse(f[5], inv), int.Parse(f[6], inv),
                double.Parse(f[7], inv), double.Parse(f[8], inv), double.Parse(f[9], inv), f[12], f.Count > 13 ? f[13] : "tcp"));
        }
        return rows;
    }

    /// <summary>CSV records (RFC 4180 quoting: "" inside quotes, newlines inside quotes kept).</summary>
    static IEnumerable<List<string>> Records(string csv)
    {
        var record = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < csv.Length; i++)
        {
            char ch = csv[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < csv.Length && csv[i + 1] == '"') { field.Append('"'); i++; }
                else if (ch == '"') quoted = false;
                else field.Append(ch);
            }
            else if (ch == '"') quoted = true;
            else if (ch == ',') { record.Add(field.ToString()); field.Clear(); }
            else if (ch == '\n')
            {
                record.Add(field.ToString()); field.Clear();
                yield return record;
                record = [];
            }
            else field.Append(ch);
        }
        if (field.Length > 0 || record.Count > 0) { record.Add(field.ToString()); yield return record; }
    }

    static string Quote(string s) => s.IndexOfAny([',', '"', '\n']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}

/// <summary>Combines the rounds of a repeated case (see <see cref="Plan.Rounds"/>).</summary>
internal static class Rounds
{
    /// <summary>
    /// One row per row of the case: p50, p99 and calls/s are the medians over the rounds (the
    /// rounds' rows must come in the same order); notes (context switches) are the first round's.
    /// </summary>
    public static List<Row> Median(List<List<Row>> rounds)
    {
        if (rounds.Count == 1) return rounds[0];
        var first = rounds[0];
        var combined = new List<Row>(first.Count);
        for (int k = 0; k < first.Count; k++)
        {
            var same = rounds.Select(r => r[k]).ToList();
            if (same.Any(r => r.Case != first[k].Case || r.Payload != first[k].Payload))
                throw new InvalidOperationException($"rounds of '{first[k].Case}' produced rows in different orders");
            combined.Add(first[k] with
            {
                P50Us = Of(same.Select(r => r.P50Us)),
                P99Us = Of(same.Select(r => r.P99Us)),
                CallsPerS = Of(same.Select(r => r.CallsPerS)),
            });
        }
        return combined;
    }

    /// <summary>The median (the mean of the middle two for an even count).</summary>
    public static double Of(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }
}
