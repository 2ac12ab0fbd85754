using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OgClews.Coupling.Checkpointing;

// Writes doubles in the shortest form that parses back to the same bits ("R"), and reads them with
// the IEEE-correct parser; -0 stays -0. NaN and ±∞ (which JSON numbers cannot hold) are the strings
// "NaN", "Infinity", "-Infinity".
internal sealed class RoundTripDoubleConverter : JsonConverter<double>
{
    public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString() switch
            {
                "NaN" => double.NaN,
                "Infinity" => double.PositiveInfinity,
                "-Infinity" => double.NegativeInfinity,
                var s => throw new JsonException($"'{s}' is not a number."),
            };
        }
        if (reader.TokenType != JsonTokenType.Number) throw new JsonException($"Expected a number, found {reader.TokenType}.");
        ReadOnlySpan<byte> utf8 = reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan;
        return double.Parse(utf8, NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
    {
        if (double.IsNaN(value)) writer.WriteStringValue("NaN");
        else if (double.IsPositiveInfinity(value)) writer.WriteStringValue("Infinity");
        else if (double.IsNegativeInfinity(value)) writer.WriteStringValue("-Infinity");
        else
        {
            Span<byte> buffer = stackalloc byte[32];
            if (!value.TryFormat(buffer, out int written, "R", CultureInfo.InvariantCulture))
                throw new InvalidOperationException("A double did not fit 32 bytes."); // cannot happen: "R" needs at most 24
            writer.WriteRawValue(buffer[..written], skipInputValidation: true);
        }
    }
}
