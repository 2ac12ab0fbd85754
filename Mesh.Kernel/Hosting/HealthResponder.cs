using Mesh.Protocol;
using Mesh.Transport;

namespace Mesh.Kernel.Hosting;

/// <summary>
/// Answers <c>health_request</c> on its own thread and socket, so a kernel whose workers are all
/// busy still answers within milliseconds (docs/protocol.md section 1).
/// </summary>
internal sealed class HealthResponder(ZmqSocket socket, Signer signer, KernelServer server, string session)
{
    private Thread? _thread;
    private volatile bool _stop;

    public void Start()
    {
        _thread = new Thread(Loop) { Name = "mesh-kernel-health", IsBackground = true };
        _thread.Start();
    }

    public void Stop()
    {
        _stop = true;
        _thread?.Join(TimeSpan.FromSeconds(2));
    }

    private void Loop()
    {
        var poller = new Poller([socket], []);
        while (!_stop)
        {
            if (poller.Poll(100) == 0) continue;
            for (int n = 0; n < 256; n++)
            {
                var frames = new List<ReceivedFrame>(5);
                if (!socket.TryReceive(frames, dontWait: true, maxFrames: 8, out bool truncated)) break;
                try { Answer(frames, truncated); }
                catch (ProtocolException) { server.CountRejected(); }
                finally { foreach (var f in frames) f.Dispose(); }
            }
        }
    }

    private void Answer(List<ReceivedFrame> frames, bool truncated)
    {
        if (truncated || frames.Count < 1) throw new ProtocolException(ErrorCode.MalformedMessage, "bad health frames");
        var msg = Envelope.Parse(signer, frames, identityFrames: 1);
        server.Touch(msg.Header.Session);
        object content;
        string type;
        if (msg.Header.Type == MessageTypes.HealthRequest)
        {
            type = MessageTypes.HealthReply;
            content = new Dictionary<string, object?>
            {
                ["status"] = server.ShuttingDown ? "shutting_down" : "ok",
                ["kernel_id"] = server.KernelId,
                ["pid"] = (long)Environment.ProcessId,
                ["uptime"] = server.Uptime,
                ["queued"] = (long)server.Queued,
                ["running"] = (long)server.Running,
                ["completed"] = (long)server.Completed,
                ["rejected"] = server.Rejected,
            };
        }
        else
        {
            server.CountRejected();
            type = MessageTypes.ErrorReply;
            content = new Dictionary<string, object?> { ["error"] = RemoteError.Protocol(ErrorCode.UnknownMessageType, $"'{msg.Header.Type}' is not a message type of the health port").ToMap() };
        }
        var header = new MessageHeader(MessageIds.Next(), type, session, DateTime.UtcNow, msg.Header.Id);
        Envelope.Send(socket, msg.Identity, Envelope.Encode(signer, header, content));
    }
}
