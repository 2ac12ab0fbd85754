namespace OgClews.Reporting.Png;

// An RGB image with the few anti-aliased primitives a line chart needs. Coverage is computed from
// the exact distance to the shape, so lines and markers look smooth without supersampling.
internal sealed class Raster
{
    public Raster(int width, int height, Rgb background)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), "the image must not be empty");
        Width = width;
        Height = height;
        Pixels = new byte[width * height * 3];
        FillRect(0, 0, width, height, background);
    }

    public int Width { get; }
    public int Height { get; }
    public byte[] Pixels { get; }

    public Rgb this[int x, int y]
    {
        get
        {
            int i = (y * Width + x) * 3;
            return new Rgb(Pixels[i], Pixels[i + 1], Pixels[i + 2]);
        }
    }

    public void Blend(int x, int y, Rgb c, double alpha)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height || alpha <= 0) return;
        if (alpha > 1) alpha = 1;
        int i = (y * Width + x) * 3;
        Pixels[i] = Mix(Pixels[i], c.R, alpha);
        Pixels[i + 1] = Mix(Pixels[i + 1], c.G, alpha);
        Pixels[i + 2] = Mix(Pixels[i + 2], c.B, alpha);
    }

    private static byte Mix(byte under, byte over, double a) => (byte)Math.Round(under + (over - under) * a);

    public void FillRect(int x, int y, int w, int h, Rgb c)
    {
        int x0 = Math.Max(0, x), y0 = Math.Max(0, y), x1 = Math.Min(Width, x + w), y1 = Math.Min(Height, y + h);
        for (int yy = y0; yy < y1; yy++)
        {
            for (int xx = x0; xx < x1; xx++)
            {
                int i = (yy * Width + xx) * 3;
                Pixels[i] = c.R; Pixels[i + 1] = c.G; Pixels[i + 2] = c.B;
            }
        }
    }

    // Crisp one-pixel rules for axes and grid, which should not be blurred by anti-aliasing.
    public void HLine(int x0, int x1, int y, Rgb c) => FillRect(Math.Min(x0, x1), y, Math.Abs(x1 - x0) + 1, 1, c);

    public void VLine(int x, int y0, int y1, Rgb c) => FillRect(x, Math.Min(y0, y1), 1, Math.Abs(y1 - y0) + 1, c);

    // A connected line through the points, `width` pixels wide, clipped to the clip rectangle. Each
    // pixel takes the largest coverage over all segments, so joints are not painted twice.
    public void Polyline(IReadOnlyList<(double X, double Y)> points, double width, Rgb c, (int X0, int Y0, int X1, int Y1) clip)
    {
        if (points.Count == 0) return;
        if (points.Count == 1)
        {
            Disc(points[0].X, points[0].Y, width / 2, c);
            return;
        }
        double half = width / 2;
        var coverage = new Dictionary<int, double>();
        for (int s = 0; s + 1 < points.Count; s++)
        {
            var (ax, ay) = points[s];
            var (bx, by) = points[s + 1];
            int x0 = Math.Max(clip.X0, (int)Math.Floor(Math.Min(ax, bx) - half - 1));
            int x1 = Math.Min(clip.X1, (int)Math.Ceiling(Math.Max(ax, bx) + half + 1));
            int y0 = Math.Max(clip.Y0, (int)Math.Floor(Math.Min(ay, by) - half - 1));
            int y1 = Math.Min(clip.Y1, (int)Math.Ceiling(Math.Max(ay, by) + half + 1));
            for (int y = y0; y <= y1; y++)
            {
                for (int x = x0; x <= x1; x++)
                {
                    double cov = Math.Clamp(half + 0.5 - DistanceToSegment(x + 0.5, y + 0.5, ax, ay, bx, by), 0, 1);
                    if (cov <= 0) continue;
                    int key = y * Width + x;
                    if (!coverage.TryGetValue(key, out double old) || cov > old) coverage[key] = cov;
                }
            }
        }
        foreach (var (key, cov) in coverage) Blend(key % Width, key / Width, c, cov);
    }

    // A horizontal dashed line; dashes are whole pixels so the pattern stays even.
    public void DashedHLine(double x0, double x1, double y, double width, int dash, int gap, Rgb c)
    {
        double half = width / 2;
        int top = (int)Math.Floor(y - half - 1), bottom = (int)Math.Ceiling(y + half + 1);
        for (int x = (int)Math.Round(x0); x <= (int)Math.Round(x1); x++)
        {
            if ((x - (int)Math.Round(x0)) % (dash + gap) >= dash) continue;
            for (int yy = top; yy <= bottom; yy++) Blend(x, yy, c, Math.Clamp(half + 0.5 - Math.Abs(yy + 0.5 - y), 0, 1));
        }
    }

    public void Disc(double cx, double cy, double r, Rgb c)
    {
        for (int y = (int)Math.Floor(cy - r - 1); y <= (int)Math.Ceiling(cy + r + 1); y++)
        {
            for (int x = (int)Math.Floor(cx - r - 1); x <= (int)Math.Ceiling(cx + r + 1); x++)
            {
                double d = Math.Sqrt((x + 0.5 - cx) * (x + 0.5 - cx) + (y + 0.5 - cy) * (y + 0.5 - cy));
                Blend(x, y, c, Math.Clamp(r + 0.5 - d, 0, 1));
            }
        }
    }

    private static double DistanceToSegment(double px, double py, double ax, double ay, double bx, double by)
    {
        double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
        double t = len2 == 0 ? 0 : Math.Clamp(((px - ax) * dx + (py - ay) * dy) / len2, 0, 1);
        double qx = ax + t * dx - px, qy = ay + t * dy - py;
        return Math.Sqrt(qx * qx + qy * qy);
    }
}
