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
    private readonly SemaphoreSlim _available = new(0);
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public void Enqueue(KernelTask task)
    {
        lock (_lock)
        {
            _queue.Enqueue(task, (-task.Priority, task.Sequence));
            _count++;
        }
        _available.Release();
    }


    /// <summary>Removes a queued task; false if it already left the queue.</summary>
    public bool Remove(KernelTask task)
    {
        lock (_lock)
        {
            if (!_queue.UnorderedItems.Any(i => ReferenceEquals(i.Element, task)) || !_removed.Add(task)) return false;
            _count--;
            return true;
        }
    }

    /// <summary>All tasks still queued (for shutdown).</summary>
    public List<KernelTask> Snapshot()
    {
        lock (_lock) return _queue.UnorderedItems.Select(i => i.Element).Where(t => !_removed.Contains(t)).ToList();
    }

    /// <summary>
    /// Blocks the calling worker thread until the next task in priority order. A synchronous wait
    /// (spin, then futex) wakes a parked worker in microseconds; an async wait would go through the
    /// thread pool, which costs about a hundred on a small machine.
    /// </summary>
    /// <remarks>
    /// SemaphoreSlim's wait spins on its own before it sleeps (about 37 sched_yield calls per task
    /// on a 2-core VM, strace, whatever <paramref name="spin"/> is), which costs system calls. A
    /// Monitor.Wait/Pulse queue without that spin was tried on 2026-12-07 (40 instead of 70 system
    /// calls per call, same latency) and taken back when the conformance suite lost the kernel
    /// under its 10 000-call storm; the same failure then showed with this semaphore too (its cause
    /// was the suite's 500 ms heartbeat), so the Monitor queue is a candidate to try again.
    /// </remarks>
    /// <param name="ct">Stops the wait.</param>
    /// <param name="spin">How long to look without sleeping first (yielding the core between looks).</param>
    public KernelTask Dequeue(CancellationToken ct, TimeSpan spin = default)
    {
        long spinUntil = spin > TimeSpan.Zero ? Stopwatch.GetTimestamp() + (long)(spin.TotalSeconds * Stopwatch.Frequency) : 0;
        while (true)
        {
            if (!_available.Wait(0))
            {
                while (Stopwatch.GetTimestamp() < spinUntil && Volatile.Read(ref _count) == 0 && !ct.IsCancellationRequested) Thread.Yield();
                _available.Wait(ct);
            }
            lock (_lock)
            {
                while (_queue.TryDequeue(out var task, out _))
                {
                    if (_removed.Remove(task)) continue; // its semaphore count was consumed by this wait
                    _count--;
                    return task;
                }
            }
        }
    }
}
