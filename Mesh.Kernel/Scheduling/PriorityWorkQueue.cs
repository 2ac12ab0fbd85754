using System.Diagnostics;

namespace Mesh.Kernel.Scheduling;

/// <summary>
/// Tasks waiting for a worker: highest priority first (10 before 1), first in first out within a
/// priority. Cancelled tasks are removed at once.
/// </summary>
internal sealed class PriorityWorkQueue
{
    private readonly object _lock = new();
    private readonly PriorityQueue<KernelTask, (int, long)> _queue = new();
    private readonly HashSet<KernelTask> _removed = [];
    private int _count;
    private int _sleeping; // workers in Monitor.Wait on _lock
    private readonly List<CancellationToken> _wakeOnCancel = [];

    public int Count => Volatile.Read(ref _count);

    public void Enqueue(KernelTask task)
    {
        lock (_lock)
        {
            _queue.Enqueue(task, (-task.Priority, task.Sequence));
            _count++;
            if (_sleeping > 0) Monitor.Pulse(_lock);
        }
    }


    /// <summary>Removes a queued task; false if it already left the queue.</summary>
    public bool Remove(KernelTask task)
    {
        lock (_lock)
        {
            if (!_queue.UnorderedItems.Any(i => ReferenceEquals(i.Element, task)) || !_removed.Add(task)) return false;
            _count--; // the task stays in _queue until a worker meets it and skips it
            return true;
        }
    }

    /// <summary>All tasks still queued (for shutdown).</summary>
    public List<KernelTask> Snapshot()
    {
        lock (_lock) return _queue.UnorderedItems.Select(i => i.Element).Where(t => !_removed.Contains(t)).ToList();
    }

    /// <summary>
    /// Blocks the calling worker thread until the next task in priority order: first looking for
    /// one without sleeping for <paramref name="spin"/> (yielding the core between looks), then
    /// sleeping in <see cref="Monitor.Wait(object)"/> until <see cref="Enqueue"/> pulses. Not a
    /// <see cref="SemaphoreSlim"/>: its wait spins on its own before it sleeps (about 37
    /// sched_yield calls per task on a 2-core machine, measured with strace), whatever the
    /// kernel's idle-spin setting, and each costs a system call (kernel system calls per call 70
    /// with it, 40 without, spin off). A synchronous wait wakes a parked worker in microseconds;
    /// an async one would go through the thread pool.
    /// </summary>
    /// <param name="ct">Stops the wait (<see cref="OperationCanceledException"/>).</param>
    /// <param name="spin">How long to look without sleeping first.</param>
    public KernelTask Dequeue(CancellationToken ct, TimeSpan spin = default)
    {
        long spinUntil = spin > TimeSpan.Zero ? Stopwatch.GetTimestamp() + (long)(spin.TotalSeconds * Stopwatch.Frequency) : 0;
        while (Volatile.Read(ref _count) == 0 && Stopwatch.GetTimestamp() < spinUntil && !ct.IsCancellationRequested) Thread.Yield();
        lock (_lock)
        {
            while (true)
            {
                while (_queue.TryDequeue(out var task, out _))
                {
                    if (_removed.Remove(task)) continue; // removed while queued
                    _count--;
                    return task;
                }
                WakeOnCancel(ct);
                // After registering: a cancellation from here on pulses once this thread waits.
                ct.ThrowIfCancellationRequested();
                _sleeping++;
                try { Monitor.Wait(_lock); }
                finally { _sleeping--; }
            }
        }
    }

    /// <summary>Under _lock: makes cancelling <paramref name="ct"/> wake every sleeping worker
    /// (registered once per token, so waiting allocates nothing).</summary>
    private void WakeOnCancel(CancellationToken ct)
    {
        if (!ct.CanBeCanceled || _wakeOnCancel.Contains(ct)) return;
        _wakeOnCancel.Add(ct);
        ct.UnsafeRegister(static state =>
        {
            var queue = (PriorityWorkQueue)state!;
            lock (queue._lock) Monitor.PulseAll(queue._lock);
        }, this);
    }
}
