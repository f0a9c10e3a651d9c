namespace KmsConsole.Web.Hosting;

/// <summary>When the console hosts the local KMS endpoint in-process.</summary>
public enum LocalKmsHosting
{
    /// <summary>Host it when no Rotation target is configured (the embedded default).</summary>
    Auto,
    Always,
    Never,
}

/// <summary>The web console's own settings (section <c>Console</c>).</summary>
public sealed class ConsoleOptions
{
    public const string SectionName = "Console";

    public LocalKmsHosting HostLocalKms { get; set; } = LocalKmsHosting.Auto;

    /// <summary>Where the hosted local KMS listens; must be a loopback address.</summary>
    public string LocalKmsUrl { get; set; } = "http://127.0.0.1:4599";

    /// <summary>The name of the Rotation target that points at the hosted local KMS.</summary>
    public string LocalTargetName { get; set; } = "local";

    /// <summary>
    /// Who the local target signs its calls as. The local endpoint treats an access key id named after one of its
    /// roles as that role: <c>KMSWorkshop-InstanceInitRole</c> (with <c>LocalKms:Iam:EnforceKmsPermissions</c>)
    /// rehearses the workshop's IAM step. Any other name is a user holding every KMS permission.
    /// </summary>
    public string LocalTargetAccessKeyId { get; set; } = "kmsconsole";

    /// <summary>One key ring shared by several instances (<see cref="SharedDataProtection"/>); none by default.</summary>
    public SharedDataProtectionOptions DataProtection { get; set; } = new();
}

/// <summary>Section <c>Console:DataProtection</c>.</summary>
public sealed class SharedDataProtectionOptions
{
    /// <summary>The folder every instance keeps the one key ring in.</summary>
    public string? KeysPath { get; set; }

    /// <summary>A PKCS#12 file with its RSA private key, encrypting the key ring at rest.</summary>
    public string? CertificatePath { get; set; }

    public string? CertificatePassword { get; set; }
}
