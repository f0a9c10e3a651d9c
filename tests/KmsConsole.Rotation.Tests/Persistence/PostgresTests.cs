using KmsConsole.Testing;

namespace KmsConsole.Rotation.Tests.Persistence;

/// <summary>The same orchestrator on PostgreSQL (Rotation:Database:Provider = Postgres), on a throwaway local cluster.</summary>
public sealed class PostgresTests
{
    [SkippableFact]
    public async Task An_alias_swap_runs_on_postgres_with_its_own_migrations_and_an_intact_audit_chain()
    {
        await using var cluster = await TemporaryPostgres.StartAsync();
        await using var world = await RotationWorld.StartAsync(database: new DatabaseOptions { Provider = DatabaseOptions.Postgres, ConnectionString = cluster.ConnectionString });
        var (_, alias) = await world.NewAwsKeyAsync();

        var run = await world.DriveAsync((await world.SubmitAsync(alias, WorkflowKind.AliasSwapNewKey)).Id);

        Assert.Equal(RunState.Succeeded, run.State);
        Assert.Equal(run.NewKeyId, (await world.DescribeAsync(alias)).KeyId);
        Assert.True((await world.Audit.VerifyAsync(RotationWorld.Erin)).Intact);
        Assert.Single((await world.Runs.ListAsync(new RunFilter { Key = alias }, 0, 10)).Items);
        await Assert.ThrowsAsync<RotationRefusedException>(() => world.Requests.RequestRollBackAsync(RotationWorld.Alice, Guid.NewGuid(), "x"));
        await using var connection = new Npgsql.NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync();
        await using var tamper = new Npgsql.NpgsqlCommand("""UPDATE "AuditEvents" SET "Actor" = 'mallory'""", connection);
        var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => tamper.ExecuteNonQueryAsync());
        Assert.Contains("append-only", refused.MessageText);
    }
}
