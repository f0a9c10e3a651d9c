using System.Collections.Concurrent;
using System.Security.Cryptography;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using KmsConsole.LocalKms.Hosting;
using KmsConsole.Rotation.Persistence;
using KmsConsole.Rotation.Runs;
using KmsConsole.Rotation.Workflows;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Tests;

/// <summary>
/// A local KMS endpoint over HTTP, a SQLite file in a temp folder, and the Rotation services wired as AddRotation
/// wires them; orchestrators are created on demand so tests can stop one and start a fresh one.
/// </summary>
public sealed class RotationWorld : IAsyncDisposable
{
    public const string Target = "local";

    public static readonly Actor Alice = new("alice", "Alice Requester", new HashSet<string> { Roles.Requester });
    public static readonly Actor Bob = new("bob", "Bob Approver", new HashSet<string> { Roles.Approver });
    public static readonly Actor Carol = new("carol", "Carol Approver", new HashSet<string> { Roles.Approver });
    public static readonly Actor Dave = new("dave", "Dave Both", new HashSet<string> { Roles.Requester, Roles.Approver });
    public static readonly Actor Erin = new("erin", "Erin Auditor", new HashSet<string> { Roles.Auditor });
    public static readonly Actor Victor = new("victor", "Victor Viewer", new HashSet<string> { Roles.Viewer });

    private readonly ServiceProvider _services;
    private int _orchestrators;

    private RotationWorld(string directory, LocalKmsServer server, ServiceProvider services, TimeProvider time, CapturedLogs logs)
    {
        Directory = directory;
        Server = server;
        _services = services;
        Time = time;
        Logs = logs;
        Kms = NewClient(server);
    }

    public string Directory { get; }
    public LocalKmsServer Server { get; }
    public TimeProvider Time { get; }
    public CapturedLogs Logs { get; }
    public IAmazonKeyManagementService Kms { get; }
    public string DatabaseFile => Path.Combine(Directory, "kmsconsole.db");
    public RotationOptions Options => _services.GetRequiredService<IOptions<RotationOptions>>().Value;

    public RotationRequests Requests => _services.GetRequiredService<RotationRequests>();
    public RunQueries Runs => _services.GetRequiredService<RunQueries>();
    public AuditTrail Audit => _services.GetRequiredService<AuditTrail>();
    public KeyInventory Inventory => _services.GetRequiredService<KeyInventory>();
    internal T Get<T>() where T : notnull => _services.GetRequiredService<T>();

    public static async Task<RotationWorld> StartAsync(TimeProvider? time = null, Action<RotationOptions>? configure = null, bool seed = true,
        DatabaseOptions? database = null, Action<IServiceCollection, LocalKmsServer>? services = null)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("kmsconsole-rotation-tests-").FullName;
        var server = await LocalKmsServer.StartAsync(new LocalKmsOptions { DataDirectory = Path.Combine(directory, "localkms"), Seed = seed });
        time ??= new ShiftableClock();
        var logs = new CapturedLogs();
        database ??= new DatabaseOptions { Provider = DatabaseOptions.Sqlite, ConnectionString = $"Data Source={Path.Combine(directory, "kmsconsole.db")};Pooling=False" };
        var collection = new ServiceCollection();
        collection.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        collection.AddSingleton(time);
        collection.AddOptions<RotationOptions>().Configure(o =>
        {
            o.Database = database;
            o.Targets.Add(new KmsTarget { Name = Target, ServiceUrl = server.Endpoint.ToString(), Region = "us-east-1", AccessKeyId = "kmsconsole-tests", SecretAccessKey = "local-endpoint" });
            o.Orchestrator.LeaseDuration = TimeSpan.FromSeconds(30);
            o.Orchestrator.RetryBaseDelay = TimeSpan.FromMilliseconds(20);
            o.Orchestrator.RetryMaxDelay = TimeSpan.FromMilliseconds(300);
            o.Orchestrator.MaxAttempts = 8;
            // One run at a time unless a test asks for more: tests read the steps and audit events of several runs in order.
            o.Orchestrator.RunConcurrency = 1;
            configure?.Invoke(o);
        });
        collection.AddRotationCore(database);
        services?.Invoke(collection, server);
        var provider = collection.BuildServiceProvider();
        await provider.GetRequiredService<RotationDatabase>().EnsureMigratedAsync();
        return new RotationWorld(directory, server, provider, time, logs);
    }

    public static IAmazonKeyManagementService NewClient(LocalKmsServer server) =>
        new AmazonKeyManagementServiceClient(new BasicAWSCredentials("AKIDLOCAL", "local-secret"),
            new AmazonKeyManagementServiceConfig { ServiceURL = server.Endpoint.ToString(), AuthenticationRegion = "us-east-1" });

    /// <summary>A fresh orchestrator instance (as if a new console process started) on the same database.</summary>
    internal RunOrchestrator NewOrchestrator(RunEngineHooks? hooks = null, string? instanceId = null)
    {
        var options = Options.Orchestrator;
        var own = new OrchestratorOptions
        {
            InstanceId = instanceId ?? $"instance-{Interlocked.Increment(ref _orchestrators)}",
            LeaseDuration = options.LeaseDuration,
            MaxAttempts = options.MaxAttempts,
            RetryBaseDelay = options.RetryBaseDelay,
            RetryMaxDelay = options.RetryMaxDelay,
            RunConcurrency = options.RunConcurrency,
        };
        return new RunOrchestrator(Get<RotationStore>(), Get<IWorkflowCatalog>(), Get<IStepErrorPolicy>(), Get<RunChangeFeed>(), own,
            Get<ILoggerFactory>().CreateLogger<RunOrchestrator>(), hooks);
    }

    /// <summary>Runs the orchestrator until the run ends, approving each gate it waits at (by Bob, then Carol when two are needed).</summary>
    internal async Task<Run> DriveAsync(Guid runId, RunOrchestrator? orchestrator = null, bool approveGates = true)
    {
        orchestrator ??= NewOrchestrator();
        for (var guard = 0; guard < 50; guard++)
        {
            await orchestrator.DrainAsync(CancellationToken.None);
            var run = (await Runs.GetAsync(runId))!;
            if (run.IsFinished || !approveGates || run.State != RunState.AwaitingApproval)
            {
                return run;
            }

            await ApproveCurrentGateAsync(run);
        }

        throw new InvalidOperationException($"Run {runId} did not finish.");
    }

    public async Task ApproveCurrentGateAsync(Run run)
    {
        var needed = Options.PolicyFor(run.Workflow).RequiredApprovals;
        foreach (var approver in new[] { Bob, Carol }.Take(needed))
        {
            await Requests.ApproveAsync(approver, run.Id, "looks right");
        }
    }

    public Task<Run> SubmitAsync(string keyIdOrAlias, WorkflowKind workflow, RotationParameters? parameters = null, Actor? requester = null) =>
        Requests.SubmitAsync(requester ?? Alice, new RotationRequest(Target, keyIdOrAlias, workflow, parameters ?? new RotationParameters(), "quarterly rotation"));

    /// <summary>An AWS_KMS symmetric key with a fresh alias, made directly through the SDK.</summary>
    public async Task<(string KeyId, string Alias)> NewAwsKeyAsync(string prefix = "app")
    {
        var key = await Kms.CreateKeyAsync(new CreateKeyRequest { Description = $"{prefix} data key", Tags = [new Tag { TagKey = "team", TagValue = "payments" }] });
        var alias = $"alias/{prefix}-{Guid.NewGuid():N}"[..40];
        await Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = alias, TargetKeyId = key.KeyMetadata.KeyId });
        return (key.KeyMetadata.KeyId, alias);
    }

    /// <summary>An EXTERNAL key with material imported by hand (as the workshop does), with a fresh alias.</summary>
    public async Task<(string KeyId, string Alias)> NewImportedKeyAsync(string prefix = "imported")
    {
        var key = await Kms.CreateKeyAsync(new CreateKeyRequest { Description = $"{prefix} key", Origin = OriginType.EXTERNAL });
        var parameters = await Kms.GetParametersForImportAsync(new GetParametersForImportRequest
        {
            KeyId = key.KeyMetadata.KeyId, WrappingAlgorithm = AlgorithmSpec.RSAES_OAEP_SHA_256, WrappingKeySpec = WrappingKeySpec.RSA_2048,
        });
        var material = RandomNumberGenerator.GetBytes(32);
        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(parameters.PublicKey.ToArray(), out _);
        await Kms.ImportKeyMaterialAsync(new ImportKeyMaterialRequest
        {
            KeyId = key.KeyMetadata.KeyId,
            ImportToken = parameters.ImportToken,
            EncryptedKeyMaterial = new MemoryStream(rsa.Encrypt(material, RSAEncryptionPadding.OaepSHA256)),
            ExpirationModel = ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE,
        });
        var alias = $"alias/{prefix}-{Guid.NewGuid():N}"[..40];
        await Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = alias, TargetKeyId = key.KeyMetadata.KeyId });
        return (key.KeyMetadata.KeyId, alias);
    }

    public async Task<KeyMetadata> DescribeAsync(string keyIdOrAlias) =>
        (await Kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = keyIdOrAlias })).KeyMetadata;

    /// <summary>Every key on the endpoint that carries the run-id tag of <paramref name="runId"/>.</summary>
    public async Task<List<string>> KeysTaggedWithAsync(Guid runId)
    {
        var found = new List<string>();
        foreach (var key in (await Kms.ListKeysAsync(new ListKeysRequest { Limit = 1000 })).Keys)
        {
            var tags = await Kms.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = key.KeyId });
            if (tags.Tags.Any(t => t.TagKey == KmsKeys.RunIdTag && t.TagValue == runId.ToString()))
            {
                found.Add(key.KeyId);
            }
        }

        return found;
    }

    public async Task<int> KeyCountAsync() => (await Kms.ListKeysAsync(new ListKeysRequest { Limit = 1000 })).Keys.Count;

    public async Task<byte[]> EncryptAsync(string keyIdOrAlias, string text) =>
        (await Kms.EncryptAsync(new EncryptRequest { KeyId = keyIdOrAlias, Plaintext = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)) })).CiphertextBlob.ToArray();

    public async Task<string> DecryptAsync(byte[] ciphertext) =>
        System.Text.Encoding.UTF8.GetString((await Kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(ciphertext) })).Plaintext.ToArray());

    /// <summary>Runs raw SQL against the SQLite file, as someone with file access could.</summary>
    public async Task<int> ExecuteSqlAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabaseFile};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        Kms.Dispose();
        await Server.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>
/// Holds the orchestrator inside one step (recorded as Running, lease held) until the test releases it, so a test can act
/// while a step runs; optionally runs an action as the step starts (e.g. slowing the local KMS down) and after it ends.
/// </summary>
internal sealed class StepPause(int stepIndex, bool hold = true, Action? onEnter = null, Action? onExit = null) : RunEngineHooks
{
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<bool> _stepCancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the orchestrator is in the step.</summary>
    public Task Entered => _entered.Task;

    /// <summary>Completes true when the step's own cancellation token fired while it was held.</summary>
    public Task<bool> StepCancelled => _stepCancelled.Task;

    public void Release() => _release.TrySetResult();

    public override async Task WhileStepRunsAsync(Run run, int index, CancellationToken stepToken)
    {
        if (index != stepIndex || _entered.Task.IsCompleted)
        {
            return;
        }

        onEnter?.Invoke();
        _entered.TrySetResult();
        if (!hold)
        {
            return;
        }

        try
        {
            await _release.Task.WaitAsync(stepToken);
        }
        catch (OperationCanceledException)
        {
            _stepCancelled.TrySetResult(true);
            throw;
        }
    }

    public override void AfterStepEffect(Run run, int index)
    {
        if (index == stepIndex)
        {
            onExit?.Invoke();
        }
    }
}

/// <summary>The system clock moved forward on demand (a fresh orchestrator "later", past an abandoned lease).</summary>
public sealed class ShiftableClock : TimeProvider
{
    private long _offsetTicks;

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow().AddTicks(Interlocked.Read(ref _offsetTicks));
}

/// <summary>Every log line the Rotation services wrote, with exception text, for tests that look for leaks.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public string AllText => string.Join('\n', _lines);

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var structured = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(";", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} [{structured}] {exception}");
        }
    }
}
