namespace KmsConsole.Rotation.Iam;

/// <summary>Where a policy grant is: waiting for another user's decision, rejected, or approved and then applied (or failed, to apply again).</summary>
public enum PolicyGrantState
{
    AwaitingApproval,

    /// <summary>Approved; applying it to IAM has not finished (a crash or a failure leaves it here or in <see cref="Failed"/>).</summary>
    Approved,
    Applied,

    /// <summary>Applying failed; the approved grant can be applied again (every IAM step checks before acting).</summary>
    Failed,
    Rejected,
}

/// <summary>
/// An Admin's request to create the generated least-privilege policy and attach it to the role that executes
/// runs on a target; another user approves it before it touches IAM.
/// </summary>
public sealed class PolicyGrant
{
    public Guid Id { get; set; }
    public string Target { get; set; } = "";

    /// <summary>The executing role the policy is attached to.</summary>
    public string RoleArn { get; set; } = "";
    public string PolicyName { get; set; } = "";
    public string PolicyDocument { get; set; } = "";

    /// <summary>Workflow names, comma-separated (e.g. "AliasSwapNewKey,EnableAutomaticRotation").</summary>
    public string Workflows { get; set; } = "";
    public PolicyScope Scope { get; set; }

    /// <summary>For <see cref="PolicyScope.NamedResources"/>: the keys and aliases named, comma-separated.</summary>
    public string? NamedResources { get; set; }
    public PolicyGrantState State { get; set; }
    public string RequestedBy { get; set; } = "";
    public string RequestedByName { get; set; } = "";
    public string Justification { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public string? DecidedBy { get; set; }
    public string? DecidedByName { get; set; }
    public string? DecisionComment { get; set; }
    public DateTimeOffset? DecidedAt { get; set; }
    public int ApplyAttempts { get; set; }
    public DateTimeOffset? AppliedAt { get; set; }
    public string? PolicyArn { get; set; }
    public string? PolicyVersionId { get; set; }

    /// <summary>The last failure to apply, as IAM worded it.</summary>
    public string? Error { get; set; }
    public Guid Version { get; set; }

    public IReadOnlyList<string> WorkflowList => Workflows.Split(',', StringSplitOptions.RemoveEmptyEntries);

    public bool CanApply => State is PolicyGrantState.Approved or PolicyGrantState.Failed;
}
