using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace KmsConsole.Rotation.Changes;

/// <summary>
/// The change feed of several instances on one PostgreSQL database: a change reaches this process's subscribers at once,
/// as in <see cref="InProcessChangeFeed"/>, and every other instance through <c>NOTIFY</c> on one channel, which each
/// instance <c>LISTEN</c>s to on a connection of its own. A change is sent after the write that made it committed (the
/// services publish after saving), so an instance that reloads on it reads the change. When the listening connection
/// breaks, the feed connects again with backoff and then publishes <see cref="ChangeKind.Missed"/>: what was notified
/// meanwhile never arrives, so every page reads again.
/// </summary>
public sealed partial class PostgresChangeFeed : BackgroundService, IChangeFeed
{
    /// <summary>The one channel every instance of a database listens to.</summary>
    public const string Channel = "kmsconsole_changes";

    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan LongestRetry = TimeSpan.FromSeconds(10);

    private readonly InProcessChangeFeed _local = new();
    // Bounded so a feed whose sender is not running (a host stopping, a long outage) cannot grow without end; what it drops
    // the other instances miss, as they would during the outage.
    private readonly Channel<ConsoleChange> _outgoing = System.Threading.Channels.Channel.CreateBounded<ConsoleChange>(
        new BoundedChannelOptions(10_000) { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest });
    private readonly string _connectionString;
    private readonly ILogger<PostgresChangeFeed> _logger;
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _backendProcessId;

    public PostgresChangeFeed(DatabaseOptions database, ILogger<PostgresChangeFeed> logger)
    {
        // The listener waits on its connection for as long as the process runs: never one of the pool's.
        _connectionString = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Pooling = false, KeepAlive = 5 }.ConnectionString;
        _logger = logger;
    }

    /// <summary>Who sent a notification, so an instance skips its own (its subscribers had the change at once).</summary>
    public string Origin { get; } = Guid.NewGuid().ToString("N");

    /// <summary>Completes once the feed listens (the first time); a change another instance makes after it reaches this one.</summary>
    public Task Listening => _listening.Task;

    /// <summary>The server process of the listening connection, or 0 while not connected (tests break the connection by it).</summary>
    public int ListenerProcessId => Volatile.Read(ref _backendProcessId);

    public IDisposable Subscribe(Action<ConsoleChange> handler) => _local.Subscribe(handler);

    public void Publish(ConsoleChange change)
    {
        _local.Publish(change);
        if (change.Kind != ChangeKind.Missed)
        {
            _outgoing.Writer.TryWrite(change);
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(ListenAsync(stoppingToken), SendAsync(stoppingToken));

    /// <summary>The notification's text: origin, kind by name (a kind added later travels without a change here), id.</summary>
    internal static string Payload(string origin, ConsoleChange change) =>
        string.Create(CultureInfo.InvariantCulture, $"{origin}|{change.Kind}|{change.Id?.ToString("N") ?? ""}");

    /// <summary>The change a notification carries, or null for one of this instance's own, or one this build does not know.</summary>
    internal static ConsoleChange? Parse(string origin, string payload)
    {
        var parts = payload.Split('|');
        if (parts.Length != 3 || parts[0] == origin || !Enum.TryParse<ChangeKind>(parts[1], out var kind) || !Enum.IsDefined(kind))
        {
            return null;
        }

        Guid? id = parts[2].Length == 0 ? null : Guid.TryParseExact(parts[2], "N", out var parsed) ? parsed : null;
        return new ConsoleChange(kind, id);
    }

    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        var delay = FirstRetry;
        var connectedBefore = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(_connectionString);
                await connection.OpenAsync(stoppingToken);
                connection.Notification += (_, e) =>
                {
                    if (Parse(Origin, e.Payload) is { } change)
                    {
                        _local.Publish(change);
                    }
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                Volatile.Write(ref _backendProcessId, connection.ProcessID);
                delay = FirstRetry;
                if (connectedBefore)
                {
                    LogReconnected(_logger);
                    _local.Publish(new ConsoleChange(ChangeKind.Missed));
                }

                connectedBefore = true;
                _listening.TrySetResult();
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or System.IO.IOException or InvalidOperationException or TimeoutException)
            {
                Volatile.Write(ref _backendProcessId, 0);
                LogListenFailed(_logger, delay, e.Message);
                try
                {
                    await Task.Delay(delay, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, LongestRetry.Ticks));
            }
        }
    }

    /// <summary>Sends what was published, a batch of distinct changes per round trip on one kept connection; a failed batch is sent again.</summary>
    private async Task SendAsync(CancellationToken stoppingToken)
    {
        var batch = new List<ConsoleChange>();
        var delay = FirstRetry;
        NpgsqlConnection? connection = null;
        try
        {
            while (await _outgoing.Reader.WaitToReadAsync(stoppingToken))
            {
                while (batch.Count < 100 && _outgoing.Reader.TryRead(out var change))
                {
                    if (!batch.Contains(change))
                    {
                        batch.Add(change);
                    }
                }

                try
                {
                    if (connection is null)
                    {
                        connection = new NpgsqlConnection(_connectionString);
                        await connection.OpenAsync(stoppingToken);
                    }

                    await NotifyAsync(connection, batch, stoppingToken);
                    batch.Clear();
                    delay = FirstRetry;
                }
                catch (Exception e) when (e is NpgsqlException or System.IO.IOException or InvalidOperationException or TimeoutException)
                {
                    LogSendFailed(_logger, batch.Count, delay, e.Message);
                    if (connection is not null)
                    {
                        await connection.DisposeAsync();
                        connection = null;
                    }

                    await Task.Delay(delay, stoppingToken);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, LongestRetry.Ticks));
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: other instances read the database afresh when their pages open.
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
    }

    private async Task NotifyAsync(NpgsqlConnection connection, List<ConsoleChange> batch, CancellationToken cancellationToken)
    {
        await using var notify = new NpgsqlBatch(connection);
        foreach (var change in batch)
        {
            var command = new NpgsqlBatchCommand("SELECT pg_notify($1, $2)");
            command.Parameters.Add(new NpgsqlParameter { Value = Channel });
            command.Parameters.Add(new NpgsqlParameter { Value = Payload(Origin, change) });
            notify.BatchCommands.Add(command);
        }

        await notify.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The change feed lost its PostgreSQL connection ({Reason}); connecting again in {Delay}. Pages keep what they show until then.")]
    private static partial void LogListenFailed(ILogger logger, TimeSpan delay, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "The change feed listens again; pages read again what they may have missed.")]
    private static partial void LogReconnected(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} changes could not be sent to the other instances ({Reason}); trying again in {Delay}.")]
    private static partial void LogSendFailed(ILogger logger, int count, TimeSpan delay, string reason);
}
