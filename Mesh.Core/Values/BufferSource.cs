using Mesh.Codec;
using Mesh.Transport;

namespace Mesh.Values;

/// <summary>
/// The buffer frames that follow a content frame, handed out to the decoder by index. Every frame
/// must be referenced exactly once (docs/protocol.md section 4.3); <see cref="EnsureAllUsed"/> checks it.
/// </summary>
public sealed class BufferSource
{
    private readonly IReadOnlyList<ReceivedFrame> _frames;
    private readonly int _offset;
    private readonly bool[] _used;

    /// <summary>No buffers at all.</summary>
    public static BufferSource Empty { get; } = new([], 0);

    /// <summary>Buffers are <paramref name="frames"/>[<paramref name="offset"/>..].</summary>
    public BufferSource(IReadOnlyList<ReceivedFrame> frames, int offset)
    {
        _frames = frames;
        _offset = offset;
        _used = new bool[Math.Max(0, frames.Count - offset)];
    }

    /// <summary>Number of buffer frames.</summary>
    public int Count => _used.Length;

    internal ReadOnlySpan<byte> Take(ulong index)
    {
        if (index >= (ulong)_used.Length) throw new MessagePackFormatException($"ndarray references buffer {index} but the message has {_used.Length}", 0);
        if (_used[index]) throw new MessagePackFormatException($"buffer {index} is referenced twice", 0);
        _used[index] = true;
        return _frames[_offset + (int)index].Span;
    }

    /// <summary>Throws if a buffer frame was not referenced by the content.</summary>
    public void EnsureAllUsed()
    {
        for (int i = 0; i < _used.Length; i++)
            if (!_used[i]) throw new MessagePackFormatException($"buffer frame {i} is not referenced by the content", 0);
    }
}
