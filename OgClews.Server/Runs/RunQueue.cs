namespace OgClews.Server.Runs;

/// <summary>
/// The runs waiting for a slot, in the order they will start: runs interrupted by a server stop
/// first (they held a slot already), then higher priority first, then earlier submission first.
/// </summary>
internal sealed class RunQueue
{
    private readonly record struct Key(int Resumed, int NegativePriority, long Seq, string Id) : IComparable<Key>
    {
        public int CompareTo(Key other)
        {
            int c = Resumed.CompareTo(other.Resumed);
            if (c == 0) c = NegativePriority.CompareTo(other.NegativePriority);
            if (c == 0) c = Seq.CompareTo(other.Seq);
            return c != 0 ? c : string.CompareOrdinal(Id, other.Id);
        }
    }

    private readonly SortedSet<Key> _items = [];
    private readonly Dictionary<string, Key> _byId = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    // Released once per Add; a Remove leaves the count above the number of items, and a taker that
    // wakes to an empty queue waits again, so no wake-up is ever missing.
    private readonly SemaphoreSlim _signal = new(0);

    /// <summary>Queues a run (again, after a restart, with <paramref name="resumed"/>).</summary>
    public void Add(string id, int priority, long seq, bool resumed = false)
    {
        lock (_gate)
        {
            if (_byId.ContainsKey(id)) return;
            var key = new Key(resumed ? 0 : 1, -priority, seq, id);
            _items.Add(key);
            _byId[id] = key;
        }
        _signal.Release();
    }

    /// <summary>Takes a run out of the queue (it was cancelled).</summary>
    public bool Remove(string id)
    {
        lock (_gate)
        {
            if (!_byId.Remove(id, out var key)) return false;
            _items.Remove(key);
            return true;
        }
    }

    /// <summary>Waits for the first run in the queue and takes it.</summary>
    public async Task<string> TakeAsync(CancellationToken ct)
    {
        while (true)
        {
            await _signal.WaitAsync(ct).ConfigureAwait(false);
            lock (_gate)
            {
                if (_items.Count == 0) continue;
                var first = _items.Min;
                _items.Remove(first);
                _byId.Remove(first.Id);
                return first.Id;
            }
        }
    }

    /// <summary>Runs waiting.</summary>
    public int Count
    {
        get { lock (_gate) return _items.Count; }
    }

    /// <summary>1 for the run that starts next, or null when the run is not waiting.</summary>
    public int? PositionOf(string id)
    {
        lock (_gate)
        {
            if (!_byId.TryGetValue(id, out var key)) return null;
            return _items.GetViewBetween(_items.Min, key).Count;
        }
    }
}
