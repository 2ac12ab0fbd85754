using System.Buffers;
using Mesh.Client.Managing;
using Mesh.Codec;
using Mesh.Protocol;
using Mesh.Transport;

namespace Mesh.Client.Tests;

using Client = Mesh.Client.Client;

/// <summary>Hostile input against a live kernel: it must never crash or hang, and must count what it refuses.</summary>
public class FuzzTests
{
    private const int Messages = 100_000;

    [Fact]
    public async Task A_hundred_thousand_malformed_messages_never_stop_the_kernel()
    {
        await using var manager = new KernelManager();
        var kernel = await manager.StartAsync(TestKernels.Spec("fuzzed"));
        var info = kernel.ConnectionInfo;
        var signer = new Signer(info.Key);
        long rejectedBefore = (await kernel.Client.HealthAsync()).Rejected;
        var ports = new[] { info.Submit!, info.Get!, info.Health! };
        var sockets = ports.Select(p =>
        {
            var s = ZmqContext.Shared.CreateSocket(ZmqSocketType.Dealer);
            s.HighWaterMark = 0;
            s.Connect(p);
            return s;
        }).ToArray();
        var rng = new Random(2026);
        var replies = new List<ReceivedFrame>();
        try
        {
            for (int i = 0; i < Messages; i++)
            {
                var frames = Mutant(rng, signer);
                var socket = sockets[i % sockets.Length];
                for (int f = 0; f < frames.Count; f++) socket.Send(frames[f], more: f < frames.Count - 1);
                if (i % 1000 == 0)
                {
                    foreach (var s in sockets) while (s.TryReceive(replies, dontWait: true, 64, out _)) foreach (var r in replies) r.Dispose();
                    if (i % 20_000 == 0)
                    {
                        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                        Assert.Equal("ok", (await kernel.Client.HealthAsync(cts.Token)).Status);
                    }
                }
            }
            // Every mutant is refused and counted; wait until the kernel has read them all.
            long rejected = 0;
            for (int i = 0; i < 600 && rejected < Messages; i++)
            {
                rejected = (await kernel.Client.HealthAsync()).Rejected - rejectedBefore;
                if (rejected < Messages) await Task.Delay(50);
                foreach (var s in sockets) while (s.TryReceive(replies, dontWait: true, 64, out _)) foreach (var r in replies) r.Dispose();
            }
            Assert.Equal(Messages, rejected);
            Assert.Equal(KernelState.Ready, kernel.State);
            Assert.Equal(0, kernel.RestartCount);
            Assert.Equal(9.0, await kernel.Client.CallAsync<double>("add", 4.0, 5.0));
        }
        finally
        {
            foreach (var s in sockets) s.Dispose();
        }
    }

    [Fact]
    public async Task Messages_signed_with_the_wrong_key_are_refused_without_a_reply()
    {
        await using var manager = new KernelManager();
        var kernel = await manager.StartAsync(TestKernels.Spec("guarded"));
        long before = (await kernel.Client.HealthAsync()).Rejected;
        var forged = kernel.ConnectionInfo with { Key = Signer.NewKey() };
        using var intruder = Client.Connect(forged, new ClientOptions { HeartbeatInterval = TimeSpan.Zero });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => intruder.CallAsync<double>("add", Arguments.Of(1.0, 2.0), null, cts.Token));
        // The call (one message) and the cancel the abandoned call sends (fire and forget, so it
        // may still be on its way): both refused, neither answered.
        long after = before;
        for (var deadline = DateTime.UtcNow.AddSeconds(5); after - before < 2 && DateTime.UtcNow < deadline; await Task.Delay(20))
            after = (await kernel.Client.HealthAsync()).Rejected;
        Assert.True(after - before >= 2, $"expected the call and its cancel to be counted as rejected, got {after - before}");
    }

    /// <summary>One hostile message: each kind breaks one rule of docs/protocol.md section 2.</summary>
    private static List<byte[]> Mutant(Random rng, Signer signer)
    {
        byte[] RandomBytes(int max) { var b = new byte[rng.Next(max)]; rng.NextBytes(b); return b; }
        switch (rng.Next(9))
        {
            case 0: return Enumerable.Range(0, rng.Next(1, 8)).Select(_ => RandomBytes(64)).ToList();
            case 1: return ["MESH/1"u8.ToArray(), RandomBytes(40), RandomBytes(80), RandomBytes(80)];
            case 2:
                {
                    var m = Valid(rng, signer, "submit_request");
                    m[1][rng.Next(32)] ^= (byte)(1 << rng.Next(8));
                    return m;
                }
            case 3:
                {
                    var m = Valid(rng, signer, "submit_request");
                    m[3] = m[3][..rng.Next(m[3].Length)];
                    return Resign(m, signer);
                }
            case 4:
                {
                    var m = Valid(rng, signer, "get_request");
                    m[3] = [0x81, 0xa7, .. "task_id"u8, 0xdb, 0xff, 0xff, 0xff, 0xf0, 0x41];
                    return Resign(m, signer);
                }
            case 5:
                {
                    var m = Valid(rng, signer, "submit_request");
                    m[3] = RandomBytes(100);
                    return Resign(m, signer);
                }
            case 6:
                {
                    var m = Valid(rng, signer, "status_request");
                    m[0] = "MESH/2"u8.ToArray();
                    return m;
                }
            case 7:
                {
                    var m = Valid(rng, signer, "submit_request");
                    m.Add(RandomBytes(50)); // a buffer frame the content does not reference
                    return m;
                }
            default:
                return Valid(rng, signer, "no_such_type").Take(rng.Next(1, 4)).ToList(); // too few frames
        }
    }

    private static List<byte[]> Valid(Random rng, Signer signer, string type)
    {
        var header = new MessageHeader(Guid.NewGuid().ToString("N"), type, "fuzz", DateTime.UtcNow, null);
        var content = new Dictionary<string, object?>
        {
            ["task_id"] = Guid.NewGuid().ToString("N"),
            ["endpoint"] = "add",
            ["args"] = new object?[] { rng.NextDouble(), "not a number" },
        };
        var e = Envelope.Encode(signer, header, content);
        var span = e.HeaderAndContent.Span;
        return ["MESH/1"u8.ToArray(), e.Signature, span[..e.HeaderLength].ToArray(), span[e.HeaderLength..].ToArray()];
    }

    private static List<byte[]> Resign(List<byte[]> m, Signer signer)
    {
        var both = m[2].Concat(m[3]).ToArray();
        var sig = new byte[32];
        signer.Sign(both, sig);
        m[1] = sig;
        return m;
    }
}
