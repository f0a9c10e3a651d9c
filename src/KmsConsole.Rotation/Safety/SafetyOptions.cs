namespace KmsConsole.Rotation.Safety;

/// <summary>Section "Rotation:Safety": what the hazard check of the alias swaps counts as recent use, and how far it looks.</summary>
public sealed class SafetyOptions
{
    /// <summary>A key used within this many days is "in use": a warning before the request, and its fate defaults to staged retirement.</summary>
    public int RecentUseDays { get; set; } = 30;

    /// <summary>At most this many key policies of the target are read for references to the alias or the old key.</summary>
    public int PolicyScanLimit { get; set; } = 500;
}
