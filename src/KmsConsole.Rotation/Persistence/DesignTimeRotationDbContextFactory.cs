using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace KmsConsole.Rotation.Persistence;

/// <summary>Lets `dotnet ef migrations add` build the context without a host.</summary>
internal sealed class DesignTimeRotationDbContextFactory : IDesignTimeDbContextFactory<RotationDbContext>
{
    public RotationDbContext CreateDbContext(string[] args)
    {
        var builder = new DbContextOptionsBuilder<RotationDbContext>();
        builder.UseSqlite("Data Source=design-time.db");
        return new RotationDbContext(builder.Options);
    }
}

/// <summary>`dotnet ef migrations add X --context PostgresRotationDbContext` (no server needed to add a migration).</summary>
internal sealed class DesignTimePostgresRotationDbContextFactory : IDesignTimeDbContextFactory<PostgresRotationDbContext>
{
    public PostgresRotationDbContext CreateDbContext(string[] args)
    {
        var builder = new DbContextOptionsBuilder<PostgresRotationDbContext>();
        builder.UseNpgsql("Host=localhost;Database=kmsconsole");
        return new PostgresRotationDbContext(builder.Options);
    }
}
