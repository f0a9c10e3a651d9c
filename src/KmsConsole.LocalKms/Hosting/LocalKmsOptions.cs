namespace KmsConsole.LocalKms.Hosting;

/// <summary>Settings of a local KMS endpoint, bound from the "LocalKms" configuration section or command line.</summary>
public sealed class LocalKmsOptions
{
    public const string SectionName = "LocalKms";

    /// <summary>Folder holding the SQLite state file and the master key file.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>On first start with an empty data folder, create the workshop's keys (alias/FirstCMK, alias/ImportedCMK).</summary>
    public bool Seed { get; set; } = true;

    public string Region { get; set; } = "us-east-1";

    public string AccountId { get; set; } = "111122223333";
}
