using Mesh.Client.Managing;
using OgClews.Runner;

namespace OgClews.Server.Runs;

/// <summary>
/// Sets of the three kernels kept alive between runs (the <c>--kernels pool</c> mode), so a queue of
/// short runs does not pay three process starts each. A set serves one run at a time: the kernels
/// keep no state from one run to the next (cold LP solves, stateless ETL, a new macro model object
/// per run), so that is safe, and exclusivity keeps a run's kernel timings its own. A set whose
/// kernel died and could not be restarted is thrown away and replaced by a fresh one.
/// </summary>
internal sealed class KernelPool(InstallLayout layout, string logRoot) : IAsyncDisposable
{
    private readonly Stack<OgClewsKernels> _idle = new();
    private readonly Lock _gate = new();
    private int _created;
    private bool _disposed;

    /// <summary>Kernel sets started so far (tests check reuse with it).</summary>
    public int Created => Volatile.Read(ref _created);

    /// <summary>An idle healthy set, or a newly started one.</summary>
    public async Task<Lease> RentAsync(CancellationToken ct)
    {
        while (true)
        {
            OgClewsKernels? kernels = null;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_idle.Count > 0) kernels = _idle.Pop();
            }
            if (kernels is null) break;
            if (Healthy(kernels)) return new Lease(this, kernels);
            await kernels.DisposeAsync().ConfigureAwait(false);
        }
        int n = Interlocked.Increment(ref _created);
        var fresh = await OgClewsKernels.StartAsync(layout, Path.Combine(logRoot, $"set-{n}"), ct).ConfigureAwait(false);
        return new Lease(this, fresh);
    }

    private static bool Healthy(OgClewsKernels k) =>
        new[] { OgClewsKernels.Energy, OgClewsKernels.Etl, OgClewsKernels.Macro }
            .All(id => k[id].State == KernelState.Ready && k[id].Client.LostReason is null);

    private async ValueTask ReturnAsync(OgClewsKernels kernels)
    {
        lock (_gate)
        {
            if (!_disposed && Healthy(kernels))
            {
                _idle.Push(kernels);
                return;
            }
        }
        await kernels.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Stops every idle set (sets in use are stopped when their lease ends).</summary>
    public async ValueTask DisposeAsync()
    {
        OgClewsKernels[] idle;
        lock (_gate)
        {
            _disposed = true;
            idle = [.. _idle];
            _idle.Clear();
        }
        foreach (var k in idle) await k.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>A set of kernels lent to one run; disposing gives it back.</summary>
    internal sealed class Lease(KernelPool pool, OgClewsKernels kernels) : IAsyncDisposable
    {
        private int _returned;

        /// <summary>The kernels.</summary>
        public OgClewsKernels Kernels { get; } = kernels;

        /// <inheritdoc/>
        public ValueTask DisposeAsync() => Interlocked.Exchange(ref _returned, 1) == 0 ? pool.ReturnAsync(Kernels) : ValueTask.CompletedTask;
    }
}
