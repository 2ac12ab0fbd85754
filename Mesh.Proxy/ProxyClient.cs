using System.Collections.Concurrent;
using Mesh.Client;
using Mesh.Values;

namespace Mesh.Proxy;

/// <summary>
/// Holds proxies to objects living in one kernel (docs/protocol.md section 9).
/// <code>
/// var proxies = new ProxyClient(kernel.Client);
/// dynamic Calculator = await proxies.GetRemoteAsync("Calculator");
/// dynamic calc = await Calculator(policy, records: recs);
/// double result = (double)await calc.Run();
/// </code>
/// References are released when a proxy is disposed, or (batched, in the background) after it is
/// garbage-collected: finalizers only queue ids, they never perform I/O.
/// </summary>
public sealed class ProxyClient : IAsyncDisposable
{
    private readonly ConcurrentQueue<ulong> _releases = new();
    private readonly Timer _flushTimer;
    private int _flushing;

    /// <summary>Creates proxies over <paramref name="client"/>'s kernel.</summary>
    public ProxyClient(Mesh.Client.Client client)
    {
        Client = client;
        _flushTimer = new Timer(_ => _ = FlushReleasesAsync(), null, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(200));
    }

    /// <summary>The client the proxies use.</summary>
    public Mesh.Client.Client Client { get; }

    /// <summary>
    /// Options for every proxy operation (root, calls, attributes, deref); e.g. a priority, a
    /// timeout, or <see cref="Mesh.Client.CallOptions.Finished"/> to see the kernel's task records.
    /// Null uses the defaults. Releases always use the defaults.
    /// </summary>
    public CallOptions? CallOptions { get; init; }

    /// <summary>A dynamic proxy to the exported root <paramref name="name"/>.</summary>
    public async Task<dynamic> GetRemoteAsync(string name, CancellationToken cancellationToken = default)
    {
        var result = await Client.CallAsync("mesh.root", Arguments.Of(name), CallOptions, cancellationToken).ConfigureAwait(false);
        return Wrap(result) ?? throw new MeshException($"mesh.root('{name}') returned nil");
    }

    /// <summary>
    /// A typed proxy to the exported root <paramref name="name"/>, generated for
    /// <typeparamref name="TInterface"/>: async methods (Task/ValueTask, <see cref="CancellationToken"/>
    /// last) become remote calls; a trailing <c>Async</c> in a method name is dropped on the wire.
    /// </summary>
    public async Task<TInterface> GetRemoteAsync<TInterface>(string name, CancellationToken cancellationToken = default) where TInterface : class
    {
        var result = await Client.CallAsync("mesh.root", Arguments.Of(name), CallOptions, cancellationToken).ConfigureAwait(false);
        return result is RemoteReference r ? TypedProxy.Create<TInterface>(this, r)
            : throw new MeshException($"mesh.root('{name}') did not return a reference");
    }

    /// <summary>
    /// A typed view of an object a dynamic proxy holds. The typed proxy takes over the reference:
    /// dispose the typed proxy, not <paramref name="remote"/>.
    /// </summary>
    public TInterface As<TInterface>(RemoteObject remote) where TInterface : class
    {
        remote.TransferOwnership();
        return TypedProxy.Create<TInterface>(this, remote.Reference);
    }

    /// <summary>The kernel's live object table: (objects, sessions).</summary>
    public async Task<(long Objects, long Sessions)> ObjectCountAsync(CancellationToken cancellationToken = default)
    {
        var map = await Client.CallAsync<Dictionary<string, object?>>("mesh.objects", Arguments.None, null, cancellationToken).ConfigureAwait(false);
        return ((long)map["objects"]!, (long)map["sessions"]!);
    }

    /// <summary>Runs a proxy operation and wraps references in the result.</summary>
    internal async Task<object?> InvokeAsync(string operation, Arguments arguments, CancellationToken ct) =>
        Wrap(await Client.CallAsync(operation, arguments, CallOptions, ct).ConfigureAwait(false));

    /// <summary>References become <see cref="RemoteObject"/>s, also inside arrays and maps.</summary>
    internal object? Wrap(object? value) => value switch
    {
        RemoteReference r => new RemoteObject(this, r),
        object?[] items => items.Select(Wrap).ToArray(),
        Dictionary<string, object?> map => map.ToDictionary(kv => kv.Key, kv => Wrap(kv.Value)),
        _ => value,
    };

    /// <summary>Releases many proxies in one batch.</summary>
    public async Task ReleaseAsync(IEnumerable<RemoteObject> proxies)
    {
        foreach (var p in proxies) p.MarkReleased(this);
        await FlushReleasesAsync().ConfigureAwait(false);
    }

    /// <summary>Queues a release; it is sent with the next batch (never blocks, safe from finalizers).</summary>
    internal void QueueRelease(ulong id) => _releases.Enqueue(id);

    /// <summary>Sends every queued release in one <c>mesh.release</c> call.</summary>
    public async Task FlushReleasesAsync()
    {
        if (_releases.IsEmpty || Interlocked.Exchange(ref _flushing, 1) == 1) return;
        try
        {
            var ids = new List<ulong>();
            while (ids.Count < 100_000 && _releases.TryDequeue(out var id)) ids.Add(id);
            if (ids.Count == 0) return;
            try { await Client.CallAsync("mesh.release", Arguments.Of(ids.ToArray())).ConfigureAwait(false); }
            catch (Exception e) when (e is MeshException or ObjectDisposedException) { /* kernel gone: its lease frees them */ }
        }
        finally { Volatile.Write(ref _flushing, 0); }
    }

    /// <summary>Stops the background flush after sending what is queued.</summary>
    public async ValueTask DisposeAsync()
    {
        await _flushTimer.DisposeAsync().ConfigureAwait(false);
        while (!_releases.IsEmpty && Client.LostReason is null)
        {
            await FlushReleasesAsync().ConfigureAwait(false);
            if (Volatile.Read(ref _flushing) == 1) await Task.Delay(5).ConfigureAwait(false);
        }
    }
}
