namespace KmsConsole.Rotation.Safety;

/// <summary>Section "Rotation:Safety": what the hazard check of the alias swaps counts as recent use, and how far it looks.</summary>
public sealed class SafetyOptions
{
    /// <summary>A key used within this many days is "in use": a warning before the request, and its fate defaults to staged retirement.</summary>
    public int RecentUseDays { get; set; } = 30;

    /// <summary>At most this many key policies of the target are read for references to the alias or the old key.</summary>
    public int PolicyScanLimit { get; set; } = 500;

    /// <summary>Staged retirement: how long the disabled old key is watched before its deletion may be scheduled.</summary>
    public int RetirementWatchDays { get; set; } = 14;

    /// <summary>Staged retirement: how often a watched key's last use is read again.</summary>
    public TimeSpan RetirementCheckInterval { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How often the console looks for watched keys whose next check is due.</summary>
    public TimeSpan RetirementPollInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>What is wrong with these settings, each naming its setting (read by <see cref="RotationOptionsValidator"/>).</summary>
    internal IEnumerable<string> Problems()
    {
        if (RecentUseDays < 0)
        {
            yield return "Rotation:Safety:RecentUseDays must not be negative.";
        }

        if (PolicyScanLimit < 0)
        {
            yield return "Rotation:Safety:PolicyScanLimit must not be negative.";
        }

        if (RetirementWatchDays < 0)
        {
            yield return "Rotation:Safety:RetirementWatchDays must not be negative.";
        }

        if (RetirementCheckInterval <= TimeSpan.Zero)
        {
            yield return "Rotation:Safety:RetirementCheckInterval must be positive.";
        }

        if (RetirementPollInterval <= TimeSpan.Zero)
        {
            yield return "Rotation:Safety:RetirementPollInterval must be positive.";
        }
    }
}
