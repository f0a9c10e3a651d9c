using System.Data.Common;
using System.Diagnostics;
using System.Text.RegularExpressions;
using KmsConsole.Benchmarks.Queries;
using KmsConsole.Rotation;
using KmsConsole.Rotation.Audit;
using KmsConsole.Rotation.Persistence;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace KmsConsole.Benchmarks.Audit;

/// <summary>
/// The console's own Rotation services (<c>AddRotation</c>) on a real SQLite file or PostgreSQL database, migrated by
/// their EF Core migrations and filled with a hash-chained trail of <see cref="QueryDatabase.EventAt"/>'s year of runs
/// by a bulk load (a prepared INSERT per row on SQLite, binary COPY on PostgreSQL) — the append path itself is measured
/// separately. Every SQL command EF Core sends can be captured and its plan asked of the database.
/// </summary>
internal sealed partial class AuditScaleDatabase : IAsyncDisposable
{
    private readonly IHost _host;

    private AuditScaleDatabase(string provider, string connectionString, IHost host, CommandCapture commands)
    {
        Provider = provider;
        ConnectionString = connectionString;
        _host = host;
        Commands = commands;
    }

    public string Provider { get; }

    public string ConnectionString { get; }

    public CommandCapture Commands { get; }

    public AuditTrail Trail => _host.Services.GetRequiredService<AuditTrail>();

    internal RotationStore Store => _host.Services.GetRequiredService<RotationStore>();

    private bool IsPostgres => Provider == DatabaseOptions.Postgres;

    public static async Task<AuditScaleDatabase> CreateAsync(string provider, string connectionString)
    {
        var commands = new CommandCapture();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Rotation:Database:Provider"] = provider,
            ["Rotation:Database:ConnectionString"] = connectionString,
            ["Rotation:Orchestrator:Enabled"] = "false",
        });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter<CommandCapture>(CommandCapture.Category, LogLevel.Information);
        builder.Logging.AddProvider(commands);
        builder.AddRotation();
        var database = new AuditScaleDatabase(provider, connectionString, builder.Build(), commands);
        await database._host.Services.GetRequiredService<RotationDatabase>().EnsureMigratedAsync();
        return database;
    }

    /// <summary>Writes <paramref name="count"/> chained events (sequence 1…count) in bulk; answers how long it took.</summary>
    public async Task<TimeSpan> BulkLoadAsync(int count)
    {
        var clock = Stopwatch.StartNew();
        var step = QueryDatabase.TrailSpan.Ticks / Math.Max(count, 1);
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var previous = AuditChain.Genesis;
        IEnumerable<AuditEvent> Events()
        {
            for (var i = 0; i < count; i++)
            {
                var e = QueryDatabase.EventAt(i, start.AddTicks(step * i), previous);
                e.Hash = AuditChain.HashOf(e);
                previous = e.Hash;
                yield return e;
            }
        }

        if (IsPostgres)
        {
            await CopyAsync(Events());
        }
        else
        {
            InsertSqlite(Events());
        }

        return clock.Elapsed;
    }

    private async Task CopyAsync(IEnumerable<AuditEvent> events)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using (var copy = await connection.BeginBinaryImportAsync(
            """COPY "AuditEvents" ("Sequence", "Time", "Actor", "Action", "Subject", "Details", "AwsRequestId", "RunId", "PreviousHash", "Hash") FROM STDIN (FORMAT BINARY)"""))
        {
            foreach (var e in events)
            {
                await copy.StartRowAsync();
                await copy.WriteAsync(e.Sequence, NpgsqlDbType.Bigint);
                await copy.WriteAsync(e.Time.UtcTicks, NpgsqlDbType.Bigint);
                await copy.WriteAsync(e.Actor, NpgsqlDbType.Text);
                await copy.WriteAsync(e.Action, NpgsqlDbType.Text);
                await copy.WriteAsync(e.Subject, NpgsqlDbType.Text);
                await copy.WriteAsync(e.Details, NpgsqlDbType.Text);
                if (e.AwsRequestId is null)
                {
                    await copy.WriteNullAsync();
                }
                else
                {
                    await copy.WriteAsync(e.AwsRequestId, NpgsqlDbType.Text);
                }

                if (e.RunId is { } run)
                {
                    await copy.WriteAsync(run, NpgsqlDbType.Uuid);
                }
                else
                {
                    await copy.WriteNullAsync();
                }

                await copy.WriteAsync(e.PreviousHash, NpgsqlDbType.Varchar);
                await copy.WriteAsync(e.Hash, NpgsqlDbType.Varchar);
            }

            await copy.CompleteAsync();
        }

        // What autovacuum does on its own after a load this size; the planner's row counts are realistic from here.
        await using var analyze = new NpgsqlCommand("""ANALYZE "AuditEvents"; ANALYZE "AuditSubjects";""", connection);
        await analyze.ExecuteNonQueryAsync();
    }

    private void InsertSqlite(IEnumerable<AuditEvent> events)
    {
        using var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO AuditEvents (Sequence, Time, Actor, Action, Subject, Details, AwsRequestId, RunId, PreviousHash, Hash)
            VALUES ($sequence, $time, $actor, $action, $subject, $details, $request, $run, $previous, $hash)
            """;
        var parameters = new[] { "$sequence", "$time", "$actor", "$action", "$subject", "$details", "$request", "$run", "$previous", "$hash" }
            .Select(name => command.Parameters.Add(new SqliteParameter { ParameterName = name })).ToArray();
        SqliteTransaction? transaction = null;
        var written = 0;
        foreach (var e in events)
        {
            if (written++ % 100_000 == 0)
            {
                transaction?.Commit();
                transaction?.Dispose();
                transaction = connection.BeginTransaction();
                command.Transaction = transaction;
            }

            parameters[0].Value = e.Sequence;
            parameters[1].Value = e.Time.UtcTicks;
            parameters[2].Value = e.Actor;
            parameters[3].Value = e.Action;
            parameters[4].Value = e.Subject;
            parameters[5].Value = e.Details;
            parameters[6].Value = (object?)e.AwsRequestId ?? DBNull.Value;
            // EF Core's SQLite provider stores a Guid as upper-case text.
            parameters[7].Value = e.RunId is { } run ? run.ToString().ToUpperInvariant() : DBNull.Value;
            parameters[8].Value = e.PreviousHash;
            parameters[9].Value = e.Hash;
            command.ExecuteNonQuery();
        }

        transaction?.Commit();
        transaction?.Dispose();
    }

    /// <summary>
    /// The plan of <paramref name="sql"/> (captured from EF Core, so with its parameter names): SQLite's EXPLAIN QUERY PLAN
    /// with the parameters unbound; PostgreSQL's generic plan of the statement prepared, which holds for any values.
    /// </summary>
    public async Task<IReadOnlyList<string>> PlanAsync(string sql)
    {
        var names = ParameterName().Matches(sql).Select(m => m.Value).Distinct().ToList();
        var lines = new List<string>();
        if (IsPostgres)
        {
            await using var connection = new NpgsqlConnection(ConnectionString);
            await connection.OpenAsync();
            var positional = names.Select((name, i) => (name, i)).OrderByDescending(p => p.name.Length)
                .Aggregate(sql, (text, p) => Regex.Replace(text, Regex.Escape(p.name) + @"\b", $"${p.i + 1}"));
            await Execute(connection, "SET plan_cache_mode = force_generic_plan");
            await Execute(connection, $"PREPARE audit_plan AS {positional}");
            var arguments = names.Count == 0 ? "" : $"({string.Join(", ", names.Select(_ => "NULL"))})";
            await using var explain = new NpgsqlCommand($"EXPLAIN EXECUTE audit_plan{arguments}", connection);
            await using var reader = await explain.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                lines.Add(reader.GetString(0).Trim());
            }
        }
        else
        {
            await using var connection = new SqliteConnection(ConnectionString);
            await connection.OpenAsync();
            await using var explain = connection.CreateCommand();
            explain.CommandText = $"EXPLAIN QUERY PLAN {sql}";
            foreach (var name in names)
            {
                explain.Parameters.AddWithValue(name, DBNull.Value);
            }

            await using var reader = await explain.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                lines.Add(reader.GetString(3));
            }
        }

        return lines;

        static async Task Execute(DbConnection connection, string text)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = text;
            await command.ExecuteNonQueryAsync();
        }
    }

    /// <summary>
    /// Whether <paramref name="plan"/> reads every row of the events table: SQLite's "SCAN &lt;table or alias&gt;" with no
    /// index, PostgreSQL's "Seq Scan on AuditEvents".
    /// </summary>
    public bool ScansEveryEvent(string sql, IReadOnlyList<string> plan)
    {
        if (IsPostgres)
        {
            return plan.Any(l => l.Contains("Seq Scan on \"AuditEvents\"", StringComparison.Ordinal) || l.Contains("Seq Scan on AuditEvents", StringComparison.Ordinal));
        }

        var names = TableAlias().Matches(sql).Select(m => m.Groups[1].Value).Append("AuditEvents").ToHashSet();
        return plan.Any(l => l.StartsWith("SCAN ", StringComparison.Ordinal) && !l.Contains("USING", StringComparison.Ordinal)
                             && names.Contains(l["SCAN ".Length..].Split(' ')[0]));
    }

    [GeneratedRegex(@"[@$][A-Za-z_][A-Za-z0-9_]*")]
    private static partial Regex ParameterName();

    [GeneratedRegex("\"AuditEvents\" AS \"([A-Za-z0-9_]+)\"")]
    private static partial Regex TableAlias();

    public async ValueTask DisposeAsync()
    {
        if (_host is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
        else
        {
            _host.Dispose();
        }

        SqliteConnection.ClearAllPools();
        NpgsqlConnection.ClearAllPools();
    }
}
