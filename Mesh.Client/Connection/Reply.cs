using Mesh.Protocol;

namespace Mesh.Client.Connection;

/// <summary>A decoded reply from a kernel.</summary>
internal sealed record Reply(MessageHeader Header, IReadOnlyDictionary<string, object?> Content)
{
    /// <summary>If the kernel answered with error_reply, the error as an exception.</summary>
    public Reply ThrowIfError(string kernelId)
    {
        if (Header.Type == MessageTypes.ErrorReply) throw new RemoteTaskException(RemoteError.FromMap(Content.GetValueOrDefault("error")), kernelId);
        return this;
    }
}
