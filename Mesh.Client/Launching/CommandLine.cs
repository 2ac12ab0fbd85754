namespace Mesh.Client.Launching;

/// <summary>A program and its arguments, with extra environment variables.</summary>
/// <param name="FileName">Executable (a path, or a name found on PATH).</param>
/// <param name="Arguments">Arguments, unquoted.</param>
/// <param name="Environment">Extra environment variables (null value removes a variable).</param>
public sealed record CommandLine(string FileName, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string?>? Environment = null)
{
    /// <summary>The command as a shell would show it.</summary>
    public override string ToString() => string.Join(' ', new[] { FileName }.Concat(Arguments).Select(Quote));

    private static string Quote(string s) => s.Length > 0 && s.All(c => char.IsLetterOrDigit(c) || "-_./=:,@%+".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";
}
