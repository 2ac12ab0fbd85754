using System.Diagnostics;
using Mesh.Transport;

namespace Mesh.Benchmarks;

/// <summary>The floor: raw libzmq REQ/REP ping-pong between two processes over loopback TCP.</summary>
internal static class Floor
{
    /// <summary>The echo side is this program in a child process.</summary>
    public static Task<Dictionary<int, Stats>> MeasureAsync(int[] sizes, bool quick) =>
        MeasureAsync(sizes, quick, endpoint => Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet"
            ? new ProcessStartInfo(Environment.ProcessPath!, [typeof(Floor).Assembly.Location, "--floor-server", endpoint])
            : new ProcessStartInfo(Environment.ProcessPath!, ["--floor-server", endpoint]));

    /// <summary>The echo side is a plain pyzmq REP server (the Python floor).</summary>
    public static Task<Dictionary<int, Stats>> MeasurePyzmqAsync(int[] sizes, bool quick, string python) =>
        MeasureAsync(sizes, quick, endpoint => new ProcessStartInfo(python, ["-c", PyzmqEcho, endpoint]));

    private const string PyzmqEcho = """
import sys, zmq
s = zmq.Context().socket(zmq.REP)
s.connect(sys.argv[1])
while True:
    m = s.recv(copy=False)
    if m.bytes == b"stop":
        break
    s.send(m, copy=False)
""";

    private static async Task<Dictionary<int, Stats>> MeasureAsync(int[] sizes, bool quick, Func<string, ProcessStartInfo> server)
    {
        using var req = ZmqContext.Shared.CreateSocket(ZmqSocketType.Req);
        string endpoint = req.Bind("tcp://127.0.0.1:*");
        using var echo = Process.Start(server(endpoint))!;
        var results = new Dictionary<int, Stats>();
        var frames = new List<ReceivedFrame>();
        try
        {
            foreach (var size in sizes)
            {
                var payload = new byte[size];
                Random.Shared.NextBytes(payload);
                int n = Iterations.For(size, quick);
                var times = new List<double>(n);
                for (int i = -n / 10 - 5; i < n; i++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    if (size >= ZmqSocket.ZeroCopyThreshold) req.SendZeroCopy(payload, 0, size, more: false);
                    else req.Send(payload, more: false);
                    req.TryReceive(frames, dontWait: false, 4, out _);
                    if (frames[0].Length != size) throw new InvalidOperationException("floor echo size mismatch");
                    foreach (var f in frames) f.Dispose();
                    if (i >= 0) times.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
                }
                results[size] = Stats.Of(times);
            }
        }
        finally
        {
            req.Send("stop"u8, more: false);
            await echo.WaitForExitAsync();
        }
        return results;
    }
}

/// <summary>The floor's echo side, run in a child process.</summary>
internal static class FloorServer
{
    public static void Run(string endpoint)
    {
        using var rep = ZmqContext.Shared.CreateSocket(ZmqSocketType.Rep);
        rep.Connect(endpoint);
        var frames = new List<ReceivedFrame>();
        while (true)
        {
            rep.TryReceive(frames, dontWait: false, 4, out _);
            var f = frames[0];
            if (f.Length == 4 && f.Span.SequenceEqual("stop"u8)) return;
            // Echo the bytes back the way a real server would: from its own memory.
            rep.Send(f.Span, more: false);
            f.Dispose();
        }
    }
}
