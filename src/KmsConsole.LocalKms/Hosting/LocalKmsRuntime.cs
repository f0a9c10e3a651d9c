using KmsConsole.LocalKms.Crypto;
using KmsConsole.LocalKms.Keys;
using KmsConsole.LocalKms.Seeding;
using KmsConsole.LocalKms.Storage;

namespace KmsConsole.LocalKms.Hosting;

/// <summary>The opened data folder: database, master key, the loaded key ring and the import token issuer.</summary>
public sealed class LocalKmsRuntime : IDisposable
{
    /// <summary>How often keys' last uses reach the database (on the host's clock); a crash loses at most this much.</summary>
    public static readonly TimeSpan UsageFlushInterval = TimeSpan.FromSeconds(1);

    private readonly ITimer _usageFlush;

    public LocalKmsRuntime(LocalKmsOptions options, LocalKmsClock clock)
    {
        Database = KmsDatabase.Open(options.DataDirectory);
        Database.BeginTracking(clock.GetUtcNow());
        Ring = new KeyRing(Database, options.Region, options.AccountId);
        Ring.Load();
        Rings = new RegionalKeyRings(Ring, options.DataDirectory, clock.GetUtcNow);
        ImportTokens = new ImportTokens(Database.MasterKey);
        if (Database.IsNew && options.Seed)
        {
            lock (Ring.Gate)
            {
                WorkshopSeed.Plant(Ring, clock.GetUtcNow());
            }
        }

        _usageFlush = TimeProvider.System.CreateTimer(_ => Rings.FlushUsage(), null, UsageFlushInterval, UsageFlushInterval);
    }

    public KmsDatabase Database { get; }

    /// <summary>The home Region's keys (<see cref="LocalKmsOptions.Region"/>).</summary>
    public KeyRing Ring { get; }

    /// <summary>Every Region's keys; a request is answered from the Region of its SigV4 credential scope.</summary>
    public RegionalKeyRings Rings { get; }

    public ImportTokens ImportTokens { get; }

    public void Dispose()
    {
        _usageFlush.Dispose();
        Rings.Dispose();
        Database.Dispose();
    }
}
