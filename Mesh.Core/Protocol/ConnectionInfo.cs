using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mesh.Protocol;

/// <summary>
/// The connection file (docs/protocol.md section 3): written by the manager (mode 0600, it holds
/// the key) before launch; the client variant adds the kernel's addresses after registration.
/// </summary>
public sealed record ConnectionInfo
{
    /// <summary>Protocol tag.</summary>
    [JsonPropertyName("protocol")] public string Protocol { get; init; } = "MESH/1";
    /// <summary>Kernel id.</summary>
    [JsonPropertyName("kernel_id")] public required string KernelId { get; init; }
    /// <summary>Signing key (its UTF-8 bytes are the HMAC key).</summary>
    [JsonPropertyName("key")] public required string Key { get; init; }
    /// <summary>Always hmac-sha256.</summary>
    [JsonPropertyName("signature_scheme")] public string SignatureScheme { get; init; } = "hmac-sha256";
    /// <summary><c>tcp</c> or <c>ipc</c>.</summary>
    [JsonPropertyName("transport")] public string Transport { get; init; } = "tcp";
    /// <summary>Interface to bind for tcp.</summary>
    [JsonPropertyName("ip")] public string Ip { get; init; } = "127.0.0.1";
    /// <summary>Directory for ipc socket files.</summary>
    [JsonPropertyName("ipc_dir")] public string? IpcDir { get; init; }
    /// <summary>The manager's registration address.</summary>
    [JsonPropertyName("registration")] public string? Registration { get; init; }
    /// <summary>The manager's pid, watched by the kernel.</summary>
    [JsonPropertyName("parent_pid")] public int? ParentPid { get; init; }
    /// <summary>Largest accepted frame.</summary>
    [JsonPropertyName("max_message_bytes")] public long MaxMessageBytes { get; init; } = int.MaxValue;
    /// <summary>Heartbeat interval.</summary>
    [JsonPropertyName("heartbeat_ms")] public int HeartbeatMs { get; init; } = 1000;
    /// <summary>Health address (client connection files).</summary>
    [JsonPropertyName("health")] public string? Health { get; init; }
    /// <summary>Submit address (client connection files).</summary>
    [JsonPropertyName("submit")] public string? Submit { get; init; }
    /// <summary>Get address (client connection files).</summary>
    [JsonPropertyName("get")] public string? Get { get; init; }
    /// <summary>Kernel pid (client connection files).</summary>
    [JsonPropertyName("pid")] public int? Pid { get; init; }

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    /// <summary>Writes the file owner-only (0600) from the start: the key is never world-readable, even briefly.</summary>
    public void Write(string path)
    {
        var opts = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        using (var fs = new FileStream(path, opts)) JsonSerializer.Serialize(fs, this, Options);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>Reads a connection file, with errors that name the file and the problem.</summary>
    public static ConnectionInfo Read(string path)
    {
        try
        {
            using var fs = File.OpenRead(path);
            var info = JsonSerializer.Deserialize<ConnectionInfo>(fs, Options) ?? throw new InvalidDataException("file is empty");
            if (info.Protocol != "MESH/1") throw new InvalidDataException($"protocol '{info.Protocol}' is not MESH/1");
            if (info.SignatureScheme != "hmac-sha256") throw new InvalidDataException($"signature scheme '{info.SignatureScheme}' is not hmac-sha256");
            return info;
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new MeshException($"cannot read connection file '{path}': {e.Message}", e);
        }
    }
}
