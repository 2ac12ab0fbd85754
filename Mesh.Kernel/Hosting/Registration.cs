using Mesh.Protocol;
using Mesh.Transport;

namespace Mesh.Kernel.Hosting;

/// <summary>Reports the bound addresses to the manager (docs/protocol.md section 3).</summary>
internal static class Registration
{
    /// <summary>Sends register_request and waits for an accepting register_reply; throws with the reason otherwise.</summary>
    public static void Register(ConnectionInfo info, (string Health, string Submit, string Get) addresses, Dictionary<string, object?> kernelInfo, TimeSpan timeout)
    {
        if (info.Registration is null) throw new MeshException("the connection file has no 'registration' address");
        var signer = new Signer(info.Key);
        using var socket = ZmqContext.Shared.CreateSocket(ZmqSocketType.Dealer);
        socket.Connect(info.Registration);
        var content = new Dictionary<string, object?>
        {
            ["kernel_id"] = info.KernelId,
            ["pid"] = (long)Environment.ProcessId,
            ["addresses"] = new Dictionary<string, object?> { ["health"] = addresses.Health, ["submit"] = addresses.Submit, ["get"] = addresses.Get },
            ["info"] = kernelInfo,
        };
        var header = new MessageHeader(Guid.NewGuid().ToString("N"), MessageTypes.RegisterRequest, Guid.NewGuid().ToString("N"), DateTime.UtcNow, null);
        Envelope.Send(socket, [], Envelope.Encode(signer, header, content));
        var poller = new Poller([socket], []);
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (poller.Poll((long)Math.Max(1, (deadline - DateTime.UtcNow).TotalMilliseconds)) == 0) continue;
            var frames = new List<ReceivedFrame>();
            if (!socket.TryReceive(frames, dontWait: true, 16, out _)) continue;
            using var reply = Envelope.Parse(signer, frames, identityFrames: 0);
            if (reply.Header.Type != MessageTypes.RegisterReply || reply.Header.ParentId != header.Id) continue;
            var c = reply.ReadContent();
            if (c.GetValueOrDefault("accepted") is true) return;
            throw new MeshException($"the manager refused registration: {RemoteError.FromMap(c.GetValueOrDefault("error")).Message}");
        }
        throw new MeshException($"no register_reply from {info.Registration} within {timeout.TotalSeconds:g} s");
    }
}
