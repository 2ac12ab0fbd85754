using System.Globalization;

namespace OgClews.Reporting.Png;

// The convergence curve as a raster chart: relative residual per iteration on a log axis, with the
// tolerance as a dashed line. Layout and scales are exposed so tests can find the drawn points.
internal sealed class ConvergencePlot
{
    public const int DefaultWidth = 960;
    public const int DefaultHeight = 540;

    public static readonly Rgb Background = Rgb.Hex(0xFFFFFF);
    public static readonly Rgb ResidualColor = Rgb.Hex(0x1D4ED8);
    public static readonly Rgb ToleranceColor = Rgb.Hex(0xDC2626);
    private static readonly Rgb Ink = Rgb.Hex(0x111827);
    private static readonly Rgb Muted = Rgb.Hex(0x4B5563);
    private static readonly Rgb Axis = Rgb.Hex(0x6B7280);
    private static readonly Rgb Grid = Rgb.Hex(0xE5E7EB);
    private static readonly Rgb MinorGrid = Rgb.Hex(0xF3F4F6);

    private const int TextScale = 2;
    private const double LineWidth = 2.5;
    public const double MarkerRadius = 3.5;

    private readonly int[] _iterations;
    private readonly double[] _residuals;
    private readonly double _tolerance;

    public ConvergencePlot(IReadOnlyList<int> iterations, IReadOnlyList<double> residuals, double tolerance,
        string title, string? subtitle = null, int width = DefaultWidth, int height = DefaultHeight)
    {
        if (iterations.Count != residuals.Count) throw new ArgumentException("one residual per iteration is needed", nameof(residuals));
        _iterations = [.. iterations];
        _residuals = [.. residuals];
        _tolerance = tolerance;
        Title = title;
        Subtitle = subtitle;
        Width = width;
        Height = height;

        Left = 118;
        Right = width - 28;
        Top = subtitle is null ? 64 : 88;
        Bottom = height - 78;

        var logs = _residuals.Where(IsPlottable).Select(Math.Log10).ToList();
        if (IsPlottable(tolerance)) logs.Add(Math.Log10(tolerance));
        if (logs.Count == 0)
        {
            MinDecade = -1;
            MaxDecade = 0;
        }
        else
        {
            MinDecade = (int)Math.Floor(logs.Min());
            MaxDecade = (int)Math.Ceiling(logs.Max());
            if (MaxDecade == MinDecade) MaxDecade++;
        }

        if (_iterations.Length == 0)
        {
            MinIteration = 0;
            MaxIteration = 1;
        }
        else
        {
            MinIteration = _iterations.Min();
            MaxIteration = Math.Max(_iterations.Max(), MinIteration + 1);
        }
    }

    public string Title { get; }
    public string? Subtitle { get; }
    public int Width { get; }
    public int Height { get; }

    // The plot area, in pixels; inclusive.
    public int Left { get; }
    public int Right { get; }
    public int Top { get; }
    public int Bottom { get; }

    public int MinDecade { get; }
    public int MaxDecade { get; }
    public int MinIteration { get; }
    public int MaxIteration { get; }

    // Residuals the log axis can show; zero, negative and non-finite ones leave a gap in the line.
    public static bool IsPlottable(double v) => double.IsFinite(v) && v > 0;

    // Points sit a little inside the frame so markers at the ends are not cut by the axes.
    public double X(double iteration)
    {
        double pad = 14;
        return Left + pad + (iteration - MinIteration) / (MaxIteration - MinIteration) * (Right - Left - 2 * pad);
    }

    public double Y(double residual) =>
        Bottom - (Math.Log10(residual) - MinDecade) / (MaxDecade - MinDecade) * (Bottom - Top);

    public Raster Render()
    {
        var r = new Raster(Width, Height, Background);
        DrawTitles(r);
        DrawYAxis(r);
        DrawXAxis(r);
        DrawTolerance(r);
        DrawResiduals(r);
        r.HLine(Left, Right, Bottom, Axis);
        r.VLine(Left, Top, Bottom, Axis);
        DrawLegend(r);
        return r;
    }

    public byte[] RenderPng() => PngEncoder.Encode(Render());

    private void DrawTitles(Raster r)
    {
        BitmapFont.Draw(r, Fit(Title, Width - Left - 12), Left, 20, TextScale, Ink);
        if (Subtitle is not null) BitmapFont.Draw(r, Fit(Subtitle, Width - Left - 12), Left, 20 + 13 * TextScale, TextScale, Muted);
    }

    // Cuts text that would run off the image (a long scenario name), marking the cut with "..".
    private static string Fit(string text, int width)
    {
        if (BitmapFont.Measure(text, TextScale) <= width) return text;
        int chars = Math.Max(0, (width / TextScale + 1) / BitmapFont.Advance - 2);
        return text[..Math.Min(chars, text.Length)] + "..";
    }

    private void DrawYAxis(Raster r)
    {
        // Label every decade while they fit, else every k-th, so labels never overlap.
        int span = MaxDecade - MinDecade;
        int every = Math.Max(1, (int)Math.Ceiling(span / Math.Max(1.0, (Bottom - Top) / 36.0)));
        for (int d = MinDecade; d <= MaxDecade; d++)
        {
            int y = (int)Math.Round(Y(Math.Pow(10, d)));
            if (d < MaxDecade && every == 1)
            {
                for (int m = 2; m <= 9; m++)
                {
                    int ym = (int)Math.Round(Y(m * Math.Pow(10, d)));
                    r.HLine(Left + 1, Right, ym, MinorGrid);
                    r.HLine(Left - 3, Left - 1, ym, Axis);
                }
            }
            r.HLine(Left + 1, Right, y, Grid);
            r.HLine(Left - 6, Left - 1, y, Axis);
            if ((d - MinDecade) % every == 0) DrawPowerOfTen(r, d, Left - 10, y);
        }
        const string label = "relative residual (log scale)";
        int len = BitmapFont.Measure(label, TextScale);
        BitmapFont.DrawUp(r, label, 14, (Top + Bottom) / 2 - len / 2, TextScale, Muted);
    }

    // "10" with the exponent raised and smaller, right-aligned at x and centred on y.
    private static void DrawPowerOfTen(Raster r, int exponent, int rightX, int centreY)
    {
        string exp = exponent.ToString(CultureInfo.InvariantCulture);
        int expWidth = BitmapFont.Measure(exp, 1);
        int baseWidth = BitmapFont.Measure("10", TextScale);
        int x = rightX - expWidth - 1 - baseWidth;
        int y = centreY - BitmapFont.Baseline * TextScale / 2;
        BitmapFont.Draw(r, "10", x, y, TextScale, Muted);
        BitmapFont.Draw(r, exp, x + baseWidth + 2, y - 4, 1, Muted);
    }

    private void DrawXAxis(Raster r)
    {
        int range = MaxIteration - MinIteration;
        int step = NiceStep(range, Math.Max(2, (Right - Left) / 70));
        int first = (int)Math.Ceiling(MinIteration / (double)step) * step;
        for (int it = first; it <= MaxIteration; it += step)
        {
            int x = (int)Math.Round(X(it));
            r.VLine(x, Top, Bottom - 1, Grid);
            r.VLine(x, Bottom + 1, Bottom + 6, Axis);
            string s = it.ToString(CultureInfo.InvariantCulture);
            BitmapFont.Draw(r, s, x - BitmapFont.Measure(s, TextScale) / 2, Bottom + 12, TextScale, Muted);
        }
        const string label = "iteration";
        BitmapFont.Draw(r, label, (Left + Right) / 2 - BitmapFont.Measure(label, TextScale) / 2, Bottom + 44, TextScale, Muted);
    }

    // The smallest 1-2-5 step that gives at most `maxTicks` intervals over `range`.
    internal static int NiceStep(int range, int maxTicks)
    {
        for (int magnitude = 1; ; magnitude *= 10)
        {
            foreach (int m in (int[])[1, 2, 5])
            {
                int step = m * magnitude;
                if (range / step <= maxTicks) return step;
            }
        }
    }

    private void DrawTolerance(Raster r)
    {
        if (!IsPlottable(_tolerance)) return;
        double y = Y(_tolerance);
        r.DashedHLine(Left + 1, Right, y, 2, 8, 5, ToleranceColor);
        string label = "tolerance " + Scientific(_tolerance);
        int w = BitmapFont.Measure(label, TextScale);
        // At the left, where a converging curve is still far above the tolerance; above the line
        // unless that would leave the plot area.
        int ty = y - 24 >= Top + 4 ? (int)y - 24 : (int)y + 8;
        r.FillRect(Left + 6, ty - 2, w + 4, 18 + 4, Background);
        BitmapFont.Draw(r, label, Left + 8, ty, TextScale, ToleranceColor);
    }

    private void DrawResiduals(Raster r)
    {
        var clip = (Left + 1, Top, Right, Bottom - 1);
        var run = new List<(double, double)>();
        for (int i = 0; i <= _residuals.Length; i++)
        {
            if (i < _residuals.Length && IsPlottable(_residuals[i]))
            {
                run.Add((X(_iterations[i]), Y(_residuals[i])));
                continue;
            }
            r.Polyline(run, LineWidth, ResidualColor, clip);
            run.Clear();
        }
        for (int i = 0; i < _residuals.Length; i++)
        {
            if (IsPlottable(_residuals[i])) r.Disc(X(_iterations[i]), Y(_residuals[i]), MarkerRadius, ResidualColor);
        }
        if (!_residuals.Any(IsPlottable))
        {
            string note = _residuals.Length == 0 ? "no completed iteration" : "no positive finite residual to plot";
            BitmapFont.Draw(r, note, (Left + Right) / 2 - BitmapFont.Measure(note, TextScale) / 2, (Top + Bottom) / 2 - 9, TextScale, Muted);
        }
    }

    private void DrawLegend(Raster r)
    {
        const string a = "relative residual", b = "tolerance";
        int w = 36 + Math.Max(BitmapFont.Measure(a, TextScale), BitmapFont.Measure(b, TextScale)) + 16;
        int h = IsPlottable(_tolerance) ? 56 : 32;
        // Top right, where a converging curve has left the space free.
        int x = Right - w - 8, y = Top + 8;
        r.FillRect(x, y, w, h, Background);
        r.HLine(x, x + w - 1, y, Grid);
        r.HLine(x, x + w - 1, y + h - 1, Grid);
        r.VLine(x, y, y + h - 1, Grid);
        r.VLine(x + w - 1, y, y + h - 1, Grid);
        r.Polyline([(x + 8, y + 16), (x + 32, y + 16)], LineWidth, ResidualColor, (x, y, x + w, y + h));
        r.Disc(x + 20, y + 16, MarkerRadius, ResidualColor);
        BitmapFont.Draw(r, a, x + 40, y + 9, TextScale, Ink);
        if (h > 32)
        {
            r.DashedHLine(x + 8, x + 32, y + 40, 2, 8, 5, ToleranceColor);
            BitmapFont.Draw(r, b, x + 40, y + 33, TextScale, Ink);
        }
    }

    internal static string Scientific(double v) =>
        double.IsFinite(v) ? v.ToString("0.0e+0", CultureInfo.InvariantCulture) : v.ToString(CultureInfo.InvariantCulture);
}
