using System.Collections;
using System.Reflection;
using System.Runtime.CompilerServices;
using Mesh.Values;

namespace Mesh.Kernel.Proxies;

/// <summary>What travels by value (docs/protocol.md section 9.3): data, not objects with behaviour.</summary>
internal static class PlainData
{
    public static bool Is(object? value, int depth = 0)
    {
        if (depth > 32) return false;
        switch (value)
        {
            case null or string or bool or byte[] or DateTime or DateTimeOffset or NDArray or Table or MessagePackTimestamp
                or RemoteReference or IRemoteReference or MessagePackExtension or Guid or decimal: return true;
            case Enum: return true;
        }
        var type = value.GetType();
        if (type.IsPrimitive) return true;
        if (value is Array array && DTypes.TryFromClr(type.GetElementType()!, out _)) return true;
        if (value is IDictionary dict)
        {
            foreach (DictionaryEntry e in dict)
                if (!Is(e.Key, depth + 1) || !Is(e.Value, depth + 1)) return false;
            return true;
        }
        if (value is IList list)
        {
            foreach (var item in list)
                if (!Is(item, depth + 1)) return false;
            return true;
        }
        if (value is ITuple tuple)
        {
            for (int i = 0; i < tuple.Length; i++) if (!Is(tuple[i], depth + 1)) return false;
            return true;
        }
        // Records are data by declaration: plain when every public property is.
        return IsRecord(type) && TryProperties(value, out _, depth);
    }

    /// <summary>The public properties as a map, when every one of them is plain data.</summary>
    public static bool TryProperties(object value, out Dictionary<string, object?> map, int depth = 0)
    {
        map = [];
        foreach (var p in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (p.GetIndexParameters().Length > 0 || p.GetMethod is null) continue;
            var v = p.GetValue(value);
            if (!Is(v, depth + 1)) return false;
            map[p.Name] = v;
        }
        return true;
    }

    private static bool IsRecord(Type type) => type.GetMethod("<Clone>$") is not null;
}
