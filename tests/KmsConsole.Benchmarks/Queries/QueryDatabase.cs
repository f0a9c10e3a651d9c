using System.Diagnostics;
using KmsConsole.Rotation;
using KmsConsole.Rotation.Audit;
using KmsConsole.Rotation.Persistence;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace KmsConsole.Benchmarks.Queries;

/// <summary>
/// The console's SQLite database in a temp folder, wired by <c>AddRotation</c> and created by its EF Core
/// migrations, seeded once per benchmark process with key snapshots and a hash-chained audit trail.
/// </summary>
internal sealed class QueryDatabase : IDisposable
{
    public const int Services = 500;
    public const int Users = 200;
    public const int EventsPerRun = 10;

    /// <summary>Set by Program from --keys / --events before BenchmarkDotNet runs (in-process toolchain).</summary>
    public static int KeyCount { get; set; } = 10_000;

    public static int EventCount { get; set; } = 1_000_000;

    private static readonly Lazy<QueryDatabase> Shared = new(() => Create(KeyCount, EventCount), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly IHost _host;

    private QueryDatabase(string directory, IHost host)
    {
        Directory = directory;
        _host = host;
    }

    /// <summary>Seeded on first use; every benchmark class of the process shares it.</summary>
    public static QueryDatabase Instance => Shared.Value;

    public string Directory { get; }
    public KeyInventory Inventory => _host.Services.GetRequiredService<KeyInventory>();
    public AuditTrail Audit => _host.Services.GetRequiredService<AuditTrail>();

    /// <summary>Time of the first audit event; events follow evenly over <see cref="TrailSpan"/>.</summary>
    public DateTimeOffset TrailStart { get; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static TimeSpan TrailSpan => TimeSpan.FromDays(365);

    /// <summary>A run from the middle of the trail, for the run filter.</summary>
    public Guid SampleRunId => RunIdOf(EventCount / 2 / EventsPerRun);

    public static void DeleteShared()
    {
        if (Shared.IsValueCreated)
        {
            Shared.Value.Dispose();
        }
    }

    public void Dispose()
    {
        _host.Dispose();
        SqliteConnection.ClearAllPools();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    private static QueryDatabase Create(int keys, int events)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("kmsconsole-bench-queries-").FullName;
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Rotation:Database:Provider"] = DatabaseOptions.Sqlite,
            ["Rotation:Database:ConnectionString"] = $"Data Source={Path.Combine(directory, "kmsconsole.db")}",
            ["Rotation:Orchestrator:Enabled"] = "false",
        });
        builder.AddRotation();
        var host = builder.Build();
        var database = new QueryDatabase(directory, host);
        try
        {
            var watch = Stopwatch.StartNew();
            host.Services.GetRequiredService<RotationDatabase>().EnsureMigratedAsync().GetAwaiter().GetResult();
            var contexts = host.Services.GetRequiredService<IDbContextFactory<RotationDbContext>>();
            SeedKeys(contexts, keys, host.Services.GetRequiredService<TimeProvider>().GetUtcNow());
            database.SeedAudit(contexts, events);
            Console.WriteLine($"// seeded {keys:N0} key snapshots and {events:N0} audit events in {directory} ({watch.Elapsed.TotalSeconds:F1} s)");
            return database;
        }
        catch
        {
            database.Dispose();
            throw;
        }
    }

    /// <summary>Key snapshots as a sync of 10,000 keys leaves them: 500 services, a tenth imported, a third rotating.</summary>
    private static void SeedKeys(IDbContextFactory<RotationDbContext> contexts, int count, DateTimeOffset now)
    {
        using var db = contexts.CreateDbContext();
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        for (var i = 0; i < count; i++)
        {
            var imported = i % 10 == 0;
            var rotating = !imported && i % 3 == 0;
            db.KeySnapshots.Add(new KeySnapshot
            {
                Target = "aws-prod",
                KeyId = $"key-{i:D5}",
                Arn = $"arn:aws:kms:us-east-1:111122223333:key/key-{i:D5}",
                Aliases = $"alias/service-{i % Services:D3}-{i:D5}",
                Origin = imported ? "EXTERNAL" : "AWS_KMS",
                KeySpec = "SYMMETRIC_DEFAULT",
                KeyUsage = "ENCRYPT_DECRYPT",
                KeyState = i % 50 == 1 ? "Disabled" : i % 97 == 2 ? "PendingDeletion" : "Enabled",
                Description = $"data key of service {i % Services:D3}",
                RotationEnabled = rotating,
                RotationPeriodInDays = rotating ? 365 : null,
                NextRotationDate = rotating ? now.AddDays(i % 365) : null,
                LastRotationDate = rotating && i % 2 == 0 ? now.AddDays(-(i % 365)) : null,
                ValidTo = imported ? now.AddDays(i % 60) : null,
                ExpirationModel = imported ? "KEY_MATERIAL_EXPIRES" : null,
                CreationDate = now.AddHours(-i),
                SyncedAt = now,
            });
        }

        db.SaveChanges();
    }

    private static readonly string[] RunActions =
    [
        "run.requested", "run.awaiting-approval", "run.approved", "run.approved", "step.succeeded",
        "step.succeeded", "step.succeeded", "material.escrowed", "step.succeeded", "run.succeeded",
    ];

    /// <summary>
    /// A year of runs of ten events each (request, gate, two approvals, steps, outcome), every 25th failing,
    /// written in one prepared INSERT per row; each row's hash is the chain's own <see cref="AuditChain.HashOf"/>.
    /// </summary>
    private void SeedAudit(IDbContextFactory<RotationDbContext> contexts, int count)
    {
        using var db = contexts.CreateDbContext();
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO AuditEvents (Sequence, Time, Actor, Action, Subject, Details, AwsRequestId, RunId, PreviousHash, Hash)
            VALUES ($sequence, $time, $actor, $action, $subject, $details, $request, $run, $previous, $hash)
            """;
        var parameters = new[] { "$sequence", "$time", "$actor", "$action", "$subject", "$details", "$request", "$run", "$previous", "$hash" }
            .Select(name => command.Parameters.Add(new SqliteParameter { ParameterName = name })).ToArray();
        var step = TrailSpan.Ticks / Math.Max(count, 1);
        var previous = AuditChain.Genesis;
        SqliteTransaction? transaction = null;
        for (var i = 0; i < count; i++)
        {
            if (i % 100_000 == 0)
            {
                transaction?.Commit();
                transaction?.Dispose();
                transaction = connection.BeginTransaction();
                command.Transaction = transaction;
                if (i == 0)
                {
                    command.Prepare();
                }
            }

            var e = EventAt(i, TrailStart.AddTicks(step * i), previous);
            e.Hash = AuditChain.HashOf(e);
            previous = e.Hash;
            parameters[0].Value = e.Sequence;
            parameters[1].Value = e.Time.UtcTicks;
            parameters[2].Value = e.Actor;
            parameters[3].Value = e.Action;
            parameters[4].Value = e.Subject;
            parameters[5].Value = e.Details;
            parameters[6].Value = (object?)e.AwsRequestId ?? DBNull.Value;
            // EF Core's SQLite provider stores a Guid as upper-case text; the round trip below checks it.
            parameters[7].Value = e.RunId is { } run ? run.ToString().ToUpperInvariant() : DBNull.Value;
            parameters[8].Value = e.PreviousHash;
            parameters[9].Value = e.Hash;
            command.ExecuteNonQuery();
        }

        transaction?.Commit();
        transaction?.Dispose();
        VerifyRoundTrip(contexts, count);
    }

    internal static AuditEvent EventAt(int i, DateTimeOffset time, string previous)
    {
        var run = i / EventsPerRun;
        var phase = i % EventsPerRun;
        var service = run % Services;
        var failed = run % 25 == 24;
        var action = failed && phase == EventsPerRun - 1 ? "run.failed" : RunActions[phase];
        var actor = action switch
        {
            "run.requested" => $"user-{run % Users:D3}",
            "run.approved" => $"user-{(run + 7 * phase) % Users:D3}",
            _ => "orchestrator",
        };
        var stepCall = action is "step.succeeded";
        return new AuditEvent
        {
            Sequence = i + 1L,
            Time = time,
            Actor = actor,
            Action = action,
            Subject = $"aws-prod:alias/service-{service:D3}",
            Details = stepCall ? $"step {phase}: UpdateAlias alias/service-{service:D3} -> key-{run % 10_000:D5}" : $"{action} for run {run}",
            AwsRequestId = stepCall ? RunIdOf(run + phase).ToString() : null,
            RunId = RunIdOf(run),
            PreviousHash = previous,
        };
    }

    internal static Guid RunIdOf(int run)
    {
        Span<byte> bytes = stackalloc byte[16];
        BitConverter.TryWriteBytes(bytes, (ulong)run * 0x9E3779B97F4A7C15UL);
        BitConverter.TryWriteBytes(bytes[8..], ((ulong)run + 1) * 0xC2B2AE3D27D4EB4FUL);
        return new Guid(bytes);
    }

    /// <summary>Reads rows back through EF Core: each must hash as written and the run filter must find its run.</summary>
    private void VerifyRoundTrip(IDbContextFactory<RotationDbContext> contexts, int count)
    {
        using var db = contexts.CreateDbContext();
        var sample = db.AuditEvents.AsNoTracking().Where(e => e.Sequence <= 3 || e.Sequence > count - 3).ToList();
        if (sample.Any(e => AuditChain.HashOf(e) != e.Hash))
        {
            throw new InvalidOperationException("Seeded audit events do not round-trip through EF Core: a hash differs.");
        }

        var runId = SampleRunId;
        if (count >= 2 * EventsPerRun && db.AuditEvents.Count(e => e.RunId == runId) != EventsPerRun)
        {
            throw new InvalidOperationException("Seeded audit events do not round-trip through EF Core: the run filter misses.");
        }
    }
}
