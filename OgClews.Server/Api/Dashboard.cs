using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace OgClews.Server.Api;

/// <summary>
/// Serves the dashboard (<c>/</c>) and its assets (<c>/static/…</c>) from resources embedded in the
/// assembly: the page, its script and style, and Chart.js from npm (built in by the csproj). Nothing
/// is fetched from elsewhere at run time.
/// </summary>
internal static class Dashboard
{
    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
    };

    private static readonly ConcurrentDictionary<string, byte[]?> Cache = new(StringComparer.Ordinal);

    public static void MapDashboard(this WebApplication app)
    {
        app.MapGet("/", () => Asset("index.html")).ExcludeFromDescription();
        app.MapGet("/static/{name}", (string name) => Asset(name)).ExcludeFromDescription();
    }

    private static IResult Asset(string name)
    {
        var bytes = Cache.GetOrAdd(name, Load);
        if (bytes is null) return TypedResults.NotFound();
        string type = ContentTypes.GetValueOrDefault(Path.GetExtension(name), "application/octet-stream");
        return TypedResults.Bytes(bytes, type);
    }

    private static byte[]? Load(string name)
    {
        // Only the names embedded under web/ exist; anything else (../, other resources) is not found.
        using var stream = typeof(Dashboard).Assembly.GetManifestResourceStream("web/" + name);
        if (stream is null) return null;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
