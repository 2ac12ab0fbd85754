using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;

namespace Mesh.Values;

/// <summary>
/// Converts decoded wire values (see <see cref="ValueDecoder"/>) to the CLR types handlers and
/// callers ask for: numbers with range checks, ndarrays to <c>T[]</c>/<c>T[,]</c> (no copy when
/// the shape already fits), arrays to lists, maps to dictionaries or to records/classes by
/// property name. Failures throw <see cref="InvalidCastException"/> with a message that says what
/// was expected and what arrived.
/// </summary>
public static class ValueConverter
{
    /// <summary>Converts <paramref name="value"/> to <typeparamref name="T"/>.</summary>
    public static T ConvertTo<T>(object? value) => (T)ConvertTo(value, typeof(T))!;

    /// <summary>Converts <paramref name="value"/> to <paramref name="target"/>.</summary>
    public static object? ConvertTo(object? value, Type target)
    {
        if (target == typeof(object)) return value;
        var underlying = Nullable.GetUnderlyingType(target);
        if (value is null)
        {
            if (!target.IsValueType || underlying is not null) return null;
            throw new InvalidCastException($"expected {Describe(target)}, got nil");
        }
        if (underlying is not null) target = underlying;
        if (target.IsInstanceOfType(value)) return value;

        switch (value)
        {
            case long or ulong or double or float when IsNumeric(target): return ConvertNumber(value, target);
            case string s when target.IsEnum:
                return Enum.TryParse(target, s, ignoreCase: true, out var e) ? e : throw new InvalidCastException($"'{s}' is not a {target.Name} value");
            case long l when target.IsEnum: return Enum.ToObject(target, l);
            case string s when target == typeof(Guid): return Guid.Parse(s);
            case DateTime dt when target == typeof(DateTimeOffset): return new DateTimeOffset(dt);
            case NDArray nd when target.IsArray: return nd.ToArray(target);
            case NDArray nd when IsList(target, out var elem): return ListFrom(((IEnumerable)nd.ToArray(elem.MakeArrayType())).Cast<object?>().ToArray(), target, elem);
            case object?[] items when target.IsArray && target.GetArrayRank() == 1: return ArrayFrom(items, target.GetElementType()!);
            case object?[] items when target.IsArray: return MultiArrayFrom(items, target);
            case object?[] items when IsList(target, out var elem): return ListFrom(items, target, elem);
            case IDictionary map when IsDictionary(target, out var k, out var v): return DictionaryFrom(map, target, k, v);
            case Dictionary<string, object?> map when !target.IsPrimitive && target != typeof(string): return ObjectFrom(map, target);
        }
        throw new InvalidCastException($"expected {Describe(target)}, got {DescribeValue(value)}");
    }

    /// <summary>A short description of a wire value's type for error messages.</summary>
    public static string DescribeValue(object? value) => value switch
    {
        null => "nil",
        NDArray nd => $"a {nd.DType.WireName()} array of shape [{string.Join(", ", nd.Shape)}]",
        Table t => $"a table ({string.Join(", ", t.Names)})",
        object?[] a => $"an array of {a.Length} elements",
        IDictionary => "a map",
        string => "a string",
        long or ulong => $"the integer {value}",
        double or float => $"the float {value}",
        bool => "a boolean",
        byte[] => "binary data",
        _ => value.GetType().Name,
    };

    private static string Describe(Type t) => t.IsArray ? $"{Describe(t.GetElementType()!)}[{new string(',', t.GetArrayRank() - 1)}]" : t.Name;

    private static bool IsNumeric(Type t) =>
        t == typeof(double) || t == typeof(float) || t == typeof(int) || t == typeof(long) || t == typeof(short) || t == typeof(sbyte)
        || t == typeof(byte) || t == typeof(ushort) || t == typeof(uint) || t == typeof(ulong) || t == typeof(decimal);

    private static object ConvertNumber(object value, Type target)
    {
        if (target == typeof(double)) return value switch { long l => (double)l, ulong u => (double)u, float f => (double)f, _ => value };
        if (target == typeof(float)) return value switch { long l => (float)l, ulong u => (float)u, double d => (float)d, _ => value };
        if (target == typeof(decimal)) return Convert.ToDecimal(value);
        if (value is double or float)
        {
            double d = Convert.ToDouble(value);
            if (Math.Floor(d) != d || double.IsInfinity(d)) throw new InvalidCastException($"expected an integer ({target.Name}), got the float {d}");
            value = d >= 0 ? (object)(ulong)d : (long)d;
        }
        try
        {
            return value is ulong u ? Convert.ChangeType(u, target) : Convert.ChangeType((long)value, target);
        }
        catch (OverflowException)
        {
            throw new InvalidCastException($"the integer {value} is outside the range of {target.Name}");
        }
    }

    private static Array ArrayFrom(object?[] items, Type element)
    {
        var result = Array.CreateInstance(element, items.Length);
        for (int i = 0; i < items.Length; i++)
        {
            try { result.SetValue(ConvertTo(items[i], element), i); }
            catch (InvalidCastException e) { throw new InvalidCastException($"element {i}: {e.Message}"); }
        }
        return result;
    }

    private static Array MultiArrayFrom(object?[] rows, Type target)
    {
        if (target.GetArrayRank() != 2) throw new InvalidCastException($"expected {Describe(target)}, got nested arrays");
        int cols = rows.Length == 0 ? 0 : (rows[0] as object?[])?.Length ?? throw new InvalidCastException("expected an array of rows");
        var element = target.GetElementType()!;
        var result = Array.CreateInstance(element, rows.Length, cols);
        for (int i = 0; i < rows.Length; i++)
        {
            if (rows[i] is not object?[] row || row.Length != cols) throw new InvalidCastException($"row {i} is not an array of {cols} elements");
            for (int j = 0; j < cols; j++) result.SetValue(ConvertTo(row[j], element), i, j);
        }
        return result;
    }

    private static bool IsList(Type t, out Type element)
    {
        element = typeof(object);
        if (!t.IsGenericType) return false;
        var def = t.GetGenericTypeDefinition();
        if (def == typeof(List<>) || def == typeof(IList<>) || def == typeof(IReadOnlyList<>) || def == typeof(IEnumerable<>) || def == typeof(ICollection<>) || def == typeof(IReadOnlyCollection<>))
        {
            element = t.GetGenericArguments()[0];
            return true;
        }
        return false;
    }

    private static object ListFrom(object?[] items, Type target, Type element)
    {
        var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(element), items.Length)!;
        for (int i = 0; i < items.Length; i++)
        {
            try { list.Add(ConvertTo(items[i], element)); }
            catch (InvalidCastException e) { throw new InvalidCastException($"element {i}: {e.Message}"); }
        }
        return list;
    }

    private static bool IsDictionary(Type t, out Type key, out Type value)
    {
        key = value = typeof(object);
        if (!t.IsGenericType) return false;
        var def = t.GetGenericTypeDefinition();
        if (def != typeof(Dictionary<,>) && def != typeof(IDictionary<,>) && def != typeof(IReadOnlyDictionary<,>)) return false;
        var args = t.GetGenericArguments();
        (key, value) = (args[0], args[1]);
        return true;
    }

    private static object DictionaryFrom(IDictionary map, Type target, Type key, Type value)
    {
        var dict = (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(key, value))!;
        foreach (DictionaryEntry e in map)
        {
            try { dict[ConvertTo(e.Key, key)!] = ConvertTo(e.Value, value); }
            catch (InvalidCastException ex) { throw new InvalidCastException($"entry '{e.Key}': {ex.Message}"); }
        }
        return dict;
    }

    private static readonly ConcurrentDictionary<Type, (ConstructorInfo? Ctor, ParameterInfo[] Params, PropertyInfo[] Props)> Shapes = new();

    private static object ObjectFrom(Dictionary<string, object?> map, Type target)
    {
        var (ctor, ctorParams, props) = Shapes.GetOrAdd(target, t =>
        {
            var ctors = t.GetConstructors(BindingFlags.Public | BindingFlags.Instance);
            var best = ctors.OrderByDescending(c => c.GetParameters().Length).FirstOrDefault();
            return (best, best?.GetParameters() ?? [], t.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).ToArray());
        });
        if (ctor is null) throw new InvalidCastException($"expected {target.Name}, which has no public constructor; got a map");
        var byName = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (k, v) in map) byName[Normalize(k)] = v;
        var args = new object?[ctorParams.Length];
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < ctorParams.Length; i++)
        {
            var p = ctorParams[i];
            string name = Normalize(p.Name!);
            if (byName.TryGetValue(name, out var v))
            {
                try { args[i] = ConvertTo(v, p.ParameterType); }
                catch (InvalidCastException e) { throw new InvalidCastException($"field '{p.Name}': {e.Message}"); }
                used.Add(name);
            }
            else if (p.HasDefaultValue) args[i] = p.DefaultValue;
            else throw new InvalidCastException($"expected {target.Name}: the map lacks field '{p.Name}'");
        }
        var obj = ctor.Invoke(args);
        foreach (var prop in props)
        {
            string name = Normalize(prop.Name);
            if (used.Contains(name) || !byName.TryGetValue(name, out var v)) continue;
            try { prop.SetValue(obj, ConvertTo(v, prop.PropertyType)); }
            catch (InvalidCastException e) { throw new InvalidCastException($"field '{prop.Name}': {e.Message}"); }
        }
        return obj;
    }

    // snake_case on the wire (Python, C) matches PascalCase/camelCase in .NET.
    private static string Normalize(string name) => name.Replace("_", "");
}
