using Mesh.Protocol;

namespace Mesh.Codec;

/// <summary>Bytes that are not valid MessagePack, or exceed a decoding limit.</summary>
public sealed class MessagePackFormatException : ProtocolException
{
    /// <summary>Creates the exception; <paramref name="offset"/> is where decoding failed.</summary>
    public MessagePackFormatException(string message, int offset)
        : base(ErrorCode.MalformedMessage, $"{message} (at byte {offset})") => Offset = offset;

    /// <summary>Byte offset at which decoding failed.</summary>
    public int Offset { get; }
}
