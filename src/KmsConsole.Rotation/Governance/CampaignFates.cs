using System.Security.Cryptography;
using System.Text;
using KmsConsole.Rotation.Runs;

namespace KmsConsole.Rotation.Governance;

public enum FateDecision
{
    /// <summary>The campaign's approvers have not yet passed the gate before the old keys' fate.</summary>
    Waiting,

    /// <summary>Passed once for the campaign: each key's run passes its own fate gate with this decision.</summary>
    Released,

    /// <summary>Rejected once for the campaign: each key's run is rejected at its fate gate.</summary>
    Rejected,
}

/// <summary>
/// A destructive gate decided once for a whole campaign (the gate before the old keys' fate, or a staged retirement's
/// gate before their deletion): which gate it is (the workflow's own gate, read from its step list), the decision (the campaign's sign-offs on it under the workflow's approval rule), and how
/// many keys' runs wait at it now.
/// </summary>
/// <param name="GateName">The gate's name as each run shows it ("Approval of the old key's fate", "Approval of the old key's deletion").</param>
/// <param name="Keys">The keys whose old key's fate this gate decides (every key not skipped), as the approver reads them.</param>
/// <param name="WaitingAtGate">Keys whose runs wait at the gate now (for the decision, or for a high hazard to be acknowledged).</param>
public sealed record CampaignFate(CampaignGate Gate, string GateName, OldKeyFate Fate, FateDecision Decision, IReadOnlyList<string> Keys, int WaitingAtGate,
    IReadOnlyList<SignOff> SignOffs)
{
    /// <summary>Keys whose runs wait at the gate with high hazards no approver acknowledged yet (the hazard check's own rule).</summary>
    public IReadOnlyList<Safety.KeyHazards> HighHazards { get; init; } = [];
}

/// <summary>The destructive gates of a campaign's runs that the campaign's approvers decide once for all its keys.</summary>
public enum CampaignGate
{
    /// <summary>The gate before the old keys' fate (disable, schedule deletion, delete imported material, or begin a staged retirement).</summary>
    Fate,

    /// <summary>A staged retirement's gate before scheduling the deletion of the old keys, each passed once its watch found its key unused.</summary>
    Deletion,
}

public static class CampaignGates
{
    /// <summary>The gate's word in its texts, audit actions, sign-off subject and form fields: "fate" or "deletion".</summary>
    public static string Word(this CampaignGate gate) => gate == CampaignGate.Fate ? "fate" : "deletion";
}

/// <summary>A campaign gate in the campaign's runs: its step index and the name the run page shows.</summary>
internal sealed record FateGate(CampaignGate Gate, int Index, string Name);

/// <summary>Where the campaign's one decision on each of its destructive gates is found and how it counts.</summary>
internal static class CampaignFates
{
    /// <summary>
    /// The sign-offs on a campaign gate are kept under an id derived from the campaign's and the gate's (its release's are
    /// under the campaign's own).
    /// </summary>
    public static Guid SubjectOf(Guid campaignId, CampaignGate gate = CampaignGate.Fate) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes($"old-key-{gate.Word()}:{campaignId:N}")).AsSpan(0, 16));

    /// <summary>
    /// The workflow's step of <paramref name="gate"/> with the campaign's parameters, known by its step key, with its
    /// index in each key's run (every run of the campaign is made with the same workflow and parameters, so the same
    /// steps); null when the runs have no such gate (the old key kept; no staged retirement).
    /// </summary>
    public static FateGate? GateOf(IWorkflowCatalog catalog, Campaign campaign, CampaignGate gate = CampaignGate.Fate)
    {
        var key = gate == CampaignGate.Fate ? Workflows.StepKey.OldKeyFateApproval : Safety.SafetyStepKey.RetirementDeletionApproval;
        var steps = catalog.StepsFor(new Run { Id = Guid.Empty, Workflow = campaign.Workflow, Target = campaign.Target, KeyId = "", Parameters = campaign.Parameters });
        for (var i = 0; i < steps.Count; i++)
        {
            if (steps[i].Kind == StepKind.Gate && steps[i].Key == key)
            {
                return new FateGate(gate, i, steps[i].Name);
            }
        }

        return null;
    }

    /// <summary>
    /// The decision the sign-offs make under <paramref name="policy"/>: rejected by any rejection; released at the first
    /// moment the approvals that counted then reached the policy's number (they are not counted again later, as the
    /// campaign's release is not).
    /// </summary>
    public static (FateDecision Decision, DateTimeOffset? At) DecisionOf(IReadOnlyList<SignOff> signOffs, string requestedBy, ApprovalPolicy policy)
    {
        if (signOffs.FirstOrDefault(s => s.Decision == ApprovalDecision.Rejected) is { } rejected)
        {
            return (FateDecision.Rejected, rejected.DecidedAt);
        }

        var ordered = signOffs.OrderBy(s => s.DecidedAt).ToList();
        for (var i = 0; i < ordered.Count; i++)
        {
            var at = ordered[i].DecidedAt;
            if (SignOffs.Valid(ordered.Take(i + 1), requestedBy, at).Count >= policy.RequiredApprovals)
            {
                return (FateDecision.Released, at);
            }
        }

        return (FateDecision.Waiting, null);
    }
}
