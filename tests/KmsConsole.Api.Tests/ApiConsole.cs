using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using KmsConsole.Rotation;
using KmsConsole.Rotation.Persistence;
using KmsConsole.Web.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KmsConsole.Api.Tests;

/// <summary>
/// The real console (AddWebConsole / UseWebConsole, as Program.cs does) on http://127.0.0.1 on a free port, with the
/// local KMS it hosts (the workshop's keys), its SQLite database in a temp folder and the orchestrator running.
/// Callers use the API over real HTTP with real tokens.
/// </summary>
public sealed class ApiConsole : IAsyncDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private readonly WebApplication _app;
    private bool _keepFolder;

    private ApiConsole(WebApplication app, string folder, Uri address, CapturedLogs logs)
    {
        _app = app;
        Folder = folder;
        Address = address;
        Logs = logs;
    }

    public Uri Address { get; }

    public string Folder { get; }

    public CapturedLogs Logs { get; }

    public IServiceProvider Services => _app.Services;

    public string DatabasePath => Path.Combine(Folder, "kmsconsole.db");

    /// <param name="folder">The data folder of a console started before (its database and local KMS), to start it again.</param>
    public static async Task<ApiConsole> StartAsync(IDictionary<string, string?>? settings = null, string? folder = null, bool keepFolder = false)
    {
        folder ??= Directory.CreateTempSubdirectory("kmsconsole-api-").FullName;
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = "KmsConsole.Web",
            EnvironmentName = Environments.Production,
            ContentRootPath = folder,
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Console:LocalKmsUrl"] = $"http://127.0.0.1:{KmsConsole.Testing.LoopbackPorts.Free()[0]}",
            ["LocalKms:DataDirectory"] = Path.Combine(folder, "localkms"),
            ["Rotation:Database:ConnectionString"] = $"Data Source={Path.Combine(folder, "kmsconsole.db")}",
            ["Rotation:Orchestrator:PollInterval"] = "00:00:00.200",
            ["Logging:LogLevel:Default"] = "Information",
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        var logs = new CapturedLogs();
        builder.Logging.AddProvider(logs);
        builder.AddWebConsole([]);
        var app = builder.Build();
        app.UseWebConsole();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        var console = new ApiConsole(app, folder, new Uri(address + "/"), logs) { _keepFolder = keepFolder };
        await console.Services.GetRequiredService<KeyInventory>().SyncAsync(null);
        return console;
    }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>A demo user of local sign-in, as the token service knows them.</summary>
    public static Actor Demo(string userId)
    {
        var user = KmsConsole.Web.SignIn.DemoUsers.Find(userId)!;
        return new Actor(user.UserId, user.DisplayName, KmsConsole.Web.SignIn.DemoUsers.RolesOf(user).ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>Makes a token as the person would on their page and returns its secret.</summary>
    public async Task<string> TokenForAsync(Actor owner, string name = "pipeline", int days = 30, IReadOnlyCollection<string>? roles = null) =>
        (await Get<PersonalAccessTokens>().CreateAsync(owner, name, days, roles)).Secret;

    public HttpClient Client(string? token = null)
    {
        var client = new HttpClient { BaseAddress = Address };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    public async Task<RotationDbContext> DatabaseAsync() =>
        await Get<IDbContextFactory<RotationDbContext>>().CreateDbContextAsync();

    /// <summary>Requests W2 (new key, alias swap, old key kept) on alias/FirstCMK and answers the created run.</summary>
    public static Task<HttpResponseMessage> RequestAliasSwapAsync(HttpClient client, string? idempotencyKey = null, string justification = "Yearly rotation")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/runs")
        {
            Content = JsonContent.Create(new
            {
                target = "local",
                keyId = "alias/FirstCMK",
                workflow = "AliasSwapNewKey",
                parameters = new { oldKeyFate = "Keep" },
                justification,
            }),
        };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return client.SendAsync(request);
    }

    public static async Task<JsonElement> JsonOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    /// <summary>Polls the run through the API until it reaches <paramref name="state"/> (bounded: 60 s).</summary>
    public static async Task<JsonElement> PollUntilAsync(HttpClient client, Guid runId, string state)
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        JsonElement run;
        do
        {
            run = await JsonOf(await client.GetAsync($"api/v1/runs/{runId}"));
            if (run.GetProperty("state").GetString() == state)
            {
                return run;
            }

            await Task.Delay(200);
        }
        while (DateTime.UtcNow < until);

        throw new TimeoutException($"Run {runId} is {run.GetProperty("state").GetString()}, not {state}, after 60 s: {run}");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_keepFolder)
        {
            return;
        }

        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may hold the file a moment longer; the temp folder is cleaned by the system.
        }
    }
}

/// <summary>Everything the console logs at Information and above, as text.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public string Text => string.Join('\n', _lines);

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}
