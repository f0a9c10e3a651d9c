using Microsoft.EntityFrameworkCore;

namespace KmsConsole.Rotation.Persistence;

/// <summary>Chooses the EF Core provider from configuration and applies the migrations once at start.</summary>
public sealed class RotationDatabase(IDbContextFactory<RotationDbContext> contexts)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _migrated;

    internal static void Configure(DbContextOptionsBuilder builder, DatabaseOptions database)
    {
        if (database.Provider == DatabaseOptions.Postgres)
        {
            builder.UseNpgsql(database.ConnectionString);
        }
        else
        {
            EnsureSqliteFolder(database.ConnectionString);
            builder.UseSqlite(database.ConnectionString);
        }
    }

    /// <summary>Contexts of the configured provider: SQLite's own type, or the PostgreSQL subclass with its migrations.</summary>
    internal sealed class ContextFactory(DatabaseOptions database, Microsoft.Extensions.Logging.ILoggerFactory? loggers) : IDbContextFactory<RotationDbContext>
    {
        private readonly DbContextOptions<RotationDbContext> _sqlite = Build<RotationDbContext>(database, loggers);
        private readonly DbContextOptions<PostgresRotationDbContext> _postgres = Build<PostgresRotationDbContext>(database, loggers);

        public RotationDbContext CreateDbContext() => database.Provider == DatabaseOptions.Postgres
            ? new PostgresRotationDbContext(_postgres)
            : new RotationDbContext(_sqlite);

        private static DbContextOptions<T> Build<T>(DatabaseOptions database, Microsoft.Extensions.Logging.ILoggerFactory? loggers) where T : DbContext
        {
            var builder = new DbContextOptionsBuilder<T>();
            if (loggers is not null)
            {
                builder.UseLoggerFactory(loggers);
            }

            if (database.Provider == DatabaseOptions.Postgres || typeof(T) == typeof(RotationDbContext))
            {
                Configure(builder, database);
            }

            return builder.Options;
        }
    }

    /// <summary>Applies pending migrations (idempotent; every service calls it before its first query).</summary>
    public async Task EnsureMigratedAsync(CancellationToken cancellationToken = default)
    {
        if (_migrated)
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_migrated)
            {
                await using var db = await contexts.CreateDbContextAsync(cancellationToken);
                await db.Database.MigrateAsync(cancellationToken);
                _migrated = true;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Whether the database answers and which migrations of this build it still lacks (the ready health check).</summary>
    public async Task<(bool Reachable, IReadOnlyList<string> PendingMigrations)> CheckAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await db.Database.CanConnectAsync(cancellationToken))
        {
            return (false, []);
        }

        return (true, (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList());
    }

    private static void EnsureSqliteFolder(string connectionString)
    {
        var dataSource = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connectionString).DataSource;
        var folder = Path.GetDirectoryName(Path.GetFullPath(dataSource));
        if (!string.IsNullOrEmpty(dataSource) && dataSource != ":memory:" && folder is not null)
        {
            Directory.CreateDirectory(folder);
        }
    }
}

/// <summary>Applies the migrations when the host starts, before the orchestrator claims anything.</summary>
internal sealed class DatabaseMigration(RotationDatabase database) : Microsoft.Extensions.Hosting.IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => database.EnsureMigratedAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
