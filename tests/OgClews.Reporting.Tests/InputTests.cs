using OgClews.Reporting.Input;

namespace OgClews.Reporting.Tests;

public class InputTests
{
    [Fact]
    public void Fixture_iterations_parse_with_round_trip_values_and_component_columns()
    {
        using var run = new TempRunFolder();
        var it = IterationsData.Load(run.Path);
        Assert.Equal(7, it.Count);
        Assert.Equal([0, 1, 2, 3, 4, 5, 6], it.Iteration);
        Assert.Equal(0.18342815402771104, it.Residual[0]);
        Assert.Equal(3.1027744385005e-08, it.Residual[6]);
        Assert.Equal(["energy", "etl", "macro"], it.Components.Select(c => c.Name));
        Assert.Equal("damped(0.5)", it.Method[0]);
        Assert.Equal("anderson(m=5)", it.Method[6]);
        Assert.All(it.WallSeconds, w => Assert.True(w > 0));
    }

    [Fact]
    public void Fixture_paths_and_run_json_parse()
    {
        using var run = new TempRunFolder();
        var folder = RunFolder.Load(run.Path);
        Assert.Equal(26, folder.Paths.Year.Length);
        Assert.Equal(2025, folder.Paths.Year[0]);
        Assert.Equal(2050, folder.Paths.Year[^1]);
        Assert.Equal(1.0, folder.Paths["gdp_baseline"][0]);
        Assert.True(folder.Paths.Has("carbon_revenue_coupled"));
        Assert.Equal("demo", folder.Run.Scenario);
        Assert.Equal("Converged", folder.Run.Status);
        Assert.True(folder.Converged);
        Assert.Equal(7, folder.Run.Iterations);
        Assert.Equal(1e-6, folder.Run.Tolerance);
        Assert.Equal(["energy", "etl", "macro"], folder.KernelSeconds.Select(k => k.Name));
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero), folder.Run.Started);
    }

    [Fact]
    public void Csv_reader_accepts_quotes_crlf_bom_and_blank_lines()
    {
        string text = "\uFEFFa,b,c\r\n1,\"x, \"\"quoted\"\"\",3\r\n\r\n2,\"multi\nline\",4\r\n";
        var t = CsvTable.Parse(text, "/run/test.csv");
        Assert.Equal(["a", "b", "c"], t.Header);
        Assert.Equal(2, t.Rows.Count);
        Assert.Equal("x, \"quoted\"", t.Text(0, 1));
        Assert.Equal("multi\nline", t.Text(1, 1));
        Assert.Equal(4, t.LineOf(1));
    }

    [Theory]
    [InlineData("NaN", double.NaN)]
    [InlineData("Infinity", double.PositiveInfinity)]
    [InlineData("∞", double.PositiveInfinity)]
    [InlineData("-Infinity", double.NegativeInfinity)]
    [InlineData("1E-08", 1e-8)]
    [InlineData("3.1027744385005E-08", 3.1027744385005e-08)]
    public void Non_finite_and_exponent_forms_parse(string text, double expected)
    {
        Assert.True(CsvTable.TryParseNumber(text, out double v));
        Assert.Equal(expected, v);
    }

    [Fact]
    public void A_diverged_run_with_infinite_residual_and_a_quoted_method_still_loads()
    {
        using var run = new TempRunFolder();
        run.Edit("iterations.csv", s => s.Replace("0,0.18342815402771104,", "0,Infinity,").Replace("damped(0.5)", "\"anderson(m=5, beta=1)\""));
        var it = IterationsData.Load(run.Path);
        Assert.Equal(double.PositiveInfinity, it.Residual[0]);
        Assert.Equal("anderson(m=5, beta=1)", it.Method[0]);
    }

    [Fact]
    public void Empty_component_cells_read_as_missing_values()
    {
        var t = CsvTable.Parse(
            "iteration,residual,absolute_residual,step_size,method,energy_seconds,map_seconds,wall_seconds,overhead_seconds\n" +
            "0,0.5,1,,damped,,1,1.1,0.1\n", "/run/iterations.csv");
        var it = IterationsData.From(t);
        Assert.True(double.IsNaN(it.Components[0].Seconds[0]));
        Assert.True(double.IsNaN(it.StepSize[0]));
    }

    [Theory]
    [InlineData("residual")]
    [InlineData("method")]
    [InlineData("wall_seconds")]
    [InlineData("overhead_seconds")]
    public void A_missing_iterations_column_is_named(string column)
    {
        using var run = new TempRunFolder();
        RemoveColumn(run, "iterations.csv", column);
        var e = Assert.Throws<ReportInputException>(() => ReportWriter.Write(run.Path));
        Assert.Equal(column, e.Column);
        Assert.Contains("iterations.csv", e.Message);
        Assert.Contains($"'{column}'", e.Message);
        Assert.EndsWith("iterations.csv", e.FilePath);
    }

    [Theory]
    [InlineData("year")]
    [InlineData("gdp_coupled")]
    [InlineData("emissions_baseline")]
    [InlineData("energy_cost_index_coupled")]
    public void A_missing_paths_column_is_named(string column)
    {
        using var run = new TempRunFolder();
        RemoveColumn(run, "paths.csv", column);
        var e = Assert.Throws<ReportInputException>(() => ReportWriter.Write(run.Path));
        Assert.Equal(column, e.Column);
        Assert.Contains("paths.csv", e.Message);
        Assert.Contains($"'{column}'", e.Message);
    }

    [Fact]
    public void Optional_paths_columns_may_be_absent()
    {
        using var run = new TempRunFolder();
        foreach (string c in PathsData.OptionalColumns) RemoveColumn(run, "paths.csv", c);
        var folder = RunFolder.Load(run.Path);
        Assert.False(folder.Paths.Has("interest_rate_coupled"));
        var charts = Html.HtmlReport.Charts(folder).Select(c => c.Id).ToList();
        Assert.Equal(ReportBrowserCheck.StandardCharts, charts);
    }

    [Theory]
    [InlineData("iterations.csv")]
    [InlineData("paths.csv")]
    [InlineData("run.json")]
    public void A_missing_file_is_named(string file)
    {
        using var run = new TempRunFolder();
        run.Delete(file);
        var e = Assert.Throws<ReportInputException>(() => ReportWriter.Write(run.Path));
        Assert.Contains(file, e.Message);
        Assert.Contains("missing", e.Message);
        Assert.EndsWith(file, e.FilePath);
        Assert.False(File.Exists(run.File("report.html")));
        Assert.False(File.Exists(run.File("convergence.png")));
    }

    [Fact]
    public void A_missing_run_folder_is_named()
    {
        string folder = Path.Combine(Path.GetTempPath(), "no-such-run-" + Guid.NewGuid().ToString("N"));
        var e = Assert.Throws<ReportInputException>(() => ReportWriter.Write(folder));
        Assert.Equal(folder, e.FilePath);
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void A_bad_number_is_reported_with_file_line_and_column()
    {
        using var run = new TempRunFolder();
        run.Edit("paths.csv", s => s.Replace("2026,1.021,", "2026,abc,"));
        var e = Assert.Throws<ReportInputException>(() => ReportWriter.Write(run.Path));
        Assert.Equal("gdp_baseline", e.Column);
        Assert.Equal(3, e.Line);
        Assert.Equal("paths.csv line 3, column 'gdp_baseline': 'abc' is not a number", e.Message);
    }

    [Fact]
    public void A_short_row_is_reported_with_its_line()
    {
        using var run = new TempRunFolder();
        run.Edit("iterations.csv", s => s + "7,0.1,0.2\n");
        var e = Assert.Throws<ReportInputException>(() => ReportWriter.Write(run.Path));
        Assert.Equal(9, e.Line);
        Assert.Contains("iterations.csv line 9: 3 fields, but the header has 11 columns", e.Message);
    }

    [Fact]
    public void Iterations_out_of_order_and_repeated_years_are_refused()
    {
        using var run = new TempRunFolder();
        run.Edit("iterations.csv", s => s + "3,0.1,0.2,0.1,damped,1,1,1,3,3.1,0.1\n");
        var e = Assert.Throws<ReportInputException>(() => ReportWriter.Write(run.Path));
        Assert.Equal("iteration", e.Column);
        Assert.Contains("does not follow 6", e.Message);

        using var run2 = new TempRunFolder();
        run2.Edit("paths.csv", s => s.Replace("\n2027,", "\n2026,"));
        var e2 = Assert.Throws<ReportInputException>(() => ReportWriter.Write(run2.Path));
        Assert.Equal("year", e2.Column);
        Assert.Equal(4, e2.Line);
    }

    [Fact]
    public void Unclosed_quotes_stray_quotes_empty_files_and_duplicate_columns_are_refused()
    {
        Assert.Contains("line 2: quoted field is not closed",
            Assert.Throws<ReportInputException>(() => CsvTable.Parse("a,b\n1,\"open\n", "/x/iterations.csv")).Message);
        Assert.Contains("stray quote",
            Assert.Throws<ReportInputException>(() => CsvTable.Parse("a,b\n1,ab\"c\n", "/x/iterations.csv")).Message);
        Assert.Contains("paths.csv is empty",
            Assert.Throws<ReportInputException>(() => CsvTable.Parse("", "/x/paths.csv")).Message);
        var dup = Assert.Throws<ReportInputException>(() => CsvTable.Parse("a,b,a\n1,2,3\n", "/x/paths.csv"));
        Assert.Equal("a", dup.Column);
        Assert.Contains("appears twice", dup.Message);
    }

    [Fact]
    public void Paths_without_rows_are_refused()
    {
        using var run = new TempRunFolder();
        run.Edit("paths.csv", s => s[..(s.IndexOf('\n') + 1)]);
        var e = Assert.Throws<ReportInputException>(() => ReportWriter.Write(run.Path));
        Assert.Contains("paths.csv has a header but no rows", e.Message);
    }

    [Theory]
    [InlineData("status")]
    [InlineData("method")]
    [InlineData("iterations")]
    [InlineData("residual")]
    [InlineData("tolerance")]
    public void A_missing_run_json_field_is_named(string field)
    {
        using var run = new TempRunFolder();
        run.Edit("run.json", s => string.Join('\n', s.Split('\n').Where(l => !l.TrimStart().StartsWith($"\"{field}\"", StringComparison.Ordinal))));
        var e = Assert.Throws<ReportInputException>(() => ReportWriter.Write(run.Path));
        Assert.Equal(field, e.Column);
        Assert.Equal($"run.json: required field '{field}' is missing", e.Message);
    }

    [Fact]
    public void Run_json_type_errors_name_the_field()
    {
        var e = Assert.Throws<ReportInputException>(() => Parse("""{"method":"m","status":"s","iterations":"seven","residual":1,"tolerance":1}"""));
        Assert.Equal("iterations", e.Column);
        Assert.Equal("run.json, field 'iterations': expected a non-negative integer, found a string", e.Message);

        var e2 = Assert.Throws<ReportInputException>(() =>
            Parse("""{"method":"m","status":"s","iterations":1,"residual":1,"tolerance":1,"kernel_seconds":{"energy":"slow"}}"""));
        Assert.Equal("kernel_seconds.energy", e2.Column);

        var e3 = Assert.Throws<ReportInputException>(() => Parse("""{"method":"m","status":"s","iterations":1,"residual":1,"tolerance":1,"started":"yesterday"}"""));
        Assert.Equal("started", e3.Column);
    }

    [Fact]
    public void Invalid_json_names_the_file_and_line()
    {
        var e = Assert.Throws<ReportInputException>(() => Parse("{\n  \"status\": \"Converged\",\n  oops\n}"));
        Assert.StartsWith("run.json is not valid JSON (line 3)", e.Message);
        Assert.Equal(3, e.Line);
        Assert.Contains("an array", Assert.Throws<ReportInputException>(() => Parse("[1]")).Message);
    }

    [Fact]
    public void Run_json_extra_fields_are_ignored_and_a_missing_residual_value_is_allowed()
    {
        var r = Parse("""{"method":"damped","status":"Diverged","iterations":0,"residual":null,"tolerance":1e-6,"future":{"x":[1,2]},"note":"n"}""");
        Assert.True(double.IsNaN(r.Residual));
        Assert.Null(r.KernelSeconds);
        Assert.Null(r.WallSeconds);
        var r2 = Parse("""{"method":"damped","status":"Diverged","iterations":3,"residual":"Infinity","tolerance":1e-6}""");
        Assert.Equal(double.PositiveInfinity, r2.Residual);
    }

    [Fact]
    public void Summary_figures_fall_back_to_iterations_csv_when_run_json_lacks_them()
    {
        using var run = new TempRunFolder();
        run.Write("run.json", """{"method":"anderson","status":"Converged","iterations":7,"residual":3.1e-8,"tolerance":1e-6}""");
        var folder = RunFolder.Load(run.Path);
        var it = folder.Iterations;
        Assert.Equal(it.WallSeconds.Sum(), folder.WallSeconds, 12);
        Assert.Equal(it.OverheadSeconds.Sum() / it.WallSeconds.Sum(), folder.OverheadFraction, 12);
        Assert.Equal(["energy", "etl", "macro"], folder.KernelSeconds.Select(k => k.Name));
        Assert.Equal(it.Components[2].Seconds.Sum(), folder.KernelSeconds[2].Seconds, 12);
    }

    private static RunInfo Parse(string json) => RunInfo.Parse(System.Text.Encoding.UTF8.GetBytes(json), "/run/run.json");

    // Drops a column from a simple (unquoted) CSV of the fixture.
    private static void RemoveColumn(TempRunFolder run, string file, string column)
    {
        var lines = run.Read(file).TrimEnd('\n').Split('\n');
        int index = Array.IndexOf(lines[0].Split(','), column);
        Assert.True(index >= 0, $"{file} has no column {column}");
        run.Write(file, string.Join('\n', lines.Select(l => string.Join(',', l.Split(',').Where((_, i) => i != index)))) + "\n");
    }
}
