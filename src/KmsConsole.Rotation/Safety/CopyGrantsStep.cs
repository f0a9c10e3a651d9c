using Amazon.KeyManagementService;
using KmsConsole.Rotation.Runs;
using KmsConsole.Rotation.Workflows;

namespace KmsConsole.Rotation.Safety;

/// <summary>
/// Copies the old key's grants to the new key before the alias moves (grants name a key, not an alias, so a grantee
/// would be refused on the new key): CreateGrant with the same grantee, operations, constraints and retiring principal,
/// named so a retry answers the copy made before. The old key's grants stay as they are until the old key is retired.
/// </summary>
internal sealed class CopyGrantsStep(IAmazonKeyManagementService kms) : WorkflowStep
{
    public override string Key => SafetyStepKey.CopyGrants;
    public override string Name => "Copy the old key's grants to the new key";
    public override string Description => "ListGrants on the old key; CreateGrant on the new key for each, with the same grantee, operations, constraints and retiring principal. The old grants stay.";

    public override async Task<StepResult> ExecuteAsync(StepContext context)
    {
        var newKeyId = context.Require(CreateKeyStep.NewKeyValue);
        var grants = await KeyGrants.ListAsync(kms, context.Run.KeyId, context.CancellationToken);
        if (grants.Count == 0)
        {
            return new StepResult($"The old key {context.Run.KeyId} has no grants; nothing to copy");
        }

        var copies = new List<string>();
        string? requestId = null;
        foreach (var grant in grants)
        {
            var created = await kms.CreateGrantAsync(KeyGrants.CopyRequest(grant, newKeyId), context.CancellationToken);
            requestId = created.RequestId();
            copies.Add($"{KeyGrants.Describe(grant)} → grant {created.GrantId} on {newKeyId}");
        }

        return new StepResult($"Copied {grants.Count} grant(s): {string.Join(" | ", copies)}", requestId);
    }
}

/// <summary>The stable keys of the safety steps (beside <see cref="StepKey"/>).</summary>
internal static class SafetyStepKey
{
    public const string CopyGrants = "copy-grants";
    public const string ReplicateNewKey = "replicate-new-key";
    public const string PointReplicaAliases = "point-replica-aliases";
    public const string PointReplicaAliasesBack = "point-replica-aliases-back";
    public const string RetirementWatch = "retirement-watch";
    public const string RetirementDeletionApproval = "retirement-deletion-approval";
    public const string RetirementScheduleDeletion = "retirement-schedule-deletion";
}
