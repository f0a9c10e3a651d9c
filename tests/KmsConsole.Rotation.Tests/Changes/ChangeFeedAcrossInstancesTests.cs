using System.Collections.Concurrent;
using KmsConsole.Rotation.Changes;
using KmsConsole.Testing;

namespace KmsConsole.Rotation.Tests.Changes;

/// <summary>Two console instances (two service providers) on one throwaway PostgreSQL cluster, each with its LISTEN/NOTIFY feed.</summary>
public sealed class ChangeFeedAcrossInstancesTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    [SkippableFact]
    public async Task A_run_requested_on_one_instance_reaches_the_pages_of_the_other_and_its_own_once()
    {
        await using var cluster = await TemporaryPostgres.StartAsync();
        await using var a = await StartInstanceAsync(cluster);
        await using var b = await StartInstanceAsync(cluster);
        Assert.IsType<PostgresChangeFeed>(a.World.Get<IChangeFeed>());

        var run = await a.World.SubmitAsync("alias/FirstCMK", WorkflowKind.EnableAutomaticRotation);

        await b.WaitForAsync(c => c == new ConsoleChange(ChangeKind.Run, run.Id));
        await b.WaitForAsync(c => c.Kind == ChangeKind.Audit);
        // What the other instance sees is what A wrote: the run is in the database when its change arrives.
        Assert.Equal(run.Id, (await b.World.Runs.GetAsync(run.Id))!.Id);
        // A's own pages had it at once and do not get it a second time from the database's echo.
        await b.World.Requests.CancelAsync(RotationWorld.Alice, run.Id, "changed my mind");
        await a.WaitForAsync(c => c.Kind == ChangeKind.Run && c.Id == run.Id && a.Count(c) >= 2);
        Assert.Equal(2, a.Count(new ConsoleChange(ChangeKind.Run, run.Id)));
    }

    [SkippableFact]
    public async Task A_feed_that_loses_its_connection_connects_again_and_tells_its_pages_to_read_again()
    {
        await using var cluster = await TemporaryPostgres.StartAsync();
        await using var a = await StartInstanceAsync(cluster);
        await using var b = await StartInstanceAsync(cluster);
        var feed = b.World.Get<PostgresChangeFeed>();
        var lost = feed.ListenerProcessId;

        await using (var connection = new Npgsql.NpgsqlConnection(cluster.ConnectionString))
        {
            await connection.OpenAsync();
            await using var terminate = new Npgsql.NpgsqlCommand($"SELECT pg_terminate_backend({lost})", connection);
            Assert.True((bool)(await terminate.ExecuteScalarAsync())!);
        }

        await b.WaitForAsync(c => c.Kind == ChangeKind.Missed);
        Assert.NotEqual(lost, feed.ListenerProcessId);
        Assert.Contains("lost its PostgreSQL connection", b.World.Logs.AllText, StringComparison.Ordinal);
        var run = await a.World.SubmitAsync("alias/FirstCMK", WorkflowKind.EnableAutomaticRotation);
        await b.WaitForAsync(c => c == new ConsoleChange(ChangeKind.Run, run.Id));
    }

    [Fact]
    public void A_notification_carries_kind_and_id_and_one_from_this_instance_or_of_an_unknown_kind_is_ignored()
    {
        var id = Guid.NewGuid();
        var payload = PostgresChangeFeed.Payload("a", new ConsoleChange(ChangeKind.Grant, id));

        Assert.Equal(new ConsoleChange(ChangeKind.Grant, id), PostgresChangeFeed.Parse("b", payload));
        Assert.Equal(new ConsoleChange(ChangeKind.Inventory), PostgresChangeFeed.Parse("b", PostgresChangeFeed.Payload("a", new ConsoleChange(ChangeKind.Inventory))));
        Assert.Null(PostgresChangeFeed.Parse("a", payload));
        Assert.Null(PostgresChangeFeed.Parse("b", "a|Campaign|"));
        Assert.Null(PostgresChangeFeed.Parse("b", "a|7|"));
        Assert.Null(PostgresChangeFeed.Parse("b", "garbage"));
    }

    private static async Task<Instance> StartInstanceAsync(TemporaryPostgres cluster)
    {
        var world = await RotationWorld.StartAsync(database: new DatabaseOptions { Provider = DatabaseOptions.Postgres, ConnectionString = cluster.ConnectionString });
        var feed = world.Get<PostgresChangeFeed>();
        await feed.StartAsync(CancellationToken.None);
        await feed.Listening.WaitAsync(Bound);
        return new Instance(world, feed);
    }

    private sealed class Instance : IAsyncDisposable
    {
        private readonly PostgresChangeFeed _feed;
        private readonly IDisposable _subscription;
        private readonly ConcurrentQueue<ConsoleChange> _seen = new();
        private readonly SemaphoreSlim _arrived = new(0);

        public Instance(RotationWorld world, PostgresChangeFeed feed)
        {
            World = world;
            _feed = feed;
            _subscription = feed.Subscribe(change =>
            {
                _seen.Enqueue(change);
                _arrived.Release();
            });
        }

        public RotationWorld World { get; }

        public int Count(ConsoleChange change) => _seen.Count(c => c == change);

        public async Task WaitForAsync(Func<ConsoleChange, bool> wanted)
        {
            using var bound = new CancellationTokenSource(Bound);
            while (!_seen.Any(wanted))
            {
                await _arrived.WaitAsync(bound.Token);
            }
        }

        public async ValueTask DisposeAsync()
        {
            _subscription.Dispose();
            await _feed.StopAsync(CancellationToken.None);
            await World.DisposeAsync();
        }
    }
}
