using Mesh.Protocol;

namespace Mesh.Kernel.Proxies;

/// <summary>A proxy operation refused with one of the protocol's proxy error codes (section 9.5).</summary>
internal sealed class ProxyException(ErrorCode code, string message) : Exception(message)
{
    public ErrorCode Code { get; } = code;
}
