// ogclews-server: the OG-CLEWS run service (HTTP API, run queue, durable store, dashboard).
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OgClews.Server;

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine("""
        ogclews-server: queue and watch coupled OG-CLEWS runs over HTTP (dashboard at /, API at /api, OpenAPI at /openapi/v1.json)

          --urls URL[;URL]        where to listen (default http://127.0.0.1:5080; port 0 picks a free one)
          --data FOLDER           run folders and the SQLite database (default ./ogclews-data)
          --concurrency N         runs executing at once (default 1)
          --kernels own|pool      each run starts its own kernels (default), or runs reuse kernel sets
          --store sqlite|postgres the run store (default sqlite, in the data folder)
          --connection STRING     PostgreSQL connection string (with --store postgres)
          --scenarios FOLDER      more scenarios, one JSON file each
          --token TOKEN           required on write requests (X-OgClews-Token header); needed to listen
                                  beyond loopback. Also read from OGCLEWS_SERVER_TOKEN.
          --durable-checkpoints true|false  fsync every checkpoint (default true)
        """);
    return 0;
}

WebApplication app;
try
{
    app = await ServerApp.BuildAsync(args);
}
catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"ogclews-server: {e.Message}");
    return 2;
}

await app.StartAsync();
// One plain line with the real addresses (port 0 becomes a real port), for scripts and tests.
foreach (string address in app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [])
    Console.WriteLine($"ogclews-server: listening on {address}");
await app.WaitForShutdownAsync();
await app.DisposeAsync();
return 0;
