using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OgClews.Runner;
using OgClews.Server.Api;
using OgClews.Server.Runs;
using OgClews.Server.Store;

namespace OgClews.Server;

/// <summary>Builds the run service's web application (used by <c>Program</c> and by the tests, in-process).</summary>
internal static class ServerApp
{
    /// <summary>Reads the settings from <paramref name="args"/>, opens the store and wires the API, the queue and the dashboard.</summary>
    /// <exception cref="ArgumentException">A setting is invalid.</exception>
    /// <exception cref="InvalidOperationException">The installation, a scenario file or the store is unusable.</exception>
    public static async Task<WebApplication> BuildAsync(string[] args, CancellationToken ct = default)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        var options = ServerOptions.From(builder.Configuration);
        builder.WebHost.UseUrls([.. options.Urls]);
        // One line per request at Information is noise next to the run log; problems still show.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        var layout = InstallLayout.Find();
        layout.Verify();
        var scenarios = ScenarioCatalog.Load(layout, options.ScenariosFolder);
        Directory.CreateDirectory(options.RunsFolder);
        var store = await RunStore.OpenAsync(options.Store, options.Store == StoreKind.Sqlite ? options.SqlitePath : options.ConnectionString!, ct: ct).ConfigureAwait(false);

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(layout);
        builder.Services.AddSingleton(scenarios);
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton<RunService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RunService>());
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "OG-CLEWS run service";
            doc.Info.Description = "Queue coupled OG-CLEWS runs, follow their convergence and kernel sub-tasks, cancel and rerun them. " +
                                   $"Write endpoints need the server's token in the {RunEndpoints.TokenHeader} header when one is configured.";
            return Task.CompletedTask;
        }));
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter());
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        });

        var app = builder.Build();
        app.UseStatusCodePages();
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapRunApi(options);
        app.MapDashboard();
        return app;
    }
}
