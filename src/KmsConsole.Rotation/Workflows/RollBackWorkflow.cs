using KmsConsole.Rotation.Iam;
using KmsConsole.Rotation.Persistence;
using KmsConsole.Rotation.Runs;
using KmsConsole.Rotation.Safety;
using Microsoft.EntityFrameworkCore;

namespace KmsConsole.Rotation.Workflows;

/// <summary>Points the alias of an alias swap back at the key it started from; requested from the run it undoes.</summary>
internal sealed class RollBackWorkflow : WorkflowDefinition
{
    public override WorkflowKind Kind => WorkflowKind.RollBack;
    public override string Label => "Roll back";
    public override string Description => "Points the alias of an alias swap back at the previous key, once that key is checked usable.";
    public override bool MovesAlias => true;
    public override bool RequestedFromKey => false;
    internal override bool StartsFromAliasKey => true;

    public override string? WhyNotFor(KeySummary key) => "a roll back is requested from the run it undoes";

    internal override IEnumerable<WorkflowStep> Steps(WorkflowStepSource source)
    {
        // A roll back recorded before the replicas' step existed keeps the steps it was recorded with (steps are matched by index).
        var steps = StepsOf(source, replicas: true).ToList();
        var recorded = source.Run.Steps.Count;
        return recorded > 0 && recorded != steps.Count ? StepsOf(source, replicas: false) : steps;
    }

    private static IEnumerable<WorkflowStep> StepsOf(WorkflowStepSource source, bool replicas)
    {
        yield return source.FirstGate();
        yield return new PreviousKeyUsableStep(source.Kms);
        yield return new PointAliasStep(source.Kms, RunValues.RunKey, StepKey.PointAliasBack, "Point the alias back at the previous key");
        if (replicas)
        {
            yield return PointReplicaAliasesStep.ForRollBack(source.Kms, source.InRegion);
        }

        yield return new VerifyAliasStep(source.Kms, RunValues.RunKey, checkSample: false);
    }

    internal override Task CheckRequestAsync(RequestCheck check)
    {
        check.Refuse("A roll back is requested from the run it undoes.");
        return Task.CompletedTask;
    }

    internal override Task<ResumePreflight.Outcome> CheckResumeAsync(ResumePreflight resume, Run run, RunStep failed, CancellationToken cancellationToken) =>
        resume.RollBackAsync(run, cancellationToken);

    internal override async Task OnFinishedAsync(RotationDbContext db, Run run, CancellationToken cancellationToken)
    {
        if (run.State == RunState.Succeeded && run.Parameters.RollBackOf is { } original)
        {
            var undone = await db.Runs.SingleOrDefaultAsync(r => r.Id == original, cancellationToken);
            undone?.MarkRolledBack();
        }
    }

    internal override void AddPermissions(KmsPermissionList p)
    {
        if (p.Resources.AliasName is null)
        {
            throw new ArgumentException("A roll back moves an alias; name it in the resources.", "resources");
        }

        var key = p.Key;
        var swapped = p.Resources.AliasKeyArn ?? p.AnyKey;
        p.Add("DescribeKey", key, "check the previous key is Enabled");
        p.Add("DescribeKey", swapped, "check the alias still points at the key the swap created");
        p.Add("UpdateAlias", p.Resources.AliasArn, "move the alias back (checked on the alias)");
        p.Add("UpdateAlias", swapped, "move the alias away from the swap's new key (checked on that key)");
        p.Add("UpdateAlias", key, "move the alias back to the previous key (checked on that key)");
        foreach (var region in p.Resources.ReplicaRegions ?? [])
        {
            var account = p.Resources.AccountId;
            var keyId = key[(key.LastIndexOf('/') + 1)..];
            p.Add("DescribeKey", Iam.KmsArns.AnyKey(region, account), $"find the alias in {region}");
            p.Add("ListAliases", "*", $"find the alias in {region}");
            p.Add("UpdateAlias", Iam.KmsArns.Alias(region, account, p.Resources.AliasName), $"move the alias back in {region} (checked on the alias)");
            p.Add("UpdateAlias", Iam.KmsArns.AnyKey(region, account), $"move the alias in {region} away from the swap's new key's replica");
            p.Add("UpdateAlias", Iam.KmsArns.Key(region, account, keyId), $"move the alias in {region} back to the previous key's replica");
        }

        p.RoundTrip(key, "the previous key, through the alias");
        p.Refresh(key);
    }
}
