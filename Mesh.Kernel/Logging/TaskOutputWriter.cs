using System.Text;

namespace Mesh.Kernel.Logging;

/// <summary>
/// Replaces <see cref="Console.Out"/>/<see cref="Console.Error"/> in a kernel: text written while a
/// task runs (on that task's async flow) is also captured into that task's log; everything still
/// reaches the real stream, which the manager writes to the kernel's log file.
/// </summary>
internal sealed class TaskOutputWriter(TextWriter inner) : TextWriter
{
    public override Encoding Encoding => inner.Encoding;

    public override void Write(char value)
    {
        TaskContext.Current?.Task.AppendText([value]);
        inner.Write(value);
    }

    public override void Write(string? value)
    {
        if (value is null) return;
        TaskContext.Current?.Task.AppendText(value);
        inner.Write(value);
    }

    public override void Write(char[] buffer, int index, int count)
    {
        TaskContext.Current?.Task.AppendText(buffer.AsSpan(index, count));
        inner.Write(buffer, index, count);
    }

    public override void Write(ReadOnlySpan<char> buffer)
    {
        TaskContext.Current?.Task.AppendText(buffer);
        inner.Write(buffer);
    }

    public override void WriteLine(string? value)
    {
        Write(value);
        Write('\n');
    }

    public override void Flush() => inner.Flush();

    /// <summary>Installs the routing writers on stdout and stderr (autoflushed: the log file is the record).</summary>
    public static void Install()
    {
        var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
        var stderr = new StreamWriter(Console.OpenStandardError()) { AutoFlush = true };
        Console.SetOut(new TaskOutputWriter(stdout));
        Console.SetError(new TaskOutputWriter(stderr));
    }
}
