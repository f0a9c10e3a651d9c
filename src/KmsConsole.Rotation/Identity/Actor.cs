namespace KmsConsole.Rotation;

/// <summary>Who acts: the signed-in user as the web console (or a test) hands it to every service method.</summary>
public sealed record Actor(string UserId, string DisplayName, IReadOnlySet<string> Roles)
{
    public bool IsIn(string role) => Roles.Contains(role) || Roles.Contains(Rotation.Roles.Admin);

    /// <summary>Refuses, naming the role, when the actor does not hold it.</summary>
    public void Require(string role, string what)
    {
        if (!IsIn(role))
        {
            throw new RotationAuthorizationException($"{DisplayName} needs the {role} role to {what}.");
        }
    }
}

/// <summary>Role names; the strings are the names.</summary>
public static class Roles
{
    public const string Viewer = nameof(Viewer);
    public const string Requester = nameof(Requester);
    public const string Approver = nameof(Approver);
    public const string Auditor = nameof(Auditor);
    public const string Admin = nameof(Admin);
}

/// <summary>The actor lacks the role an action needs, or is not allowed to act on this run (e.g. self-approval).</summary>
public sealed class RotationAuthorizationException(string message) : Exception(message);

/// <summary>A request or action the orchestrator refuses; the message is written for the user.</summary>
public sealed class RotationRefusedException(string message, IReadOnlyList<string>? reasons = null) : Exception(message)
{
    public IReadOnlyList<string> Reasons { get; } = reasons ?? [message];
}
