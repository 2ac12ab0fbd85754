namespace OgClews.Reporting.Tests;

// A private copy of a hand-made run folder (fixtures/demo-run), so tests can change its files and
// write reports into it without touching each other.
internal sealed class TempRunFolder : IDisposable
{
    public TempRunFolder(string fixture = "demo-run")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "ogclews-report-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
        string source = System.IO.Path.Combine(AppContext.BaseDirectory, "fixtures", fixture);
        foreach (string file in Directory.GetFiles(source))
            System.IO.File.Copy(file, System.IO.Path.Combine(Path, System.IO.Path.GetFileName(file)));
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string Read(string name) => System.IO.File.ReadAllText(File(name));

    public void Write(string name, string content) => System.IO.File.WriteAllText(File(name), content);

    public void Edit(string name, Func<string, string> change) => Write(name, change(Read(name)));

    public void Delete(string name) => System.IO.File.Delete(File(name));

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
