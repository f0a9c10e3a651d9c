namespace KmsConsole.Rotation.Iam;

/// <summary>One required permission and the executing principal's answer, as kept with a run.</summary>
public sealed record RecordedPermission(string Action, string Resource, PermissionDecision Decision, string? DecidingPolicy, string? DecidingPolicyType, string Reason);

/// <summary>
/// The permission check a run was requested with, stored on the run (JSON) so its detail shows what was checked
/// at request time, whatever IAM says later.
/// </summary>
/// <param name="Note">Why SimulatePrincipalPolicy was not used, or, when <see cref="Source"/> is NotChecked, why nothing was checked.</param>
public sealed record RecordedPermissionCheck(DateTimeOffset CheckedAt, string Principal, PermissionSource Source, string? Note, IReadOnlyList<RecordedPermission> Permissions)
{
    public bool Checked => Source != PermissionSource.NotChecked;

    public int AllowedCount => Permissions.Count(p => p.Decision == PermissionDecision.Allowed);

    public static RecordedPermissionCheck From(PermissionReport report, DateTimeOffset checkedAt)
    {
        ArgumentNullException.ThrowIfNull(report);
        return new(checkedAt, report.PrincipalArn, report.Source, report.SimulationUnavailableReason,
            report.Checks.Select(c => new RecordedPermission(c.Permission.Action, c.Permission.Resource, c.Decision, c.DecidingPolicy, c.DecidingPolicyType, c.Permission.Reason)).ToList());
    }

    /// <summary>One line for the audit trail.</summary>
    public string Describe() => Checked
        ? $"permissions of {Principal} checked with {Source}: {AllowedCount} of {Permissions.Count} allowed"
        : $"permissions not checked: {Note}";
}
