using System.Collections.Concurrent;
using Mesh.Protocol;
using Mesh.Transport;
using Mesh.Values;

namespace Mesh.Client.Managing;

/// <summary>
/// The manager's registration socket (docs/protocol.md section 3): kernels connect to it and
/// report the addresses they bound. One per manager, on its own thread.
/// </summary>
internal sealed class RegistrationServer : IDisposable
{
    private readonly ZmqSocket _socket;
    private readonly ConcurrentDictionary<string, Expected> _expected = new(StringComparer.Ordinal);
    private readonly Thread _thread;
    private readonly string _session = Guid.NewGuid().ToString("N");
    private volatile bool _stop;

    public RegistrationServer()
    {
        _socket = ZmqContext.Shared.CreateSocket(ZmqSocketType.Router);
        _socket.MaxMessageSize = 16 * 1024 * 1024;
        Address = _socket.Bind("tcp://127.0.0.1:*");
        _thread = new Thread(Loop) { Name = "mesh-registration", IsBackground = true };
        _thread.Start();
    }

    /// <summary>The bound address passed to kernels.</summary>
    public string Address { get; }

    /// <summary>Expects a registration from <paramref name="kernelId"/> signed with <paramref name="key"/>.</summary>
    public Task<Registered> Expect(string kernelId, string key)
    {
        var e = new Expected(new Signer(key));
        _expected[kernelId] = e;
        return e.Completion.Task;
    }

    public void Forget(string kernelId) => _expected.TryRemove(kernelId, out _);

    private void Loop()
    {
        var poller = new Poller([_socket], []);
        while (!_stop)
        {
            if (poller.Poll(100) == 0) continue;
            var frames = new List<ReceivedFrame>();
            while (_socket.TryReceive(frames, dontWait: true, 8, out _))
            {
                try { Handle(frames); }
                catch (ProtocolException) { /* not a kernel of ours: ignore */ }
                finally { foreach (var f in frames) f.Dispose(); }
                frames = [];
            }
        }
        _socket.Dispose();
    }

    private void Handle(List<ReceivedFrame> frames)
    {
        if (frames.Count != 5) return;
        // The key depends on which kernel is registering: read the claimed id, then verify with its key.
        var content = ValueDecoder.Decode(frames[4].Span, BufferSource.Empty) as Dictionary<string, object?>;
        if (content?.GetValueOrDefault("kernel_id") is not string id || !_expected.TryGetValue(id, out var expected)) return;
        using var msg = Envelope.Parse(expected.Signer, frames, identityFrames: 1);
        if (msg.Header.Type != MessageTypes.RegisterRequest) return;
        var addresses = content.GetValueOrDefault("addresses") as Dictionary<string, object?>;
        string? A(string k) => addresses?.GetValueOrDefault(k) as string;
        var reply = new Dictionary<string, object?> { ["accepted"] = true };
        if (A("health") is null || A("submit") is null || A("get") is null)
            reply = new() { ["accepted"] = false, ["error"] = RemoteError.Protocol(ErrorCode.MalformedMessage, "register_request lacks addresses").ToMap() };
        var header = new MessageHeader(Guid.NewGuid().ToString("N"), MessageTypes.RegisterReply, _session, DateTime.UtcNow, msg.Header.Id);
        Envelope.Send(_socket, msg.Identity, Envelope.Encode(expected.Signer, header, reply));
        if (reply["accepted"] is not true) return;
        _expected.TryRemove(id, out _);
        expected.Completion.TrySetResult(new Registered(
            A("health")!, A("submit")!, A("get")!,
            content.GetValueOrDefault("pid") is long pid ? (int)pid : 0,
            content.GetValueOrDefault("info") as Dictionary<string, object?> ?? new Dictionary<string, object?>()));
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join(TimeSpan.FromSeconds(2));
    }

    private sealed record Expected(Signer Signer)
    {
        public TaskCompletionSource<Registered> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>What a kernel reported when it registered.</summary>
internal sealed record Registered(string Health, string Submit, string Get, int Pid, IReadOnlyDictionary<string, object?> Info);
