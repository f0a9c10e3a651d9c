namespace KmsConsole.Rotation;

/// <summary>
/// Someone who signed in to the console, as last seen: their roles and e-mail address from the identity provider's
/// claims at their latest sign-in. A personal access token is checked against these roles on every call, and
/// notifications go to the addresses recorded here.
/// </summary>
public sealed class ConsoleUser
{
    public string UserId { get; set; } = "";

    public string DisplayName { get; set; } = "";

    public string? Email { get; set; }

    /// <summary>Comma-separated console roles.</summary>
    public string Roles { get; set; } = "";

    public DateTimeOffset SeenAt { get; set; }

    public IReadOnlyList<string> RoleList => Roles.Split(',', StringSplitOptions.RemoveEmptyEntries);
}
