using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Mesh.Values;

namespace Mesh.Kernel.Proxies;

/// <summary>
/// Objects handed out by reference, with per-session reference counts and leases
/// (docs/protocol.md section 9.4). Ids come from a counter and are never reused; the same object
/// handed out twice keeps its id while anyone holds it.
/// </summary>
internal sealed class ObjectTable(string kernelId)
{
    private readonly object _lock = new();
    private readonly Dictionary<ulong, Entry> _byId = new();
    private readonly Dictionary<object, ulong> _byObject = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, Dictionary<ulong, int>> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _lastSeen = new(StringComparer.Ordinal);
    private ulong _nextId;

    private sealed class Entry(object value)
    {
        public object Value { get; } = value;
        public int Holders;
    }

    /// <summary>Registers (or finds) <paramref name="value"/> and gives <paramref name="session"/> one more reference to it.</summary>
    public RemoteReference Add(object value, string session)
    {
        lock (_lock)
        {
            if (!_byObject.TryGetValue(value, out var id))
            {
                id = ++_nextId;
                _byObject[value] = id;
                _byId[id] = new Entry(value);
            }
            _byId[id].Holders++;
            if (!_sessions.TryGetValue(session, out var counts)) _sessions[session] = counts = [];
            counts[id] = counts.GetValueOrDefault(id) + 1;
            _lastSeen[session] = Environment.TickCount64;
            return new RemoteReference(id, TypeName(value), kernelId);
        }
    }

    private static string TypeName(object value) => value is ExportedType t ? t.Type.FullName ?? t.Type.Name : value.GetType().FullName ?? value.GetType().Name;

    /// <summary>The object with this id.</summary>
    public object Get(ulong id)
    {
        lock (_lock)
        {
            return _byId.TryGetValue(id, out var e) ? e.Value
                : throw new ProxyException(Protocol.ErrorCode.ProxyUnknownObject, $"kernel '{kernelId}' has no object {id} (released, expired with its session's lease, or never created)");
        }
    }

    /// <summary>Drops one of <paramref name="session"/>'s references to <paramref name="id"/>; unknown ids are ignored.</summary>
    public void Release(string session, ulong id)
    {
        lock (_lock)
        {
            if (!_sessions.TryGetValue(session, out var counts) || !counts.TryGetValue(id, out var n)) return;
            if (n == 1) counts.Remove(id); else counts[id] = n - 1;
            Drop(id, 1);
            if (counts.Count == 0) { _sessions.Remove(session); _lastSeen.TryRemove(session, out _); }
        }
    }

    private void Drop(ulong id, int holders)
    {
        var e = _byId[id];
        e.Holders -= holders;
        if (e.Holders > 0) return;
        _byId.Remove(id);
        _byObject.Remove(e.Value);
        if (e.Value is IDisposable d) d.Dispose();
    }

    /// <summary>Renews a session's lease (any message from it). Cheap for sessions without references.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Touch(string session)
    {
        if (_lastSeen.ContainsKey(session)) _lastSeen[session] = Environment.TickCount64;
    }

    /// <summary>Releases everything held by sessions silent for longer than <paramref name="lease"/>.</summary>
    public int ExpireSessions(TimeSpan lease)
    {
        long cutoff = Environment.TickCount64 - (long)lease.TotalMilliseconds;
        int released = 0;
        foreach (var (session, seen) in _lastSeen)
        {
            if (seen > cutoff) continue;
            lock (_lock)
            {
                if (!_sessions.Remove(session, out var counts)) continue;
                _lastSeen.TryRemove(session, out _);
                foreach (var (id, n) in counts) { Drop(id, n); released++; }
            }
        }
        return released;
    }

    public (int Objects, int Sessions) Counts()
    {
        lock (_lock) return (_byId.Count, _sessions.Count);
    }
}
