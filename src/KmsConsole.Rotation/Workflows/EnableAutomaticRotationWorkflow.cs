using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.Rotation.Iam;
using KmsConsole.Rotation.Runs;

namespace KmsConsole.Rotation.Workflows;

/// <summary>Workflow 1: EnableKeyRotation with the chosen period, verified; optionally RotateKeyOnDemand now. Key id, ARN and aliases stay.</summary>
internal sealed class EnableAutomaticRotationWorkflow : WorkflowDefinition
{
    public override WorkflowKind Kind => WorkflowKind.EnableAutomaticRotation;
    public override string Label => "Enable automatic rotation";
    public override string Description =>
        "KMS rotates the key's material on a period you choose; the key id, ARN, aliases and policy stay, and old material keeps decrypting.";
    public override WorkflowInputs Inputs => WorkflowInputs.RotationPeriod | WorkflowInputs.RotateNow;

    public override string? WhyNotFor(KeySummary key) =>
        key.Origin != OriginType.AWS_KMS.Value || key.KeySpec != KeySpec.SYMMETRIC_DEFAULT.Value
            ? "automatic rotation is only for symmetric encryption keys with origin AWS_KMS"
            : key.KeyState != KeyState.Enabled.Value ? "the key is not Enabled" : null;

    internal override IEnumerable<WorkflowStep> Steps(WorkflowStepSource source)
    {
        yield return source.FirstGate();
        yield return new EnableRotationStep(source.Kms);
        yield return new VerifyRotationStatusStep(source.Kms);
        if (source.Parameters.RotateNow)
        {
            yield return new RotateOnDemandStep(source.Kms);
        }

        yield return new RoundTripStep(source.Kms, RunValues.RunKey, "Verify an encrypt/decrypt round trip");
    }

    internal override Task CheckRequestAsync(RequestCheck check)
    {
        var m = check.Metadata;
        if (!check.IsSymmetric || m.Origin != OriginType.AWS_KMS)
        {
            check.Refuse(check.IsExternal
                ? $"{check.Name} has imported material (origin EXTERNAL); KMS rotates only AWS_KMS symmetric keys automatically. Use 'New material in place' or an alias swap."
                : $"{check.Name} is {m.KeySpec} with origin {m.Origin}; automatic rotation is supported only for symmetric encryption keys with origin AWS_KMS.");
        }

        check.RequireEnabled();
        if (check.Parameters.RotationPeriodInDays is { } period && !WorkflowBounds.RotationPeriod.Contains(period))
        {
            check.Refuse(WorkflowBounds.RotationPeriod.Refusal(period), nameof(RotationParameters.RotationPeriodInDays));
        }

        return Task.CompletedTask;
    }

    internal override async Task DescribeStateAsync(RequestCheck check)
    {
        var m = check.Metadata;
        if (!check.StateReadable)
        {
            return;
        }

        if (m.Origin == OriginType.AWS_KMS)
        {
            var status = await KmsKeys.ReadAsync(() => check.Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = m.KeyId }, check.CancellationToken),
                check.CancellationToken);
            check.Note(StepKey.EnableRotation, status.KeyRotationEnabled == true
                ? $"rotation is on, every {status.RotationPeriodInDays} days (next {status.NextRotationDate:u}); the period becomes {check.Parameters.RotationPeriodInDays ?? WorkflowBounds.DefaultRotationPeriodInDays} days."
                : "automatic rotation is off.");
        }

        if (check.Parameters.RotateNow)
        {
            await check.NoteOnDemandRotationsAsync();
        }
    }

    internal override void AddPermissions(KmsPermissionList p)
    {
        p.RequestReads("read the key's origin, spec and state (preflight)");
        p.Add("GetKeyRotationStatus", p.Key, "read the rotation status (preflight, before and after enabling it)");
        p.Add("EnableKeyRotation", p.Key, "turn on automatic rotation with the chosen period");
        if (p.RotateNow)
        {
            p.Add("ListKeyRotations", p.Key, "count the on-demand rotations before rotating (preflight, and to rotate only once)");
            p.Add("RotateKeyOnDemand", p.Key, "rotate the key material now");
        }

        p.RoundTrip(p.Key, "the key");
        p.Refresh(p.Key);
    }
}
