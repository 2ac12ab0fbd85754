using System.Text;
using OgClews.Reporting.Input;
using OgClews.Reporting.Png;

namespace OgClews.Reporting.Tests;

public class PngTests
{
    [Fact]
    public void Crc32_matches_the_standard_check_value_and_a_bitwise_implementation()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute(Encoding.ASCII.GetBytes("123456789")));
        Assert.Equal(0u, Crc32.Compute([]));
        var data = new byte[4099];
        new Random(3).NextBytes(data);
        Assert.Equal(PngReader.BitwiseCrc(data), Crc32.Compute(data));
        Assert.Equal(Crc32.Compute(data), Crc32.Update(Crc32.Compute(data.AsSpan(0, 1000)), data.AsSpan(1000)));
    }

    [Fact]
    public void Encoded_pixels_decode_back_exactly()
    {
        var raster = new Raster(37, 23, Rgb.Hex(0xFFFFFF));
        var random = new Random(11);
        random.NextBytes(raster.Pixels);
        byte[] png = PngEncoder.Encode(raster);
        var decoded = PngReader.Read(png);
        Assert.Equal(["IHDR", "IDAT", "IEND"], decoded.ChunkTypes);
        Assert.Equal(37, decoded.Width);
        Assert.Equal(23, decoded.Height);
        Assert.Equal(raster.Pixels, decoded.Rgb);
    }

    [Fact]
    public void Convergence_png_of_the_fixture_has_the_line_points_and_tolerance()
    {
        using var run = new TempRunFolder();
        var files = ReportWriter.Write(run.Path);
        var png = PngReader.Read(File.ReadAllBytes(files.PngPath));
        Assert.Equal(ConvergencePlot.DefaultWidth, png.Width);
        Assert.Equal(ConvergencePlot.DefaultHeight, png.Height);

        var folder = RunFolder.Load(run.Path);
        var plot = ReportWriter.ConvergencePlotFor(folder);
        var blue = ConvergencePlot.ResidualColor;
        var red = ConvergencePlot.ToleranceColor;

        // Each residual's marker is drawn at its place, centred exactly on the point.
        for (int i = 0; i < folder.Iterations.Count; i++)
        {
            int x = (int)Math.Floor(plot.X(folder.Iterations.Iteration[i]));
            int y = (int)Math.Floor(plot.Y(folder.Iterations.Residual[i]));
            Assert.Equal((blue.R, blue.G, blue.B), png.Pixel(x, y));
        }

        // The line between two markers: the midpoint of each segment is solid line colour.
        for (int i = 0; i + 1 < folder.Iterations.Count; i++)
        {
            double mx = (plot.X(i) + plot.X(i + 1)) / 2, my = (plot.Y(folder.Iterations.Residual[i]) + plot.Y(folder.Iterations.Residual[i + 1])) / 2;
            Assert.Equal((blue.R, blue.G, blue.B), png.Pixel((int)Math.Floor(mx), (int)Math.Floor(my)));
        }

        // The dashed tolerance line: a row of red dashes across the plot.
        int ty = (int)Math.Floor(plot.Y(1e-6));
        int redOnRow = Enumerable.Range(plot.Left, plot.Right - plot.Left).Count(x => png.Pixel(x, ty) == (red.R, red.G, red.B));
        Assert.InRange(redOnRow, (plot.Right - plot.Left) / 3, plot.Right - plot.Left);

        // Axes run 1e-8 (below the last residual) to 1e0, and the corners stay background.
        Assert.Equal(-8, plot.MinDecade);
        Assert.Equal(0, plot.MaxDecade);
        Assert.Equal(((byte)255, (byte)255, (byte)255), png.Pixel(png.Width - 1, png.Height - 1));
        Assert.Equal(((byte)255, (byte)255, (byte)255), png.Pixel(0, 0));
    }

    [Fact]
    public void Text_is_drawn_in_the_margins()
    {
        using var run = new TempRunFolder();
        var png = PngReader.Read(File.ReadAllBytes(ReportWriter.Write(run.Path).PngPath));
        var folder = RunFolder.Load(run.Path);
        var plot = ReportWriter.ConvergencePlotFor(folder);
        // Title band, y tick labels, x tick labels and the rotated y-axis title all leave dark pixels.
        Assert.True(DarkPixels(png, 0, 0, png.Width, plot.Top - 10) > 500);
        Assert.True(DarkPixels(png, 40, plot.Top, plot.Left - 8, plot.Bottom) > 200);
        Assert.True(DarkPixels(png, 0, plot.Top, 36, plot.Bottom) > 200);
        Assert.True(DarkPixels(png, plot.Left, plot.Bottom + 8, plot.Right, png.Height) > 200);
    }

    [Fact]
    public void Gaps_and_empty_runs_still_give_a_valid_image()
    {
        var gaps = new ConvergencePlot([0, 1, 2, 3], [0.5, double.NaN, 0.0, 1e-3], 1e-6, "t");
        var a = PngReader.Read(gaps.RenderPng());
        Assert.Equal(ConvergencePlot.ResidualColor.R, a.Pixel((int)gaps.X(3), (int)gaps.Y(1e-3)).R);

        var empty = new ConvergencePlot([], [], double.NaN, "no iterations", "subtitle");
        var b = PngReader.Read(empty.RenderPng());
        Assert.Equal(960, b.Width);
        // Nothing in the residual colour inside the plot but the legend's sample (top right).
        var c = ConvergencePlot.ResidualColor;
        int inPlot = 0;
        for (int y = empty.Top; y <= empty.Bottom; y++)
            for (int x = empty.Left; x < (empty.Left + empty.Right) / 2; x++)
                if (b.Pixel(x, y) == (c.R, c.G, c.B)) inPlot++;
        Assert.Equal(0, inPlot);

        // A single iteration and a residual range of one decade.
        var one = new ConvergencePlot([0], [0.3], 0.2, "one", width: 400, height: 300);
        Assert.Equal(400, PngReader.Read(one.RenderPng()).Width);
        Assert.Equal(-1, one.MinDecade);
        Assert.Equal(0, one.MaxDecade);
    }

    [Theory]
    [InlineData(1, 10, 1)]
    [InlineData(12, 10, 2)]
    [InlineData(40, 10, 5)]
    [InlineData(60, 10, 10)]
    [InlineData(900, 10, 100)]
    public void Iteration_ticks_use_1_2_5_steps(int range, int maxTicks, int step) =>
        Assert.Equal(step, ConvergencePlot.NiceStep(range, maxTicks));

    [Fact]
    public void Font_covers_the_text_the_plot_draws()
    {
        const string used = "Convergence of the coupled OG-CLEWS run scenario demo · anderson · Converged after 7 iterations " +
                            "final residual 3.1e-8 relative residual (log scale) iteration tolerance 1.0e-6 0123456789 " +
                            "MaxIterations Oscillating Diverged Cancelled damped aitken no completed positive finite to plot";
        Assert.All(used, c => Assert.True(BitmapFont.HasGlyph(c), $"no glyph for '{c}'"));
        for (char c = 'A'; c <= 'Z'; c++) Assert.True(BitmapFont.HasGlyph(c) && BitmapFont.HasGlyph(char.ToLowerInvariant(c)));
    }

    private static int DarkPixels(PngReader png, int x0, int y0, int x1, int y1)
    {
        int n = 0;
        for (int y = y0; y < y1; y++)
        {
            for (int x = x0; x < x1; x++)
            {
                var (r, g, b) = png.Pixel(x, y);
                if (r + g + b < 3 * 140) n++;
            }
        }
        return n;
    }
}
