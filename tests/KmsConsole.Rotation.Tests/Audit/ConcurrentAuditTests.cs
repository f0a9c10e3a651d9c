using KmsConsole.Rotation.Audit;
using KmsConsole.Rotation.Persistence;
using KmsConsole.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace KmsConsole.Rotation.Tests.Audit;

/// <summary>
/// Two console instances on one database (two service providers, each with its own store, context factory and
/// connections) append to the audit chain at the same time.
/// </summary>
public sealed class ConcurrentAuditTests
{
    private const int EventsPerInstance = 500;
    private const int WritersPerInstance = 4;

    [SkippableFact]
    public async Task Two_instances_on_postgres_appending_a_thousand_events_at_once_leave_an_intact_chain_and_no_failed_save()
    {
        await using var cluster = await TemporaryPostgres.StartAsync();
        var database = new DatabaseOptions { Provider = DatabaseOptions.Postgres, ConnectionString = cluster.ConnectionString.Replace("Pooling=false", "Pooling=true", StringComparison.Ordinal) };

        await AssertConcurrentAppendsLeaveOneChainAsync(database);
    }

    [Fact]
    public async Task Two_sqlite_connections_on_one_file_appending_a_thousand_events_at_once_leave_an_intact_chain_and_no_failed_save()
    {
        var directory = Directory.CreateTempSubdirectory("kmsconsole-audit-concurrency-").FullName;
        try
        {
            var database = new DatabaseOptions { Provider = DatabaseOptions.Sqlite, ConnectionString = $"Data Source={Path.Combine(directory, "kmsconsole.db")};Pooling=False" };

            await AssertConcurrentAppendsLeaveOneChainAsync(database);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_change_that_fails_after_its_audit_event_was_added_leaves_neither_the_change_nor_the_event()
    {
        var directory = Directory.CreateTempSubdirectory("kmsconsole-audit-atomic-").FullName;
        try
        {
            await using var instance = await StartInstanceAsync(new DatabaseOptions { ConnectionString = $"Data Source={Path.Combine(directory, "kmsconsole.db")};Pooling=False" });
            var store = instance.GetRequiredService<RotationStore>();
            await store.WriteAsync(audit => audit.AppendAsync("alice", "test.kept", "chain", "first"), CancellationToken.None);

            await Assert.ThrowsAsync<InvalidOperationException>(() => store.WriteAsync(async (db, audit) =>
            {
                db.KeySnapshots.Add(new KeySnapshot { Target = "local", KeyId = "1234abcd-12ab-34cd-56ef-1234567890ab" });
                await audit.AppendAsync("orchestrator", "step.succeeded", "local:alias/app", "the step's result");
                throw new InvalidOperationException("the step's result could not be recorded");
            }, CancellationToken.None));

            await using var read = await store.ReadAsync(CancellationToken.None);
            Assert.Equal(["test.kept"], await read.AuditEvents.OrderBy(e => e.Sequence).Select(e => e.Action).ToListAsync());
            Assert.Empty(await read.KeySnapshots.ToListAsync());
            await store.WriteAsync(audit => audit.AppendAsync("alice", "test.kept", "chain", "second"), CancellationToken.None);
            Assert.Equal(2, (await AuditChain.VerifyAsync(read, CancellationToken.None)).EventsChecked);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task AssertConcurrentAppendsLeaveOneChainAsync(DatabaseOptions database)
    {
        await using var first = await StartInstanceAsync(database);
        await using var second = await StartInstanceAsync(database);
        var failures = new System.Collections.Concurrent.ConcurrentBag<Exception>();
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(3));

        var writers = new[] { ("instance-a", first), ("instance-b", second) }
            .SelectMany(instance => Enumerable.Range(0, WritersPerInstance).Select(writer => Task.Run(async () =>
            {
                var store = instance.Item2.GetRequiredService<RotationStore>();
                for (var i = 0; i < EventsPerInstance / WritersPerInstance; i++)
                {
                    try
                    {
                        await store.WriteAsync(audit => audit.AppendAsync(instance.Item1, "test.appended", "chain", $"writer {writer} event {i}"), bound.Token);
                    }
                    catch (Exception e)
                    {
                        failures.Add(e);
                    }
                }
            })));
        await Task.WhenAll(writers);

        Assert.Empty(failures);
        await using var db = await first.GetRequiredService<RotationStore>().ReadAsync(CancellationToken.None);
        var verification = await AuditChain.VerifyAsync(db, CancellationToken.None);
        Assert.True(verification.Intact, verification.Reason);
        Assert.Equal(2 * EventsPerInstance, verification.EventsChecked);
        Assert.Equal(EventsPerInstance, await db.AuditEvents.CountAsync(e => e.Actor == "instance-a"));
        Assert.Equal(EventsPerInstance, await db.AuditEvents.CountAsync(e => e.Actor == "instance-b"));
    }

    /// <summary>The Rotation services of one console instance, as AddRotation wires them, on <paramref name="database"/>.</summary>
    private static async Task<ServiceProvider> StartInstanceAsync(DatabaseOptions database)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddOptions<RotationOptions>().Configure(o => o.Database = database);
        services.AddRotationCore(database);
        var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<RotationDatabase>().EnsureMigratedAsync();
        return provider;
    }
}
