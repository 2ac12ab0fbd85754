using System.Text.Json.Serialization;

namespace Mesh.Benchmarks.WebEcho;

/// <summary>
/// The body of an echo request and of its response: a byte string (base64 in JSON, used for the
/// 1 B case, like Mesh's bin) or a float64 array (a JSON array of numbers). Shared with the
/// client in Mesh.Benchmarks so both ends use the same source-generated serializer.
/// </summary>
public sealed record EchoPayload(byte[]? Bytes, double[]? Values);

/// <summary>Source-generated JSON (de)serialization: the fastest System.Text.Json path, which a
/// performance-minded web API would use.</summary>
/// <remarks>Null members are left out: the generated fast path writes a null byte[] as "" (an
/// empty array once read back; dotnet/runtime#129833), and leaving nulls out avoids that.</remarks>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(EchoPayload))]
public sealed partial class EchoJson : JsonSerializerContext;
