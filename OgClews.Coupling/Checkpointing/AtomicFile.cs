namespace OgClews.Coupling.Checkpointing;

// Whole-file writes that readers never see half done: write a temporary file beside the target,
// optionally flush it to disk, then rename it over the target (atomic on the same file system).
internal static class AtomicFile
{
    public const string TempSuffix = ".tmp";

    public static void Write(string path, ReadOnlySpan<byte> content, bool durable)
    {
        string temp = path + TempSuffix;
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: durable);
        }
        File.Move(temp, path, overwrite: true);
    }
}
