namespace Mesh.Client.Launching;

/// <summary>
/// A kernel's log file: lines are appended and flushed, the file rotates at a size limit
/// (<c>k.log</c> → <c>k.log.1</c> …), and only the last few lines are kept in memory for error
/// messages — output is never buffered whole.
/// </summary>
internal sealed class RotatingLog : IDisposable
{
    private const int TailLines = 40;
    private readonly object _lock = new();
    private readonly string _path;
    private readonly long _maxBytes;
    private readonly int _maxFiles;
    private readonly Queue<string> _tail = new();
    private StreamWriter? _writer;
    private long _size;

    public RotatingLog(string path, long maxBytes, int maxFiles)
    {
        _path = path;
        _maxBytes = maxBytes;
        _maxFiles = maxFiles;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        Open(append: true);
    }

    public string Path => _path;

    private void Open(bool append)
    {
        var fs = new FileStream(_path, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        _size = fs.Length;
        _writer = new StreamWriter(fs) { AutoFlush = true };
    }

    public void WriteLine(string line)
    {
        lock (_lock)
        {
            if (_writer is null) return;
            _tail.Enqueue(line);
            if (_tail.Count > TailLines) _tail.Dequeue();
            if (_size > 0 && _size + line.Length + 1 > _maxBytes) Rotate();
            _writer!.WriteLine(line);
            _size += line.Length + 1;
        }
    }

    private void Rotate()
    {
        _writer!.Dispose();
        for (int i = _maxFiles - 1; i >= 1; i--)
        {
            string from = i == 1 ? _path : $"{_path}.{i - 1}";
            if (File.Exists(from)) File.Move(from, $"{_path}.{i}", overwrite: true);
        }
        Open(append: false);
    }

    public IReadOnlyList<string> Tail()
    {
        lock (_lock) return _tail.ToArray();
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _writer?.Dispose();
            _writer = null;
        }
    }
}
