using System.Buffers;
using System.Text;
using Mesh.Codec;
using Mesh.Transport;
using Mesh.Values;

namespace Mesh.Protocol;

/// <summary>
/// Encodes and decodes the frames of a Mesh message: tag, signature, header, content, buffers
/// (docs/protocol.md section 2). Transport-agnostic except for <see cref="Send"/>.
/// </summary>
public static class Envelope
{
    /// <summary>The protocol tag frame, <c>MESH/1</c>.</summary>
    public static ReadOnlySpan<byte> Tag => "MESH/1"u8;

    /// <summary>Largest number of buffer frames accepted in one message.</summary>
    public const int MaxBuffers = 4096;

    /// <summary>
    /// Encodes a message. Header and content are written into one contiguous buffer so the
    /// signature is computed in one pass; ndarray bytes are referenced, not copied.
    /// </summary>
    public static EncodedMessage Encode(Signer signer, in MessageHeader header, object? content)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        var w = new MessagePackWriter(buffer);
        WriteHeader(ref w, header);
        int headerLength = buffer.WrittenCount;
        var buffers = new List<NDArray>();
        ValueEncoder.Write(ref w, content, buffers);
        var signature = signer.Enabled ? new byte[Signer.SignatureLength] : [];
        if (signer.Enabled) signer.Sign(buffer.WrittenSpan, signature);
        return new EncodedMessage(buffer.WrittenMemory, headerLength, signature, buffers);
    }

    /// <summary>Writes the header map with keys in the spec's order.</summary>
    public static void WriteHeader(ref MessagePackWriter w, in MessageHeader h)
    {
        w.WriteMapHeader(5);
        w.WriteString("id"u8); w.Write(h.Id);
        w.WriteString("type"u8); w.Write(h.Type);
        w.WriteString("session"u8); w.Write(h.Session);
        w.WriteString("date"u8); w.Write(h.Date);
        w.WriteString("parent_id"u8); w.Write(h.ParentId);
    }

    /// <summary>
    /// Sends identity frames (for ROUTER sockets) and then the message. Returns false when the
    /// peer is gone (ROUTER) or the send would block (full pipe); the message is then dropped.
    /// </summary>
    public static bool Send(IMessageSocket socket, ReadOnlySpan<byte> identity, EncodedMessage message)
    {
        if (!identity.IsEmpty && !socket.Send(identity, more: true, dontWait: true)) return false;
        socket.Send(Tag, more: true);
        socket.Send(message.Signature, more: true);
        var span = message.HeaderAndContent.Span;
        int nBuffers = message.Buffers.Count;
        socket.Send(span[..message.HeaderLength], more: true);
        socket.Send(span[message.HeaderLength..], more: nBuffers > 0);
        for (int i = 0; i < nBuffers; i++)
        {
            var nd = message.Buffers[i];
            bool more = i < nBuffers - 1;
            if (nd.ByteLength >= ZmqSocket.ZeroCopyThreshold) socket.SendZeroCopy(nd.Data, 0, nd.ByteLength, more);
            else socket.Send(nd.AsBytes(), more);
        }
        return true;
    }

    /// <summary>
    /// Parses received frames (after <paramref name="identityFrames"/> routing frames): checks the
    /// tag and signature and decodes the header. Content is decoded later, by <see cref="IncomingMessage.ReadContent"/>.
    /// </summary>
    public static IncomingMessage Parse(Signer signer, List<ReceivedFrame> frames, int identityFrames)
    {
        int n = frames.Count - identityFrames;
        if (n < 4) throw new ProtocolException(ErrorCode.MalformedMessage, $"a message needs at least 4 frames after routing, got {Math.Max(0, n)}");
        var tag = frames[identityFrames].Span;
        if (!tag.SequenceEqual(Tag))
        {
            if (tag.StartsWith("MESH/"u8)) throw new ProtocolException(ErrorCode.UnsupportedVersion, $"unsupported protocol version '{Encoding.ASCII.GetString(tag)}'; this side speaks MESH/1");
            throw new ProtocolException(ErrorCode.MalformedMessage, "first frame is not the MESH/1 tag");
        }
        if (n - 4 > MaxBuffers) throw new ProtocolException(ErrorCode.MalformedMessage, $"{n - 4} buffer frames exceed the limit of {MaxBuffers}");
        var headerFrame = frames[identityFrames + 2].Span;
        var contentFrame = frames[identityFrames + 3].Span;
        if (!signer.Verify(headerFrame, contentFrame, frames[identityFrames + 1].Span))
            throw new ProtocolException(ErrorCode.BadSignature, "signature does not verify");
        var header = ReadHeader(headerFrame);
        return new IncomingMessage(header, frames, identityFrames);
    }

    /// <summary>Decodes a header frame; unknown keys are ignored, any key order is accepted.</summary>
    public static MessageHeader ReadHeader(ReadOnlySpan<byte> frame)
    {
        var r = new MessagePackReader(frame, 4);
        if (r.PeekType() != MessagePackType.Map) throw new ProtocolException(ErrorCode.MalformedMessage, "header is not a map");
        int count = r.ReadMapHeader();
        string? id = null, type = null, session = null, parent = null;
        DateTime date = default;
        for (int i = 0; i < count; i++)
        {
            if (r.PeekType() != MessagePackType.String) { r.Skip(); r.Skip(); continue; }
            var key = r.ReadStringBytes();
            if (key.SequenceEqual("id"u8)) id = ReadOptionalString(ref r);
            else if (key.SequenceEqual("type"u8)) type = ReadOptionalString(ref r);
            else if (key.SequenceEqual("session"u8)) session = ReadOptionalString(ref r);
            else if (key.SequenceEqual("parent_id"u8)) parent = ReadOptionalString(ref r);
            else if (key.SequenceEqual("date"u8) && r.PeekType() == MessagePackType.Extension)
            {
                var (t, len) = r.ReadExtensionHeader();
                var payload = r.ReadRaw(len);
                if (t == ValueEncoder.TimestampExt) date = MessagePackReader.DecodeTimestamp(payload);
            }
            else r.Skip();
        }
        r.EnsureEnd();
        if (id is null || type is null) throw new ProtocolException(ErrorCode.MalformedMessage, "header lacks a string 'id' or 'type'");
        return new MessageHeader(id, type, session ?? "", date, parent);
    }

    private static string? ReadOptionalString(ref MessagePackReader r) =>
        r.PeekType() is MessagePackType.String or MessagePackType.Nil ? r.ReadString() : SkipAndNull(ref r);

    private static string? SkipAndNull(ref MessagePackReader r) { r.Skip(); return null; }
}

/// <summary>A message ready to send: signed header+content bytes and referenced array buffers.</summary>
/// <param name="HeaderAndContent">Header bytes followed by content bytes.</param>
/// <param name="HeaderLength">Where the content starts.</param>
/// <param name="Signature">32-byte signature, or empty when signing is off.</param>
/// <param name="Buffers">Arrays sent as buffer frames, in index order.</param>
public sealed record EncodedMessage(ReadOnlyMemory<byte> HeaderAndContent, int HeaderLength, byte[] Signature, List<NDArray> Buffers);

/// <summary>A received, signature-checked message whose content is decoded on demand.</summary>
public sealed class IncomingMessage : IDisposable
{
    private readonly List<ReceivedFrame> _frames;
    private readonly int _identityFrames;

    internal IncomingMessage(MessageHeader header, List<ReceivedFrame> frames, int identityFrames)
    {
        Header = header;
        _frames = frames;
        _identityFrames = identityFrames;
    }

    /// <summary>The decoded header.</summary>
    public MessageHeader Header { get; }

    /// <summary>The routing identity (ROUTER sockets), empty otherwise.</summary>
    public byte[] Identity => _identityFrames > 0 ? _frames[0].ToArray() : [];

    /// <summary>Decodes the content as a map, resolving buffer frames; every buffer must be referenced once.</summary>
    public IReadOnlyDictionary<string, object?> ReadContent()
    {
        var buffers = new BufferSource(_frames, _identityFrames + 4);
        var value = ValueDecoder.Decode(_frames[_identityFrames + 3].Span, buffers);
        buffers.EnsureAllUsed();
        return value as Dictionary<string, object?> ?? throw new ProtocolException(ErrorCode.MalformedMessage, "content is not a map with string keys");
    }

    /// <summary>Releases large frames still held in native memory (decoded values are copies).</summary>
    public void Dispose()
    {
        foreach (var f in _frames) f.Dispose();
    }
}
