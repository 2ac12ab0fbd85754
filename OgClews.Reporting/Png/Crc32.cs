namespace OgClews.Reporting.Png;

// The CRC-32 PNG chunks carry (ISO 3309 / ITU-T V.42, reflected polynomial 0xEDB88320), table-driven.
// Written here because System.IO.Hashing is a separate package the project does not take on.
internal static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }

    // Continues a running CRC; start with 0. Chunk CRCs cover the type and the data, so callers chain two spans.
    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        foreach (byte b in data) c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
        return ~c;
    }

    public static uint Compute(ReadOnlySpan<byte> data) => Update(0, data);
}
