namespace OgClews.Etl.Results;

/// <summary>Validation shared by the passes; every failure names the file, row and column.</summary>
internal static class ResultChecks
{
    /// <summary>Positions of the required index columns, or an error naming the first missing one.</summary>
    public static int[] RequireColumns(ResultTable t, string usedFor, params string[] dimensions)
    {
        var at = new int[dimensions.Length];
        for (int i = 0; i < dimensions.Length; i++)
        {
            at[i] = t.ColumnIndex(dimensions[i]);
            if (at[i] < 0) throw t.MissingColumn(dimensions[i], usedFor);
        }
        return at;
    }

    /// <summary>Every TECHNOLOGY value must be in <paramref name="technologies"/> (when given).</summary>
    public static void CheckTechnologies(ResultTable t, IReadOnlySet<string>? technologies)
    {
        if (technologies is null) return;
        int c = t.ColumnIndex(Dimensions.Technology);
        if (c < 0) return;
        for (int row = 0; row < t.RowCount; row++)
        {
            string tech = t.Index(c, row);
            if (!technologies.Contains(tech))
                throw t.Error(row, Dimensions.Technology, $"unknown technology '{tech}' (not in the technology set: {string.Join(" ", technologies.Order(StringComparer.Ordinal))})");
        }
    }

    /// <summary>No value below -<paramref name="tolerance"/> (costs).</summary>
    public static void CheckNonNegative(ResultTable t, double tolerance, string what)
    {
        for (int row = 0; row < t.RowCount; row++)
            if (t.Value(row) < -tolerance)
                throw t.Error(row, null, $"negative {what} {t.Value(row).ToString("R", System.Globalization.CultureInfo.InvariantCulture)} ({Describe(t, row, -1)})");
    }

    /// <summary>
    /// Checks the YEAR column against the model years <paramref name="axis"/> (consecutive, sorted):
    /// every year is a model year, no key appears twice in a year, and (unless <paramref name="sparse"/>)
    /// every key has a row for every model year. Returns each row's position on the axis.
    /// </summary>
    public static int[] CheckYears(ResultTable t, int yearColumn, int[] axis, bool sparse)
    {
        var pos = new int[t.RowCount];
        var groups = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int row = 0; row < t.RowCount; row++)
        {
            int y = t.Year(row, yearColumn);
            if (y < axis[0] || y > axis[^1])
                throw t.Error(row, Dimensions.Year, $"year {y} is outside the model years {axis[0]}-{axis[^1]}");
            pos[row] = y - axis[0];
            string key = GroupKey(t, row, yearColumn);
            if (!seen.TryAdd(key + "\u001E" + y, row))
                throw t.Error(row, Dimensions.Year, $"duplicate row for {Describe(t, row, yearColumn)}, year {y} (also on row {t.RowNumber(seen[key + "\u001E" + y])})");
            if (!groups.TryGetValue(key, out var rows)) groups[key] = rows = [];
            rows.Add(row);
        }
        if (sparse) return pos;
        foreach (var rows in groups.Values)
        {
            var present = new bool[axis.Length];
            foreach (int r in rows) present[pos[r]] = true;
            int missing = Array.IndexOf(present, false);
            if (missing < 0) continue;
            int missingYear = axis[missing];
            int after = rows.FindIndex(r => pos[r] > missing);
            int at = after >= 0 ? rows[after] : rows[^1];
            string where = after > 0 && pos[rows[after - 1]] < missing
                ? $" (the rows jump from {axis[pos[rows[after - 1]]]} to {axis[pos[rows[after]]]})"
                : after < 0 ? " (the rows end before it)" : "";
            throw t.Error(at, Dimensions.Year, $"{Describe(t, at, yearColumn)}: year {missingYear} is missing{where}");
        }
        return pos;
    }

    /// <summary>Sums the values per model year over everything else (rows selected by <paramref name="include"/>).</summary>
    public static double[] SumByYear(ResultTable t, int[] yearPos, int years, Func<int, bool>? include = null)
    {
        var sum = new double[years];
        for (int row = 0; row < t.RowCount; row++)
            if (include is null || include(row)) sum[yearPos[row]] += t.Value(row);
        return sum;
    }

    /// <summary>The row's index values except column <paramref name="skip"/>, as <c>NAME=value, …</c>.</summary>
    public static string Describe(ResultTable t, int row, int skip)
    {
        var parts = new List<string>();
        for (int c = 0; c < t.IndexColumns.Count; c++)
            if (c != skip) parts.Add($"{t.SourceColumnName(t.IndexColumns[c])}={t.Index(c, row)}");
        return parts.Count == 0 ? "the table" : string.Join(", ", parts);
    }

    private static string GroupKey(ResultTable t, int row, int skip)
    {
        var sb = new System.Text.StringBuilder();
        for (int c = 0; c < t.IndexColumns.Count; c++)
            if (c != skip) sb.Append(t.Index(c, row)).Append('\u001F');
        return sb.ToString();
    }
}
