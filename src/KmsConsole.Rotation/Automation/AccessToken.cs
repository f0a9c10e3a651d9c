namespace KmsConsole.Rotation.Automation;

/// <summary>
/// A personal access token: it acts as <see cref="UserId"/> for the API. Only the SHA-256 of the secret is kept; the
/// secret itself is shown once, when the token is made.
/// </summary>
public sealed class AccessToken
{
    public Guid Id { get; set; }

    public string UserId { get; set; } = "";

    public string UserName { get; set; } = "";

    public string Name { get; set; } = "";

    /// <summary>Lower-case hex SHA-256 of the whole secret (prefix included).</summary>
    public string SecretHash { get; set; } = "";

    /// <summary>The prefix and the first characters of the random part, so a person can tell their tokens apart.</summary>
    public string Hint { get; set; } = "";

    /// <summary>Comma-separated roles the token is narrowed to; empty means every role its user holds at the time of the call.</summary>
    public string Roles { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public string CreatedBy { get; set; } = "";

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? LastUsedAt { get; set; }

    public string? LastUsedFrom { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }

    public string? RevokedBy { get; set; }

    public IReadOnlyList<string> RoleList => Roles.Split(',', StringSplitOptions.RemoveEmptyEntries);

    public bool IsActiveAt(DateTimeOffset now) => RevokedAt is null && ExpiresAt > now;
}

/// <summary>A token just made: its record and the secret, which is shown this once and never stored.</summary>
public sealed record CreatedAccessToken(AccessToken Token, string Secret);

/// <summary>Why a presented token did not authenticate; the API answers 401 for each, with this as the reason.</summary>
public enum TokenRefusal
{
    Unknown,
    Expired,
    Revoked,
}

/// <summary>The outcome of presenting a token: the token, or why it was refused.</summary>
public sealed record TokenCheck(AccessToken? Token, TokenRefusal? Refusal);
