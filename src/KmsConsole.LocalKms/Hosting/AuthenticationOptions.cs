namespace KmsConsole.LocalKms.Hosting;

/// <summary>
/// How the endpoint checks callers' SigV4 signatures ("LocalKms:Authentication"). By default every request must be
/// signed, no more than 5 minutes off the host's clock, with the secret registered for its access key id in
/// <see cref="Credentials"/>; an access key id not registered there may sign with one of <see cref="CallerSecrets"/>,
/// the endpoint's known secrets for callers it knows only by name (a role name, the console's local target). A wrong
/// secret is InvalidSignatureException, as on AWS, so a rehearsal catches it. <see cref="AnyCredentials"/> turns
/// checking off: any credentials, or none, are accepted (the behaviour of earlier versions).
/// </summary>
public sealed class AuthenticationOptions
{
    /// <summary>The documented client key of the local endpoint.</summary>
    public const string LocalAccessKeyId = "AKIDLOCAL";

    public const string LocalSecretAccessKey = "local-secret";

    /// <summary>Accept any credentials or none, without checking signatures. Off by default.</summary>
    public bool AnyCredentials { get; set; }

    /// <summary>Access key id → secret access key; a registered key must sign with its own secret.</summary>
    public Dictionary<string, string> Credentials { get; set; } = new(StringComparer.Ordinal)
    {
        [LocalAccessKeyId] = LocalSecretAccessKey,
    };

    /// <summary>Secrets an access key id that is not in <see cref="Credentials"/> may sign with (the caller is named by its access key id).</summary>
    public List<string> CallerSecrets { get; set; } = ["local-endpoint", LocalSecretAccessKey];
}
