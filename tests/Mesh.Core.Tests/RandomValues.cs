using Mesh.Values;

namespace Mesh.Core.Tests;

/// <summary>Seeded random values of the whole value model, for property tests.</summary>
internal sealed class RandomValues(int seed, bool includeArrays = true, bool includeFloat32 = true)
{
    private readonly Random _rng = new(seed);

    public object? Next(int depth = 0)
    {
        int kind = _rng.Next(depth >= 4 ? 11 : 15);
        switch (kind)
        {
            case 0: return null;
            case 1: return _rng.Next(2) == 0;
            case 2: return (long)_rng.Next(-40, 200);
            case 3: return _rng.NextInt64(long.MinValue, long.MaxValue) >> _rng.Next(0, 63);
            case 4: return _rng.Next(4) == 0 ? (object)(ulong.MaxValue - (ulong)_rng.Next(1000)) : _rng.NextInt64();
            case 5: return Double();
            case 6: return includeFloat32 ? (float)Double() : Double();
            case 7: return String(_rng.Next(3) switch { 0 => _rng.Next(32), 1 => _rng.Next(300), _ => _rng.Next(70_000) });
            case 8: { var b = new byte[_rng.Next(3) == 0 ? _rng.Next(70_000) : _rng.Next(300)]; _rng.NextBytes(b); return b; }
            case 9: return new DateTime(DateTime.UnixEpoch.Ticks + _rng.NextInt64(-20_000_000_000_000_000, 20_000_000_000_000_000), DateTimeKind.Utc);
            case 10: { var b = new byte[_rng.Next(40)]; _rng.NextBytes(b); return new MessagePackExtension((sbyte)_rng.Next(10, 127), b); }
            case 11: return Enumerable.Range(0, _rng.Next(20)).Select(_ => Next(depth + 1)).ToArray();
            case 12:
                {
                    var m = new Dictionary<string, object?>();
                    int n = _rng.Next(20);
                    for (int i = 0; i < n; i++) m[$"k{i}_{String(_rng.Next(8))}"] = Next(depth + 1);
                    return m;
                }
            case 13: return includeArrays ? Array() : (long)_rng.Next();
            default: return includeArrays ? TableValue() : new Dictionary<object, object?> { [(long)_rng.Next()] = Next(depth + 1) };
        }
    }

    private double Double() => _rng.Next(10) switch
    {
        0 => double.NaN,
        1 => double.PositiveInfinity,
        2 => -0.0,
        3 => double.Epsilon,
        _ => (_rng.NextDouble() - 0.5) * Math.Pow(10, _rng.Next(-300, 300)),
    };

    private string String(int length)
    {
        var chars = new char[length];
        for (int i = 0; i < length; i++)
            chars[i] = _rng.Next(10) switch { 0 => (char)_rng.Next(0x400, 0x4ff), 1 => '€', _ => (char)_rng.Next(32, 127) };
        return new string(chars);
    }

    public NDArray Array()
    {
        var dtype = (DType)_rng.Next(11);
        int rank = _rng.Next(4);
        var shape = Enumerable.Range(0, rank).Select(_ => (long)_rng.Next(_rng.Next(4) == 0 ? 400 : 6)).ToArray();
        long count = shape.Aggregate(1L, (a, b) => a * b);
        var data = System.Array.CreateInstance(dtype.ClrType(), count);
        var nd = rank == 1 ? new NDArray(data) : new NDArray(data, shape);
        var bytes = nd.AsBytes();
        _rng.NextBytes(bytes);
        if (dtype == DType.Bool) for (int i = 0; i < bytes.Length; i++) bytes[i] &= 1;
        return nd;
    }

    private Table TableValue()
    {
        int rows = _rng.Next(3) == 0 ? _rng.Next(2000) : _rng.Next(10);
        var t = new Table();
        int cols = _rng.Next(1, 5);
        for (int c = 0; c < cols; c++)
        {
            if (_rng.Next(3) == 0) t.Add($"s{c}", Enumerable.Range(0, rows).Select(i => i % 7 == 0 ? null : String(_rng.Next(10))).ToArray());
            else
            {
                var v = new double[rows];
                for (int i = 0; i < rows; i++) v[i] = _rng.NextDouble();
                t.Add($"c{c}", v);
            }
        }
        return t;
    }
}
