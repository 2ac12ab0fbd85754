using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace OgClews.Reporting.Png;

// Writes 8-bit RGB PNGs (colour type 2, no interlace). Each scanline uses the Up filter: the plots are
// mostly flat colour and horizontal structure, where Up makes long zero runs that deflate well.
internal static class PngEncoder
{
    public static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public static byte[] Encode(Raster image)
    {
        using var output = new MemoryStream();
        output.Write(Signature);

        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, image.Width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], image.Height);
        ihdr[8] = 8;  // bits per sample
        ihdr[9] = 2;  // truecolour
        ihdr[10] = 0; // deflate
        ihdr[11] = 0; // adaptive filtering
        ihdr[12] = 0; // no interlace
        WriteChunk(output, "IHDR", ihdr);

        WriteChunk(output, "IDAT", Compress(image));
        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    private static byte[] Compress(Raster image)
    {
        int stride = image.Width * 3;
        ReadOnlySpan<byte> pixels = image.Pixels;
        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            var line = new byte[stride + 1];
            line[0] = 2; // Up
            for (int y = 0; y < image.Height; y++)
            {
                var row = pixels.Slice(y * stride, stride);
                if (y == 0)
                {
                    row.CopyTo(line.AsSpan(1));
                }
                else
                {
                    var above = pixels.Slice((y - 1) * stride, stride);
                    for (int i = 0; i < stride; i++) line[i + 1] = unchecked((byte)(row[i] - above[i]));
                }
                z.Write(line);
            }
        }
        return compressed.ToArray();
    }

    private static void WriteChunk(Stream output, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, data.Length);
        Encoding.ASCII.GetBytes(type, header[4..]);
        output.Write(header);
        output.Write(data);
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32.Update(Crc32.Compute(header[4..]), data));
        output.Write(crc);
    }
}
