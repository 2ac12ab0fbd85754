using System.Diagnostics;
using Mesh.Benchmarks.WebEcho;
using Mesh.Client;
using Mesh.Client.Managing;
using Mesh.Transport;

namespace Mesh.Benchmarks;

/// <summary>
/// The closest contest of the small-call table, measured in alternating blocks in this one
/// process: the ASP.NET Core echo, and Mesh .NET→.NET calls (worker and inline endpoints) with
/// the kernel on Unix sockets (the default) and on TCP, and over libzmq's sockets instead of the
/// managed ones (<c>MESH_SOCKETS=libzmq</c> for both client and kernel). The machine's speed drifts by tens of
/// percent within a minute, so cases measured one after another can differ by more than the
/// cases themselves; taking turns every few hundred calls makes the drift fall on all alike.
/// </summary>
internal static class HeadToHead
{
    const int Blocks = 20;
    const string LibzmqNote = "MESH_SOCKETS=libzmq: submit and get over libzmq sockets at both ends, as before the managed ZMTP sockets";

    public static async Task<List<Row>> MeasureAsync(Plan plan)
    {
        await using var web = await WebEchoServer.StartAsync();
        await using var manager = new KernelManager();
        var kernels = await manager.StartAllAsync(
        [
            KernelKind.DotNet.Spec("h2h-ipc") with { Transport = "ipc" },
            KernelKind.DotNet.Spec("h2h-tcp") with { Transport = "tcp" },
        ]);
        var (ipc, tcp) = (kernels[0].Client, kernels[1].Client);
        // The client reads the choice when it opens its sockets (during StartAsync), the kernel
        // inherits it from this process's environment.
        Environment.SetEnvironmentVariable(MessageSockets.Variable, "libzmq");
        KernelHandle viaLibzmq;
        try { viaLibzmq = await manager.StartAsync(KernelKind.DotNet.Spec("h2h-libzmq") with { Transport = "ipc" }); }
        finally { Environment.SetEnvironmentVariable(MessageSockets.Variable, null); }
        var zmq = viaLibzmq.Client;
        var small = Arguments.Of(new byte[1]);
        var webSmall = new EchoPayload(new byte[1], null);
        async Task Call(Client.Client client, string endpoint)
        {
            if (await client.CallAsync(endpoint, small) is not byte[] { Length: 1 })
                throw new InvalidOperationException($"Mesh echo '{endpoint}' did not return the byte it was sent");
        }
        var series = new (string Name, string Transport, string Note, Func<Task> Call)[]
        {
            (WebEchoCalls.Name, "tcp", WebEchoCalls.Note, () => web.EchoAsync(webSmall, 1)),
            ("Mesh .NET→.NET call", "ipc", "", () => Call(ipc, "echo")),
            ("Mesh .NET→.NET call, inline endpoint", "ipc", "", () => Call(ipc, "echo_inline")),
            ("Mesh .NET→.NET call, tcp", "tcp", "", () => Call(tcp, "echo")),
            ("Mesh .NET→.NET call, inline endpoint, tcp", "tcp", "", () => Call(tcp, "echo_inline")),
            ("Mesh .NET→.NET call, libzmq sockets", "ipc", LibzmqNote, () => Call(zmq, "echo")),
            ("Mesh .NET→.NET call, inline endpoint, libzmq sockets", "ipc", LibzmqNote, () => Call(zmq, "echo_inline")),
        };
        int[] servers = [web.Pid, .. kernels.Append(viaLibzmq).Select(k => k.ConnectionInfo.Pid ?? 0).Where(p => p > 0)];
        await plan.SettleJitAsync(async () => { foreach (var s in series) await s.Call(); }, servers);

        int n = plan.Calls();
        int perBlock = Math.Max(1, n / Blocks), warm = plan.Smoke ? 0 : Math.Max(5, perBlock / 10);
        var times = series.Select(_ => new List<double>(n)).ToArray();
        var busy = new double[series.Length];
        for (int done = 0; done < n; done += perBlock)
        {
            int count = Math.Min(perBlock, n - done);
            for (int k = 0; k < series.Length; k++)
            {
                var call = series[k].Call;
                // After a switch the other case's threads and caches are warm, not this one's.
                for (int i = 0; i < warm; i++) await call();
                long blockStart = Stopwatch.GetTimestamp();
                for (int i = 0; i < count; i++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    await call();
                    times[k].Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
                }
                busy[k] += Stopwatch.GetElapsedTime(blockStart).TotalSeconds;
            }
        }
        var rows = new List<Row>();
        for (int k = 0; k < series.Length; k++)
        {
            var s = Stats.Of(times[k], busy[k]);
            string note = $"alternating blocks of {perBlock} with the other head-to-head rows" + (series[k].Note.Length > 0 ? "; " + series[k].Note : "");
            rows.Add(new Row(Section.Call, "head-to-head: " + series[k].Name, ".NET", ".NET", 1, n, s.P50, s.P99, s.CallsPerS, note, series[k].Transport));
        }
        return rows;
    }
}
