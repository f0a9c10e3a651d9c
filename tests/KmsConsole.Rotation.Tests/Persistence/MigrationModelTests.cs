using KmsConsole.Rotation.Persistence;
using Microsoft.EntityFrameworkCore;

namespace KmsConsole.Rotation.Tests.Persistence;

/// <summary>Each provider's migrations end where the model is: a change to the model without its migration (or a snapshot merged wrongly) fails here.</summary>
public sealed class MigrationModelTests
{
    [Fact]
    public void SqliteMigrationsMatchTheModel()
    {
        using var context = new DesignTimeRotationDbContextFactory().CreateDbContext([]);
        Assert.False(context.Database.HasPendingModelChanges(), "The SQLite model has changes no migration holds: add one with dotnet ef migrations add.");
    }

    [Fact]
    public void PostgresMigrationsMatchTheModel()
    {
        using var context = new DesignTimePostgresRotationDbContextFactory().CreateDbContext([]);
        Assert.False(context.Database.HasPendingModelChanges(), "The PostgreSQL model has changes no migration holds: add one with dotnet ef migrations add --context PostgresRotationDbContext.");
    }
}
