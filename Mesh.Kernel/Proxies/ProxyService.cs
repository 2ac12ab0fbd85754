using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using Mesh.Kernel.Dispatch;
using Mesh.Protocol;
using Mesh.Values;

namespace Mesh.Kernel.Proxies;

/// <summary>
/// The reserved <c>mesh.*</c> endpoints of docs/protocol.md section 9: exported roots, member
/// calls through the allow-list, by-value/by-reference results, deref and release. They run as
/// ordinary tasks, so priorities, cancellation, timeouts and logs apply to them too.
/// </summary>
internal sealed class ProxyService(ObjectTable table, IReadOnlyDictionary<string, object> exports, string kernelId)
{
    private static readonly HashSet<string> ObjectMembers = typeof(object)
        .GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static)
        .Select(m => Normalize(m.Name)).ToHashSet();

    private static readonly ConcurrentDictionary<(Type, string), MethodInfo[]> MethodCache = new();

    public void Register(EndpointRegistry registry)
    {
        registry.Add(new Endpoint("mesh.root", (string name, TaskContext ctx) => Root(name, ctx), "reference to an exported root"));
        registry.Add(new Endpoint("mesh.call", (object? target, object?[]? args, Dictionary<string, object?>? kwargs, TaskContext ctx) =>
            CallAsync(target, args ?? [], kwargs ?? [], ctx), "call an object (construct an exported type)"));
        registry.Add(new Endpoint("mesh.call_method", (object? target, string name, object?[]? args, Dictionary<string, object?>? kwargs, TaskContext ctx) =>
            CallMethodAsync(target, name, args ?? [], kwargs ?? [], ctx), "call a method"));
        registry.Add(new Endpoint("mesh.get_attr", (object? target, string name, TaskContext ctx) => GetAttr(target, name, ctx), "read a property"));
        registry.Add(new Endpoint("mesh.set_attr", (object? target, string name, object? value) => SetAttr(target, name, value), "write a property"));
        registry.Add(new Endpoint("mesh.get_item", (object? target, object? key, TaskContext ctx) => GetItem(target, key, ctx), "read an item"));
        registry.Add(new Endpoint("mesh.set_item", (object? target, object? key, object? value) => SetItem(target, key, value), "write an item"));
        registry.Add(new Endpoint("mesh.deref", (object? target) => Deref(target), "copy an object's value"));
        registry.Add(new Endpoint("mesh.release", (ulong[] ids, TaskContext ctx) => Release(ids, ctx), "release references"));
        registry.Add(new Endpoint("mesh.objects", () =>
        {
            var (objects, sessions) = table.Counts();
            return new Dictionary<string, object?> { ["objects"] = (long)objects, ["sessions"] = (long)sessions };
        }, "live object table size"));
    }

    /// <summary>Replaces references anywhere in the arguments by the objects they name.</summary>
    public object? Resolve(object? value) => value switch
    {
        RemoteReference r => table.Get(r.ObjectId),
        object?[] items => ResolveAll(items),
        Dictionary<string, object?> map => ResolveMap(map),
        _ => value,
    };

    private object?[] ResolveAll(object?[] items)
    {
        for (int i = 0; i < items.Length; i++) items[i] = Resolve(items[i]);
        return items;
    }

    private Dictionary<string, object?> ResolveMap(Dictionary<string, object?> map)
    {
        foreach (var key in map.Keys.ToArray()) map[key] = Resolve(map[key]);
        return map;
    }

    private object Root(string name, TaskContext ctx) =>
        exports.TryGetValue(name, out var root) ? table.Add(root, ctx.Session)
            : throw new ProxyException(ErrorCode.ProxyNotExported, $"kernel '{kernelId}' exports no '{name}' (exports: {string.Join(", ", exports.Keys.Order())})");

    private async Task<object?> CallAsync(object? target, object?[] args, Dictionary<string, object?> kwargs, TaskContext ctx)
    {
        switch (target)
        {
            case ExportedType t:
                {
                    var ctors = t.Type.GetConstructors(BindingFlags.Public | BindingFlags.Instance).OrderByDescending(c => c.GetParameters().Length).ToArray();
                    return Wrap(await InvokeFirstBindable(ctors.Select(c => new Endpoint(t.Type.Name, c, null)), args, kwargs, ctx, t.Type.Name), ctx);
                }
            case Delegate d when IsExported(d):
                return Wrap(await InvokeFirstBindable([new Endpoint(d.Method.Name, d, null)], args, kwargs, ctx, d.Method.Name), ctx);
            default:
                throw new ProxyException(ErrorCode.ProxyForbidden, $"a {Describe(target)} cannot be called; only exported types and functions can");
        }
    }

    private async Task<object?> CallMethodAsync(object? target, string name, object?[] args, Dictionary<string, object?> kwargs, TaskContext ctx)
    {
        var type = Target(target).GetType();
        CheckName(name, type);
        var methods = MethodCache.GetOrAdd((type, name), key => FindMethods(key.Item1, key.Item2));
        if (methods.Length == 0)
            throw new ProxyException(ErrorCode.ProxyUnknownMember, $"{type.Name} has no public method '{name}'");
        return Wrap(await InvokeFirstBindable(methods.Select(m => new Endpoint(m.Name, m, target)), args, kwargs, ctx, $"{type.Name}.{name}"), ctx);
    }

    private static async Task<object?> InvokeFirstBindable(IEnumerable<Endpoint> candidates, object?[] args, Dictionary<string, object?> kwargs, TaskContext ctx, string what)
    {
        ArgumentBindingException? first = null;
        foreach (var endpoint in candidates)
        {
            object?[] bound;
            try { bound = endpoint.Bind(args, kwargs); }
            catch (ArgumentBindingException e) { first ??= e; continue; }
            return await endpoint.InvokeAsync(bound, ctx).ConfigureAwait(false);
        }
        throw new ProxyArgumentException($"{what}: {first?.Message ?? "no overload fits the arguments"}");
    }

    private object? GetAttr(object? target, string name, TaskContext ctx)
    {
        var type = Target(target).GetType();
        CheckName(name, type);
        var property = FindProperty(type, name);
        if (property is not null) return Wrap(property.GetValue(target), ctx);
        var field = type.GetFields(BindingFlags.Public | BindingFlags.Instance).FirstOrDefault(f => Matches(f.Name, name));
        if (field is not null) return Wrap(field.GetValue(target), ctx);
        throw new ProxyException(ErrorCode.ProxyUnknownMember, $"{type.Name} has no public property or field '{name}'");
    }

    private static object? SetAttr(object? target, string name, object? value)
    {
        var type = Target(target).GetType();
        CheckName(name, type);
        var property = FindProperty(type, name);
        if (property is { SetMethod.IsPublic: true })
        {
            property.SetValue(target, Convert(value, property.PropertyType, name));
            return null;
        }
        var field = type.GetFields(BindingFlags.Public | BindingFlags.Instance).FirstOrDefault(f => Matches(f.Name, name) && !f.IsInitOnly);
        if (field is not null) { field.SetValue(target, Convert(value, field.FieldType, name)); return null; }
        throw new ProxyException(ErrorCode.ProxyUnknownMember, $"{type.Name} has no public settable property or field '{name}'");
    }

    private object? GetItem(object? target, object? key, TaskContext ctx) => Target(target) switch
    {
        IDictionary d => Wrap(KeyFor(d, key) is { } k && d.Contains(k) ? d[k] : throw new KeyNotFoundException($"no item '{key}'"), ctx),
        IList l => Wrap(l[System.Convert.ToInt32(key)], ctx),
        var t => Wrap(Indexer(t.GetType()).GetValue(t, [Convert(key, Indexer(t.GetType()).GetIndexParameters()[0].ParameterType, "key")]), ctx),
    };

    private static object? SetItem(object? target, object? key, object? value)
    {
        switch (Target(target))
        {
            case IDictionary d: d[KeyFor(d, key)!] = value; break;
            case IList l: l[System.Convert.ToInt32(key)] = value; break;
            case var t:
                var indexer = Indexer(t.GetType());
                indexer.SetValue(t, Convert(value, indexer.PropertyType, "value"), [Convert(key, indexer.GetIndexParameters()[0].ParameterType, "key")]);
                break;
        }
        return null;
    }

    private static object? KeyFor(IDictionary d, object? key)
    {
        var keyType = d.GetType().IsGenericType ? d.GetType().GetGenericArguments()[0] : typeof(object);
        return Convert(key, keyType, "key");
    }

    private static PropertyInfo Indexer(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).FirstOrDefault(p => p.GetIndexParameters().Length == 1)
        ?? throw new ProxyException(ErrorCode.ProxyUnknownMember, $"{type.Name} has no indexer");

    private static object? Deref(object? target)
    {
        if (PlainData.Is(target)) return target;
        if (target is not null && PlainData.TryProperties(target, out var map)) return map;
        throw new ProxyException(ErrorCode.ProxyNotData, $"a {Describe(target)} is not plain data and cannot be copied; call its methods instead");
    }

    private object? Release(ulong[] ids, TaskContext ctx)
    {
        foreach (var id in ids) table.Release(ctx.Session, id);
        return null;
    }

    /// <summary>By value when plain data, otherwise by reference; machinery is refused.</summary>
    private object? Wrap(object? value, TaskContext ctx)
    {
        if (PlainData.Is(value)) return value;
        if (IsMachinery(value!) && !IsExported(value!))
            throw new ProxyException(ErrorCode.ProxyForbidden, $"a {Describe(value)} is runtime machinery and is not handed out");
        return table.Add(value!, ctx.Session);
    }

    private bool IsExported(object value) => exports.Values.Any(v => ReferenceEquals(v, value));

    private static bool IsMachinery(object value) =>
        value is MemberInfo or Assembly or Module or Delegate or ParameterInfo or AppDomain or System.Diagnostics.Process
        || value.GetType().Namespace?.StartsWith("System.Reflection", StringComparison.Ordinal) == true;

    private static object Target(object? target) =>
        target ?? throw new ProxyException(ErrorCode.ProxyUnknownObject, "the target is nil");

    private static void CheckName(string name, Type type)
    {
        if (name.StartsWith('_'))
            throw new ProxyException(ErrorCode.ProxyForbidden, $"'{name}': names starting with '_' are never reachable");
        if (ObjectMembers.Contains(Normalize(name)) || type == typeof(ExportedType))
            throw new ProxyException(ErrorCode.ProxyForbidden, $"'{name}' belongs to the runtime's object model, not to {type.Name}");
    }

    private static MethodInfo[] FindMethods(Type type, string name)
    {
        var all = type.GetMethods(BindingFlags.Public | BindingFlags.Instance).Where(m => !m.IsSpecialName && m.DeclaringType != typeof(object)).ToArray();
        var exact = all.Where(m => m.Name == name).ToArray();
        return (exact.Length > 0 ? exact : all.Where(m => Matches(m.Name, name)))
            .OrderByDescending(m => m.GetParameters().Length).ToArray();
    }

    private static PropertyInfo? FindProperty(Type type, string name)
    {
        var props = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0 && p.GetMethod?.IsPublic == true).ToArray();
        return props.FirstOrDefault(p => p.Name == name) ?? props.FirstOrDefault(p => Matches(p.Name, name));
    }

    private static bool Matches(string member, string requested)
    {
        var m = Normalize(member);
        var r = Normalize(requested);
        return m == r || m == r + "async";
    }

    private static string Normalize(string name) => name.Replace("_", "").ToLowerInvariant();

    private static object? Convert(object? value, Type type, string what)
    {
        try { return ValueConverter.ConvertTo(value, type); }
        catch (InvalidCastException e) { throw new ProxyArgumentException($"'{what}': {e.Message}"); }
    }

    private static string Describe(object? value) => value switch
    {
        null => "nil",
        ExportedType t => $"type {t.Type.Name}",
        _ => value.GetType().Name,
    };
}

/// <summary>Arguments that fit no overload of a proxied member (reported as BAD_ARGUMENTS).</summary>
internal sealed class ProxyArgumentException(string message) : Exception(message);
