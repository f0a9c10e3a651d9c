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

/// <summary>What kind of "no" a refusal is. Pages show the message; the API maps each kind to one status.</summary>
public enum RefusalKind
{
    /// <summary>The input breaks a bound or rule; <see cref="RotationRefusedException.Field"/> names the field (422).</summary>
    Invalid,

    /// <summary>The key, run or other resource does not exist (404).</summary>
    NotFound,

    /// <summary>The actor lacks the role, or may not act on this run (e.g. self-approval) (403).</summary>
    Forbidden,

    /// <summary>The current state does not allow it: a run already decided, a key locked by another run (409).</summary>
    Conflict,

    /// <summary>KMS or IAM said no; <see cref="RotationRefusedException.AwsErrorCode"/> and its message say why.</summary>
    KmsRefused,

    /// <summary>KMS or IAM could not be reached or did not answer in time; trying again later may work (503).</summary>
    Unavailable,
}

/// <summary>
/// The one type the console's public services refuse with; the message is written for the user. Pages catch this
/// type alone and the API maps it once to problem details.
/// </summary>
public class RotationRefusedException(string message, IReadOnlyList<string>? reasons = null, RefusalKind kind = RefusalKind.Conflict,
    Exception? inner = null) : Exception(message, inner)
{
    public IReadOnlyList<string> Reasons { get; } = reasons ?? [message];

    public RefusalKind Kind { get; } = kind;

    /// <summary>The parameter or form field at fault, for <see cref="RefusalKind.Invalid"/>.</summary>
    public string? Field { get; init; }

    /// <summary>Every field at fault with its problem, for a form that shows each next to its field (<see cref="Field"/> is the first of them).</summary>
    public IReadOnlyDictionary<string, string> FieldProblems { get; init; } = new Dictionary<string, string>();

    /// <summary>AWS's error code (e.g. <c>DisabledException</c>) when KMS or IAM refused.</summary>
    public string? AwsErrorCode { get; init; }

    /// <summary>AWS's own message when KMS or IAM refused.</summary>
    public string? AwsMessage { get; init; }

    /// <summary>AWS's request id of the refused call, for support cases and CloudTrail.</summary>
    public string? AwsRequestId { get; init; }

    /// <summary>A required text (a justification, a reason) was left empty.</summary>
    public static RotationRefusedException Missing(string message, string field) => new(message, kind: RefusalKind.Invalid) { Field = field };
}

/// <summary>The actor lacks the role an action needs, or is not allowed to act on this run (e.g. self-approval).</summary>
public sealed class RotationAuthorizationException(string message) : RotationRefusedException(message, kind: RefusalKind.Forbidden);
