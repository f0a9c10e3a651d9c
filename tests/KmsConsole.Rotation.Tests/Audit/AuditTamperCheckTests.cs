using KmsConsole.Rotation.Audit;
using KmsConsole.Rotation.Notifications;
using KmsConsole.Rotation.Persistence;
using KmsConsole.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KmsConsole.Rotation.Tests.Audit;

/// <summary>
/// The audit trail reports tampering itself: the append-only triggers dropped by hand in a real SQLite file (and in
/// a throwaway PostgreSQL cluster) are restored at start and on the health check, with an audit event, a critical
/// log line and a Degraded health check; an event edited by hand is found by the background chain check.
/// </summary>
public sealed class AuditTamperCheckTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly string _folder = Directory.CreateTempSubdirectory("kmsconsole-audit-tamper-").FullName;

    private string DatabaseFile => Path.Combine(_folder, "kmsconsole.db");

    private string SqliteConnection => $"Data Source={DatabaseFile};Pooling=False";

    [Fact]
    public async Task Triggers_dropped_while_the_console_was_stopped_are_restored_at_start_and_reported()
    {
        string originalTriggers;
        await using (var first = await ConsoleHost.StartAsync(Sqlite(), new CapturedLogs()))
        {
            await first.AppendAsync(3);
            originalTriggers = await SqliteTriggersAsync();
            Assert.Equal((HealthStatus.Healthy, 0), (await first.HealthAsync(), first.Integrity.Alarms.Count));
        }

        await ExecuteSqliteAsync("DROP TRIGGER AuditEvents_append_only_update; DROP TRIGGER AuditEvents_append_only_delete;");

        var logs = new CapturedLogs();
        await using var second = await ConsoleHost.StartAsync(Sqlite(), logs);
        await second.WaitUntilAsync(i => i.Alarms.Any(a => a.Kind == AuditIntegrity.AppendOnlyRestored));

        Assert.Equal(originalTriggers, await SqliteTriggersAsync());
        await Assert.ThrowsAsync<SqliteException>(() => ExecuteSqliteAsync("UPDATE AuditEvents SET Actor = 'mallory' WHERE Sequence = 3"));
        var recorded = Assert.Single(await second.EventsAsync(AuditIntegrity.AppendOnlyRestored));
        Assert.Contains("the trigger AuditEvents_append_only_update was dropped", recorded.Details);
        Assert.Contains("the trigger AuditEvents_append_only_delete was dropped", recorded.Details);
        Assert.Contains(logs.Lines, l => l.StartsWith("Critical", StringComparison.Ordinal) && l.Contains("append-only protection had been removed", StringComparison.Ordinal));
        Assert.Equal(HealthStatus.Degraded, await second.HealthAsync());
        Assert.True((await second.VerifyAsync()).Intact);
    }

    [Fact]
    public async Task A_trigger_dropped_or_defused_while_the_console_runs_is_restored_by_the_health_check()
    {
        await using var console = await ConsoleHost.StartAsync(Sqlite(watchInterval: TimeSpan.FromHours(1)), new CapturedLogs());
        await console.WaitUntilAsync(i => i.LastChainCheck is not null);
        await console.AppendAsync(2);
        Assert.Equal(HealthStatus.Healthy, await console.HealthAsync());

        // Not dropped but replaced by one of the same name that lets every delete through.
        await ExecuteSqliteAsync("DROP TRIGGER AuditEvents_append_only_delete; CREATE TRIGGER AuditEvents_append_only_delete BEFORE DELETE ON AuditEvents BEGIN SELECT 1; END;");

        Assert.Equal(HealthStatus.Degraded, await console.HealthAsync());
        await Assert.ThrowsAsync<SqliteException>(() => ExecuteSqliteAsync("DELETE FROM AuditEvents WHERE Sequence = 2"));
        var recorded = Assert.Single(await console.EventsAsync(AuditIntegrity.AppendOnlyRestored));
        Assert.Contains("the trigger AuditEvents_append_only_delete was replaced by one that does not refuse the change", recorded.Details);
    }

    [Fact]
    public async Task An_event_edited_by_hand_is_found_by_the_background_chain_check()
    {
        var logs = new CapturedLogs();
        await using var console = await ConsoleHost.StartAsync(Sqlite(watchInterval: TimeSpan.FromMilliseconds(200), fullWalkEvery: TimeSpan.FromSeconds(1)), logs);
        await console.AppendAsync(5);
        await console.WaitUntilAsync(i => i.VerifiedHead is { Sequence: 5 });
        Assert.Equal(HealthStatus.Healthy, await console.HealthAsync());

        // What someone with the database file does: take the triggers away and soften an old event.
        await ExecuteSqliteAsync("DROP TRIGGER AuditEvents_append_only_update; UPDATE AuditEvents SET Details = 'nothing happened' WHERE Sequence = 2;");
        await console.WaitUntilAsync(i => i.Alarms.Any(a => a.Kind == AuditIntegrity.ChainBroken));

        var alarm = console.Integrity.Alarms.Single(a => a.Kind == AuditIntegrity.ChainBroken);
        Assert.Contains("Event 2 was altered", alarm.Message);
        var recorded = Assert.Single(await console.EventsAsync(AuditIntegrity.ChainBroken));
        Assert.Contains("broken at event 2", recorded.Details);
        Assert.Contains(logs.Lines, l => l.StartsWith("Critical", StringComparison.Ordinal) && l.Contains("The audit chain is broken", StringComparison.Ordinal));
        Assert.Equal(HealthStatus.Degraded, await console.HealthAsync());

        // Raised once, not on every round.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.Single(await console.EventsAsync(AuditIntegrity.ChainBroken));
    }

    [Fact]
    public async Task An_edit_of_the_last_verified_event_is_found_without_walking_the_whole_chain()
    {
        await using var console = await ConsoleHost.StartAsync(Sqlite(watchInterval: TimeSpan.FromMilliseconds(200)), new CapturedLogs());
        await console.AppendAsync(3);
        await console.WaitUntilAsync(i => i.VerifiedHead is { Sequence: 3 });

        await ExecuteSqliteAsync("DROP TRIGGER AuditEvents_append_only_update; UPDATE AuditEvents SET Actor = 'mallory' WHERE Sequence = 3;");
        await console.WaitUntilAsync(i => i.Alarms.Any(a => a.Kind == AuditIntegrity.ChainBroken));
        Assert.Contains("Event 3 was altered", console.Integrity.Alarms.Single(a => a.Kind == AuditIntegrity.ChainBroken).Message);
    }

    [Fact]
    public async Task A_restored_protection_and_a_broken_chain_are_told_to_auditors_and_admins_once_each()
    {
        var settings = Sqlite(watchInterval: TimeSpan.FromMilliseconds(200), fullWalkEvery: TimeSpan.FromSeconds(1));
        settings["Notifications:Channels:0:Name"] = "security-mail";
        settings["Notifications:Channels:0:Kind"] = "Email";
        await using (var first = await ConsoleHost.StartAsync(settings, new CapturedLogs()))
        {
            await first.AppendAsync(3);
            await first.RecordUserAsync(new Actor("audrey", "Audrey Auditor", new HashSet<string> { Roles.Auditor }), "audrey@example.com");
            await first.RecordUserAsync(new Actor("adam", "Adam Admin", new HashSet<string> { Roles.Admin }), "adam@example.com");
            await first.RecordUserAsync(new Actor("alice", "Alice Approver", new HashSet<string> { Roles.Approver }), "alice@example.com");
            await first.RecordUserAsync(new Actor("rita", "Rita Requester", new HashSet<string> { Roles.Requester }), "rita@example.com");
            Assert.Empty(await first.ClaimAsync());
        }

        await ExecuteSqliteAsync("DROP TRIGGER AuditEvents_append_only_update; UPDATE AuditEvents SET Details = 'nothing happened' WHERE Sequence = 2;");
        await using var second = await ConsoleHost.StartAsync(settings, new CapturedLogs());
        await second.WaitUntilAsync(i => i.Alarms.Any(a => a.Kind == AuditIntegrity.AppendOnlyRestored) && i.Alarms.Any(a => a.Kind == AuditIntegrity.ChainBroken));
        await Task.Delay(TimeSpan.FromSeconds(1.5));   // more background rounds: each alarm is still told once

        var due = await second.ClaimAsync();
        Assert.Equal(2, due.Count);
        Assert.All(due, d =>
        {
            Assert.Equal(NotificationEvent.AuditTampered, d.Message.Event);
            Assert.Equal("/audit", d.Message.Page);
            Assert.Equal("security-mail", d.Delivery.Channel);
            Assert.Equal(["adam", "audrey"], d.Recipients.Select(u => u.UserId).Order(StringComparer.Ordinal));
        });
        Assert.Contains(due, d => d.Message.Summary.Contains("append-only protection was not in place and has been restored", StringComparison.Ordinal));
        Assert.Contains(due, d => d.Message.Summary.Contains("found the chain broken at event 2", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task On_postgres_a_dropped_trigger_is_restored_at_start_and_a_disabled_one_on_the_health_check()
    {
        await using var cluster = await TemporaryPostgres.StartAsync();
        var settings = Settings(DatabaseOptions.Postgres, cluster.ConnectionString, TimeSpan.FromHours(1), TimeSpan.FromHours(6));
        await using (var first = await ConsoleHost.StartAsync(settings, new CapturedLogs()))
        {
            await first.AppendAsync(2);
            Assert.Equal(HealthStatus.Healthy, await first.HealthAsync());
        }

        await ExecutePostgresAsync(cluster.ConnectionString, """DROP TRIGGER "AuditEvents_append_only" ON "AuditEvents"; DROP FUNCTION kmsconsole_audit_append_only();""");
        var logs = new CapturedLogs();
        await using var second = await ConsoleHost.StartAsync(settings, logs);
        await second.WaitUntilAsync(i => i.Alarms.Count > 0);

        var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => ExecutePostgresAsync(cluster.ConnectionString, """UPDATE "AuditEvents" SET "Actor" = 'mallory'"""));
        Assert.Contains("append-only", refused.MessageText);
        var restored = Assert.Single(await second.EventsAsync(AuditIntegrity.AppendOnlyRestored));
        Assert.Contains("the trigger AuditEvents_append_only was dropped", restored.Details);
        Assert.Contains("the function kmsconsole_audit_append_only was dropped", restored.Details);
        Assert.Contains(logs.Lines, l => l.StartsWith("Critical", StringComparison.Ordinal));
        Assert.Equal(HealthStatus.Degraded, await second.HealthAsync());

        await ExecutePostgresAsync(cluster.ConnectionString, """ALTER TABLE "AuditEvents" DISABLE TRIGGER "AuditEvents_append_only";""");
        await second.HealthAsync();
        Assert.Contains(await second.EventsAsync(AuditIntegrity.AppendOnlyRestored), e => e.Details.Contains("was disabled", StringComparison.Ordinal));
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => ExecutePostgresAsync(cluster.ConnectionString, """DELETE FROM "AuditEvents" """));
        Assert.True((await second.VerifyAsync()).Intact);
    }

    private Dictionary<string, string?> Sqlite(TimeSpan? watchInterval = null, TimeSpan? fullWalkEvery = null) =>
        Settings(DatabaseOptions.Sqlite, SqliteConnection, watchInterval ?? TimeSpan.FromMilliseconds(200), fullWalkEvery ?? TimeSpan.FromHours(6));

    private static Dictionary<string, string?> Settings(string provider, string connectionString, TimeSpan interval, TimeSpan fullWalkEvery) => new()
    {
        ["Rotation:Database:Provider"] = provider,
        ["Rotation:Database:ConnectionString"] = connectionString,
        ["Rotation:Orchestrator:Enabled"] = "false",
        ["Rotation:AuditWatch:Interval"] = interval.ToString("c"),
        ["Rotation:AuditWatch:FullWalkEvery"] = fullWalkEvery.ToString("c"),
    };

    private async Task<string> SqliteTriggersAsync()
    {
        await using var connection = new SqliteConnection(SqliteConnection);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT group_concat(name || ':' || sql, '\n') FROM (SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'AuditEvents' ORDER BY name)";
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private async Task<int> ExecuteSqliteAsync(string sql)
    {
        await using var connection = new SqliteConnection(SqliteConnection);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteNonQueryAsync();
    }

    private static async Task ExecutePostgresAsync(string connectionString, string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may hold the file a moment longer; the temp folder is cleaned by the system.
        }
    }

    /// <summary>Rotation as the console hosts it (AddRotation in a generic host), with the orchestrator off.</summary>
    private sealed class ConsoleHost : IAsyncDisposable
    {
        private static readonly Actor Auditor = new("audrey", "Audrey Auditor", new HashSet<string> { Roles.Auditor });
        private readonly IHost _host;

        private ConsoleHost(IHost host) => _host = host;

        public AuditIntegrity Integrity => _host.Services.GetRequiredService<AuditIntegrity>();

        public static async Task<ConsoleHost> StartAsync(Dictionary<string, string?> settings, CapturedLogs logs)
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = Environments.Production });
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Logging.AddProvider(logs);
            builder.AddRotation();
            var host = builder.Build();
            await host.StartAsync();
            return new ConsoleHost(host);
        }

        public async Task AppendAsync(int count)
        {
            var store = _host.Services.GetRequiredService<RotationStore>();
            for (var i = 0; i < count; i++)
            {
                await store.WriteAsync(audit => audit.AppendAsync("alice", "test.recorded", $"subject-{i}", $"event {i}"), CancellationToken.None);
            }
        }

        public Task RecordUserAsync(Actor user, string email) => _host.Services.GetRequiredService<ConsoleUsers>().RecordAsync(user, email);

        public Task<IReadOnlyList<DueDelivery>> ClaimAsync() =>
            _host.Services.GetRequiredService<NotificationDeliveries>().ClaimDueAsync("test", 10, CancellationToken.None);

        public async Task<HealthStatus> HealthAsync()
        {
            var report = await _host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(c => c.Tags.Contains("ready"));
            return report.Entries[AuditIntegrityHealthCheck.Name].Status;
        }

        public async Task<IReadOnlyList<AuditEvent>> EventsAsync(string action) =>
            (await _host.Services.GetRequiredService<AuditTrail>().QueryAsync(Auditor, new AuditFilter { Action = action }, 0, 100)).Items;

        public Task<AuditChainVerification> VerifyAsync() => _host.Services.GetRequiredService<AuditTrail>().VerifyAsync(Auditor);

        /// <summary>Waits, at most <see cref="Patience"/>, for the background watch to reach <paramref name="condition"/>.</summary>
        public async Task WaitUntilAsync(Func<AuditIntegrity, bool> condition)
        {
            using var timeout = new CancellationTokenSource(Patience);
            while (!condition(Integrity))
            {
                await Task.Delay(50, timeout.Token);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _host.StopAsync();
            _host.Dispose();
        }
    }
}
