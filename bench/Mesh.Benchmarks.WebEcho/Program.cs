// ASP.NET Core HTTP/JSON echo server for the benchmarks: POST /echo returns its body, after
// binding it to a typed record and serializing it again, as a real endpoint would.
//
//   dotnet Mesh.Benchmarks.WebEcho.dll
//
// Listens on 127.0.0.1 with a port the OS picks, prints "LISTENING http://127.0.0.1:PORT" once
// ready, and stops when its standard input closes (so it never outlives the harness).
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Mesh.Benchmarks.WebEcho;

var builder = WebApplication.CreateSlimBuilder(args);
// Request logging would be measured too; a production API logs at Warning or above.
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k =>
{
    k.Listen(IPAddress.Loopback, 0);
    // 16 MiB of doubles is about 40 MB of JSON text; the default limit is 30 MB.
    k.Limits.MaxRequestBodySize = 256L * 1024 * 1024;
});
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, EchoJson.Default));

var app = builder.Build();
app.MapPost("/echo", (EchoPayload payload) => payload);
await app.StartAsync();

var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
Console.WriteLine($"LISTENING {address}");
Console.Out.Flush();

await Console.In.ReadToEndAsync();
await app.StopAsync();
