using Mesh.Protocol;

namespace Mesh;

/// <summary>A message broke the Mesh protocol (bad frames, bad MessagePack, bad signature...).</summary>
public class ProtocolException : MeshException
{
    /// <summary>Creates the exception with the protocol error code that describes it.</summary>
    public ProtocolException(ErrorCode code, string message, Exception? inner = null) : base(message, inner) => Code = code;

    /// <summary>The protocol error code.</summary>
    public ErrorCode Code { get; }
}
