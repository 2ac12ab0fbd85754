using System.Diagnostics;
using Mesh.Transport;

namespace Mesh.Benchmarks;

/// <summary>
/// The floor: libzmq REQ/REP ping-pong between two processes. The reference floor is the C
/// program bench/floor/zmq_pingpong.c (built by scripts/bench.sh); the same ping-pong through
/// Mesh's own P/Invoke layer (.NET on both sides) shows what .NET and the binding add to it.
/// </summary>
internal static class Floor
{
    /// <summary>Runs the C floor over tcp or ipc and reads its RESULT lines.</summary>
    public static async Task<List<Row>> MeasureCAsync(string binary, string transport, Plan plan, bool spin = false)
    {
        var rows = new List<Row>();
        string[] args = spin ? ["--spin", transport, plan.SizeSpec()] : [transport, plan.SizeSpec()];
        string label = spin ? $"libzmq REQ/REP, client spins (C, {transport})" : $"libzmq REQ/REP floor (C, {transport})";
        await Child.RunAsync(binary, args, plan, line =>
        {
            var r = Child.ParseResult(line);
            rows.Add(new Row(Section.Call, label, "C", "C", r.Payload, r.Iterations, r.P50, r.P99, r.CallsPerS, r.Note ?? "", transport));
        });
        return rows;
    }

    /// <summary>The echo side is this program in a child process.</summary>
    public static async Task<List<Row>> MeasureDotNetAsync(Plan plan)
    {
        using var req = ZmqContext.Shared.CreateSocket(ZmqSocketType.Req);
        string endpoint = req.Bind("tcp://127.0.0.1:*");
        var psi = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet"
            ? new ProcessStartInfo(Environment.ProcessPath!, [typeof(Floor).Assembly.Location, "--floor-server", endpoint])
            : new ProcessStartInfo(Environment.ProcessPath!, ["--floor-server", endpoint]);
        using var echo = Process.Start(psi)!;
        var rows = new List<Row>();
        var frames = new List<ReceivedFrame>();
        try
        {
            foreach (var size in Plan.Sizes)
            {
                var payload = new byte[size];
                Random.Shared.NextBytes(payload);
                int n = plan.Iterations(size);
                var times = new List<double>(n);
                long start = 0;
                for (int i = -plan.Warmup(n); i < n; i++)
                {
                    if (i == 0) start = Stopwatch.GetTimestamp();
                    long t0 = Stopwatch.GetTimestamp();
                    if (size >= ZmqSocket.ZeroCopyThreshold) req.SendZeroCopy(payload, 0, size, more: false);
                    else req.Send(payload, more: false);
                    req.TryReceive(frames, dontWait: false, 4, out _);
                    if (frames[0].Length != size) throw new InvalidOperationException("floor echo size mismatch");
                    foreach (var f in frames) f.Dispose();
                    if (i >= 0) times.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
                }
                var s = Stats.Of(times, Stopwatch.GetElapsedTime(start).TotalSeconds);
                rows.Add(new Row(Section.Call, "libzmq REQ/REP via Mesh.Transport (.NET, tcp)", ".NET", ".NET", size, n, s.P50, s.P99, s.CallsPerS));
            }
        }
        finally
        {
            req.Send("stop"u8, more: false);
            await echo.WaitForExitAsync();
        }
        return rows;
    }
}

/// <summary>The .NET floor's echo side, run in a child process.</summary>
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
