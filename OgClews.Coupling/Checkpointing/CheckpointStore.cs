using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;
using OgClews.Coupling.Orchestration;

namespace OgClews.Coupling.Checkpointing;

// The run folder: checkpoints/iter-NNNN.json (one per completed iteration, written atomically),
// state.json (points at the latest), iterations.csv (written by IterationsCsv).
internal sealed partial class CheckpointStore
{
    public const string CheckpointsFolderName = "checkpoints";
    public const string StateFileName = "state.json";
    public const string CsvFileName = "iterations.csv";
    public const string CorruptSuffix = ".corrupt";

    internal static readonly JsonSerializerOptions Json = CreateJsonOptions();

    private readonly bool _durable;

    public CheckpointStore(string runFolder, bool durable)
    {
        RunFolder = Path.GetFullPath(runFolder);
        CheckpointsFolder = Path.Combine(RunFolder, CheckpointsFolderName);
        _durable = durable;
    }

    public string RunFolder { get; }

    public string CheckpointsFolder { get; }

    public string StatePath => Path.Combine(RunFolder, StateFileName);

    public string CsvPath => Path.Combine(RunFolder, CsvFileName);

    public static string FileName(int iteration) => string.Create(CultureInfo.InvariantCulture, $"iter-{iteration:D4}.json");

    public string PathOf(int iteration) => Path.Combine(CheckpointsFolder, FileName(iteration));

    public bool HasCheckpoints() => File.Exists(StatePath) || ListCheckpoints().Count > 0;

    // A fresh run: the folder must not hold one already.
    public void PrepareFresh()
    {
        if (HasCheckpoints())
            throw new CouplingException($"The run folder {RunFolder} already holds checkpoints; resume it (ResumeAsync) or use another folder.");
        Directory.CreateDirectory(CheckpointsFolder);
        if (File.Exists(CsvPath)) File.Delete(CsvPath);
    }

    public void Write(CheckpointDocument document)
    {
        Directory.CreateDirectory(CheckpointsFolder);
        AtomicFile.Write(PathOf(document.Iteration), JsonSerializer.SerializeToUtf8Bytes(document, Json), _durable);
        var state = new StateDocument
        {
            Latest = $"{CheckpointsFolderName}/{FileName(document.Iteration)}",
            Iteration = document.Iteration,
            Status = document.Status,
            Message = document.Message,
            Residual = document.Record.Residual,
            UpdatedAt = document.WrittenAt,
        };
        // The pointer is a convenience (resume scans the checkpoint files), so it is not flushed to disk.
        AtomicFile.Write(StatePath, JsonSerializer.SerializeToUtf8Bytes(state, Json), durable: false);
    }

    // The newest readable checkpoint, the records of it and of the readable ones before it, and
    // warnings for those that could not be read. Unreadable checkpoints newer than the one chosen
    // are renamed to *.corrupt (the resumed run writes those iterations again). Null when the
    // folder has no checkpoint at all; CouplingException when none is readable, or when the
    // checkpoints belong to a problem of another shape.
    public (CheckpointDocument Latest, List<RecordDocument> Records, List<string> Warnings)? Load(FixedPointProblem problem)
    {
        var warnings = new List<string>();
        if (Directory.Exists(CheckpointsFolder))
        {
            foreach (string temp in Directory.EnumerateFiles(CheckpointsFolder, "*" + AtomicFile.TempSuffix)) File.Delete(temp);
        }
        var files = ListCheckpoints();
        if (files.Count == 0) return null;
        CheckStatePointer(warnings);

        CheckpointDocument? latest = null;
        int chosen = -1;
        var skipped = new List<(string Path, string Reason)>();
        for (int i = files.Count - 1; i >= 0 && latest is null; i--)
        {
            var (iteration, path) = files[i];
            if (TryRead(path, iteration, problem, out var document, out string? reason))
            {
                latest = document;
                chosen = i;
            }
            else
            {
                skipped.Add((path, reason!));
            }
        }
        if (latest is null)
            throw new CouplingException($"No checkpoint in {CheckpointsFolder} is readable: {string.Join("; ", skipped.Select(s => $"{Path.GetFileName(s.Path)}: {s.Reason}"))}.");

        foreach (var (path, reason) in skipped)
        {
            File.Move(path, path + CorruptSuffix, overwrite: true);
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"Checkpoint {Relative(path)} is unreadable ({reason}); it was renamed to {Path.GetFileName(path)}{CorruptSuffix} and the run resumes from the previous complete checkpoint, {Relative(files[chosen].Path)} (iteration {latest.Iteration}), so iteration {latest.Iteration + 1} is evaluated again."));
        }

        var records = new List<RecordDocument>();
        for (int i = 0; i < chosen; i++)
        {
            var (iteration, path) = files[i];
            if (TryRead(path, iteration, problem, out var document, out string? reason)) records.Add(document!.Record);
            else warnings.Add($"Checkpoint {Relative(path)} is unreadable ({reason}); iteration {iteration} is missing from the records (the run itself is not affected).");
        }
        records.Add(latest.Record);
        return (latest, records, warnings);
    }

    private bool TryRead(string path, int iteration, FixedPointProblem problem, out CheckpointDocument? document, out string? reason)
    {
        document = null;
        try
        {
            document = JsonSerializer.Deserialize<CheckpointDocument>(File.ReadAllBytes(path), Json);
            reason = Validate(document, iteration);
        }
        catch (JsonException e)
        {
            reason = $"not valid JSON, truncated or corrupt: {e.Message}";
        }
        catch (IOException e)
        {
            reason = $"cannot be read: {e.Message}";
        }
        if (reason is not null)
        {
            document = null;
            return false;
        }
        CheckProblem(document!, path, problem);
        return true;
    }

    // Structural checks: anything wrong here is a damaged file, not a different problem.
    private static string? Validate(CheckpointDocument? d, int iteration)
    {
        if (d is null) return "empty document";
        if (d.Format != CheckpointDocument.CurrentFormat) return $"format '{d.Format}', expected '{CheckpointDocument.CurrentFormat}'";
        if (d.Iteration != iteration || d.Record is null || d.Record.Iteration != iteration) return $"it does not hold iteration {iteration}";
        int n = d.Dimension;
        if (n < 1 || d.Blocks is null) return "no dimension or blocks";
        if (d.Record.X is null || d.Record.X.Length != n || d.Record.GX is null || d.Record.GX.Length != n) return $"x or G(x) does not have {n} values";
        if (d.Next is not null && d.Next.Length != n) return $"the next iterate does not have {n} values";
        if (d.Residuals is null || d.AbsoluteResiduals is null || d.Residuals.Length != iteration + 1 || d.AbsoluteResiduals.Length != iteration + 1)
            return $"the residual history does not have {iteration + 1} entries";
        if (d.Accelerator is null || string.IsNullOrEmpty(d.Accelerator.Kind)) return "no accelerator state";
        if (d.Record.Method is null || d.Record.BlockResiduals is null || d.Record.ComponentSeconds is null) return "incomplete iteration record";
        return null;
    }

    // A readable checkpoint of a problem of another shape is an error, not damage: resuming it would be wrong.
    private void CheckProblem(CheckpointDocument d, string path, FixedPointProblem problem)
    {
        bool same = d.Dimension == problem.Dimension && d.Blocks.Count == problem.Blocks.Count
            && d.Blocks.Zip(problem.Blocks).All(p => p.First.Name == p.Second.Name && p.First.Offset == p.Second.Offset && p.First.Length == p.Second.Length);
        if (!same)
            throw new CouplingException(
                $"Checkpoint {Relative(path)} is for a problem of dimension {d.Dimension} with blocks [{string.Join(", ", d.Blocks.Select(b => $"{b.Name}:{b.Length}"))}], " +
                $"but this problem has dimension {problem.Dimension} with blocks [{string.Join(", ", problem.Blocks.Select(b => $"{b.Name}:{b.Length}"))}].");
    }

    private void CheckStatePointer(List<string> warnings)
    {
        if (!File.Exists(StatePath))
        {
            warnings.Add($"{StateFileName} is missing; the newest checkpoint file is used.");
            return;
        }
        try
        {
            var state = JsonSerializer.Deserialize<StateDocument>(File.ReadAllBytes(StatePath), Json);
            if (state is null || state.Format != StateDocument.CurrentFormat) warnings.Add($"{StateFileName} is not a state pointer; the newest checkpoint file is used.");
        }
        catch (JsonException e)
        {
            warnings.Add($"{StateFileName} is unreadable ({e.Message}); the newest checkpoint file is used.");
        }
    }

    private List<(int Iteration, string Path)> ListCheckpoints()
    {
        var list = new List<(int, string)>();
        if (!Directory.Exists(CheckpointsFolder)) return list;
        foreach (string path in Directory.EnumerateFiles(CheckpointsFolder, "iter-*.json"))
        {
            var m = CheckpointName().Match(Path.GetFileName(path));
            if (m.Success && int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int k)) list.Add((k, path));
        }
        list.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return list;
    }

    private string Relative(string path) => Path.GetRelativePath(RunFolder, path);

    private static JsonSerializerOptions CreateJsonOptions()
    {
        var o = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            WriteIndented = true,
            // Files, not HTML: keep "<", "‖" and the like readable in messages.
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            // Strict: a document that lost its closing braces is an error, not a default.
            AllowTrailingCommas = false,
            ReadCommentHandling = JsonCommentHandling.Disallow,
        };
        o.Converters.Add(new RoundTripDoubleConverter());
        o.MakeReadOnly(populateMissingResolver: true);
        return o;
    }

    [GeneratedRegex(@"^iter-(\d+)\.json$", RegexOptions.CultureInvariant)]
    private static partial Regex CheckpointName();
}
