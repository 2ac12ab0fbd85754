using System.Diagnostics;
using Mesh.Client;
using Mesh.Client.Managing;
using Mesh.Protocol;
using Mesh.Transport;

namespace Mesh.Benchmarks;

/// <summary>
/// Where the microseconds of a small call go. The kernel's task record carries its own
/// timestamps (received, queued, started, ended); with the caller's wall clock before and after
/// the call (same machine, same clock), a 1 B echo call splits into five segments. Thread
/// hand-offs are timed on their own, since they are what the segments mostly consist of.
/// </summary>
internal static class Profile
{
    public static async Task<List<Row>> CallSegmentsAsync(KernelKind kind, Plan plan)
    {
        await using var manager = new KernelManager();
        var kernel = await manager.StartAsync(kind.Spec("profile"));
        var client = kernel.Client;
        int kernelPid = kernel.ConnectionInfo.Pid ?? throw new InvalidOperationException("the kernel did not report its pid");
        Dictionary<int, (string Name, long Switches)> clientBefore = [], kernelBefore = [];
        int n = plan.Calls();
        var segments = new[] { "caller → kernel has the request", "kernel: received → queued", "kernel: queued → handler starts",
            "kernel: handler starts → outcome recorded", "handler returns → caller resumes", "whole call" };
        var samples = segments.Select(_ => new List<double>(n)).ToArray();
        var args = Arguments.Of(new byte[1]);
        TaskRecord? record = null;
        var options = new CallOptions { Finished = r => record = r };
        await plan.SettleJitAsync(() => client.CallAsync("echo", args, options), [kernelPid]);
        for (int i = -plan.Warmup(n); i < n; i++)
        {
            if (i == 0)
            {
                clientBefore = Child.ContextSwitchesByThread(Environment.ProcessId);
                kernelBefore = Child.ContextSwitchesByThread(kernelPid);
            }
            record = null;
            var t0 = DateTime.UtcNow;
            await client.CallAsync("echo", args, options);
            var t1 = DateTime.UtcNow;
            if (i < 0) continue;
            var r = record ?? throw new InvalidOperationException("no task record came back");
            if (r.PendingAt is not { } pending || r.QueuedAt is not { } queued || r.StartedAt is not { } started || r.EndedAt is not { } ended)
                throw new InvalidOperationException($"the {kind.Label} kernel's task record lacks timestamps");
            samples[0].Add((pending - t0).TotalMicroseconds);
            samples[1].Add((queued - pending).TotalMicroseconds);
            samples[2].Add((started - queued).TotalMicroseconds);
            samples[3].Add((ended - started).TotalMicroseconds);
            samples[4].Add((t1 - ended).TotalMicroseconds);
            samples[5].Add((t1 - t0).TotalMicroseconds);
        }
        var clientAfter = Child.ContextSwitchesByThread(Environment.ProcessId);
        var kernelAfter = Child.ContextSwitchesByThread(kernelPid);
        double clientSwitches = (clientAfter.Values.Sum(v => v.Switches) - clientBefore.Values.Sum(v => v.Switches)) / (double)n;
        double kernelSwitches = (kernelAfter.Values.Sum(v => v.Switches) - kernelBefore.Values.Sum(v => v.Switches)) / (double)n;
        return segments.Select((name, k) =>
        {
            var s = Stats.Of(samples[k], 1);
            string note = k == segments.Length - 1
                ? $"context switches per call: client {clientSwitches:0.0}, kernel {kernelSwitches:0.0}; busiest client threads: "
                  + Child.BusiestThreads(clientBefore, clientAfter, n) + "; busiest kernel threads: " + Child.BusiestThreads(kernelBefore, kernelAfter, n)
                : "";
            return new Row(Section.Profile, $"Mesh .NET→{kind.Label} 1 B call: {name}", ".NET", kind.Label, 1, n, s.P50, s.P99, 0, note);
        }).ToList();
    }

    /// <summary>
    /// The protocol work of one call, on one thread with no waiting: the client's two requests
    /// (submit_request, get_request) and the kernel's two replies (submit_reply, get_reply), each
    /// encoded, signed, passed through an inproc DEALER/ROUTER pair, verified and decoded. What a
    /// real call costs beyond this and the floor is waiting: wake-ups and thread hand-offs.
    /// </summary>
    public static Task<List<Row>> ProtocolWorkAsync(Plan plan)
    {
        var signer = new Signer(Signer.NewKey());
        string endpoint = $"inproc://mesh-bench-protocol-{Environment.ProcessId}";
        using var router = ZmqContext.Shared.CreateSocket(ZmqSocketType.Router);
        router.Bind(endpoint);
        using var dealer = ZmqContext.Shared.CreateSocket(ZmqSocketType.Dealer);
        dealer.Connect(endpoint);
        var frames = new List<ReceivedFrame>();
        string session = Guid.NewGuid().ToString("N");
        var empty = new Dictionary<string, object?>();
        string taskId = Guid.NewGuid().ToString("N");
        var record = new TaskRecord { TaskId = taskId, Endpoint = "echo", State = TaskState.Completed, Priority = 5,
            PendingAt = DateTime.UtcNow, QueuedAt = DateTime.UtcNow, StartedAt = DateTime.UtcNow, EndedAt = DateTime.UtcNow };

        byte[]? Receive(ZmqSocket socket, int identityFrames)
        {
            socket.TryReceive(frames, dontWait: false, 64, out _);
            var message = Envelope.Parse(signer, frames, identityFrames);
            message.ReadContent();
            byte[]? identity = identityFrames > 0 ? message.Identity : null;
            foreach (var f in frames) f.Dispose();
            return identity;
        }

        MessageHeader Header(string type, string? parent = null) => new(MessageIds.Next(), type, session, DateTime.UtcNow, parent);

        int n = plan.Calls();
        var times = new List<double>(n);
        for (int i = -plan.Warmup(n); i < n; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            // A call (protocol 6.2): one call-style submit_request, answered by one get_reply.
            var submit = Header(MessageTypes.SubmitRequest);
            Envelope.Send(dealer, default, Envelope.Encode(signer, submit, new Dictionary<string, object?>
            {
                ["task_id"] = taskId, ["endpoint"] = "echo", ["args"] = new object?[] { new byte[1] }, ["kwargs"] = empty,
                ["priority"] = 5L, ["timeout"] = null, ["retries"] = 0L, ["metadata"] = empty, ["call"] = true,
            }));
            var identity = Receive(router, 1)!;
            Envelope.Send(router, identity, Envelope.Encode(signer, Header(MessageTypes.GetReply, submit.Id), new Dictionary<string, object?>
            {
                ["task_id"] = taskId, ["done"] = true, ["task"] = record.ToMap(), ["result"] = new byte[1],
            }));
            Receive(dealer, 0);
            if (i >= 0) times.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
        }
        var s = Stats.Of(times, 1);
        return Task.FromResult<List<Row>>(
        [
            new Row(Section.Profile, ".NET envelope: a call's request + reply, encode/sign/inproc/verify/decode, 1 thread", ".NET", ".NET", 1, n, s.P50, s.P99, 0),
        ]);
    }

    /// <summary>
    /// One-way thread hand-offs in this process, each the way Mesh makes it: an I/O thread
    /// blocked in zmq_poll woken through an eventfd (WakeSignal; client and kernel I/O threads), a
    /// worker asleep in Monitor.Wait woken by Monitor.Pulse (kernel workers, once their idle spin
    /// has ended: PriorityWorkQueue), and an awaited TaskCompletionSource
    /// completed from another thread (how a call's result reaches the caller: a thread-pool
    /// continuation). Each is timed from the moment the signal is given to the moment the woken
    /// side runs.
    /// </summary>
    public static async Task<List<Row>> HandOffsAsync(Plan plan)
    {
        int n = plan.Calls(), warmup = plan.Warmup(n);

        using var toB = new WakeSignal();
        using var toA = new WakeSignal();
        var pollB = new Poller([], [toB.FileDescriptor]);
        var pollA = new Poller([], [toA.FileDescriptor]);
        var eventfd = PingPong(n, warmup,
            signal: toB.Set, waitForSignal: () => { pollB.Poll(-1); toB.Reset(); },
            answer: toA.Set, waitForAnswer: () => { pollA.Poll(-1); toA.Reset(); });

        var ping = new MonitorSignal();
        var pong = new MonitorSignal();
        var monitor = PingPong(n, warmup, ping.Set, ping.Wait, pong.Set, pong.Wait);

        var tcsHops = new List<double>(n);
        var requests = new BlockingQueue();
        var completer = new Thread(() =>
        {
            while (requests.Take() is { } tcs) tcs.SetResult(Stopwatch.GetTimestamp());
        }) { IsBackground = true };
        completer.Start();
        for (int i = -warmup; i < n; i++)
        {
            var tcs = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            requests.Add(tcs);
            long completed = await tcs.Task;
            if (i >= 0) tcsHops.Add(Stopwatch.GetElapsedTime(completed).TotalMicroseconds);
        }
        requests.Add(null);
        completer.Join();
        var continuation = Stats.Of(tcsHops, 1);
        return
        [
            new Row(Section.Profile, "thread hand-off: eventfd wakes a thread in zmq_poll (I/O threads)", ".NET", ".NET", 0, n, eventfd.P50, eventfd.P99, 0),
            new Row(Section.Profile, "thread hand-off: Monitor.Pulse wakes a thread in Monitor.Wait (kernel workers)", ".NET", ".NET", 0, n, monitor.P50, monitor.P99, 0),
            new Row(Section.Profile, "thread hand-off: TaskCompletionSource → thread-pool continuation (caller)", ".NET", ".NET", 0, n, continuation.P50, continuation.P99, 0),
        ];
    }

    /// <summary>A count guarded by a monitor, the way PriorityWorkQueue wakes a sleeping worker.</summary>
    sealed class MonitorSignal
    {
        int _count;
        public void Set() { lock (this) { _count++; Monitor.Pulse(this); } }
        public void Wait() { lock (this) { while (_count == 0) Monitor.Wait(this); _count--; } }
    }

    /// <summary>Times signal → the other thread running, n times, with a reply between rounds.</summary>
    static Stats PingPong(int n, int warmup, Action signal, Action waitForSignal, Action answer, Action waitForAnswer)
    {
        long sent = 0;
        var hops = new List<double>(n);
        var other = new Thread(() =>
        {
            for (int i = -warmup; i < n; i++)
            {
                waitForSignal();
                long arrived = Stopwatch.GetTimestamp();
                if (i >= 0) hops.Add(Stopwatch.GetElapsedTime(Interlocked.Read(ref sent), arrived).TotalMicroseconds);
                answer();
            }
        }) { IsBackground = true };
        other.Start();
        for (int i = -warmup; i < n; i++)
        {
            Interlocked.Exchange(ref sent, Stopwatch.GetTimestamp());
            signal();
            waitForAnswer();
        }
        other.Join();
        return Stats.Of(hops, 1);
    }

    /// <summary>A minimal blocking queue for the completer thread (null ends it).</summary>
    sealed class BlockingQueue
    {
        readonly Queue<TaskCompletionSource<long>?> _items = new();
        public void Add(TaskCompletionSource<long>? item) { lock (_items) { _items.Enqueue(item); Monitor.Pulse(_items); } }
        public TaskCompletionSource<long>? Take()
        {
            lock (_items)
            {
                while (_items.Count == 0) Monitor.Wait(_items);
                return _items.Dequeue();
            }
        }
    }
}
