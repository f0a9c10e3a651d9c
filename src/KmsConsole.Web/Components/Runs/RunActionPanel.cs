using KmsConsole.Rotation;

namespace KmsConsole.Web.Components.Runs;

/// <summary>
/// What the run page offers this person on this run, asked of the Rotation services' own rules (which the services
/// enforce again when a button is used); the page restates none of them. Also the words the action panel uses.
/// </summary>
public sealed class RunActionPanel
{
    private RunActionPanel(bool canDecide, bool canCancel, bool canResume, bool canRollBack, bool isRequester)
    {
        CanDecide = canDecide;
        CanCancel = canCancel;
        CanResume = canResume;
        CanRollBack = canRollBack;
        IsRequester = isRequester;
    }

    public static RunActionPanel None { get; } = new(false, false, false, false, false);

    public static RunActionPanel For(RotationRequests requests, Actor actor, Run run) => new(
        requests.MayDecide(actor, run),
        requests.MayCancel(actor, run),
        requests.MayResume(actor, run),
        requests.MayRollBack(actor, run),
        run.IsRequestedBy(actor));

    /// <summary>An approver who did not request the run may decide it at its gate.</summary>
    public bool CanDecide { get; }

    /// <summary>Its requester or an approver may cancel it until it passes its last gate.</summary>
    public bool CanCancel { get; }

    /// <summary>A run that failed at a step can be resumed.</summary>
    public bool CanResume { get; }

    /// <summary>A finished alias swap whose alias moved can be rolled back.</summary>
    public bool CanRollBack { get; }

    public bool IsRequester { get; }

    public bool HasActions => CanCancel || CanResume || CanRollBack;

    /// <summary>Roll back is the only thing offered (a succeeded or rejected swap): its panel comes after the run's facts.</summary>
    public bool OnlyRollBack => CanRollBack && !CanCancel && !CanResume;

    public string Title => CanCancel ? "Cancel" : CanResume && CanRollBack ? "Resume or roll back" : CanResume ? "Resume" : "Roll back";

    public string ReasonLabel => CanCancel ? "Reason for cancelling"
        : CanResume && CanRollBack ? "Reason for resuming or rolling back"
        : CanResume ? "Reason for resuming (what changed since it failed)" : "Justification for rolling back";

    /// <summary>What a roll back does to this run's alias and keys, in words.</summary>
    public static string RollBackExplanation(Run run) =>
        $"Roll back requests a new run that points {run.AliasName ?? "the alias"} back at the key it started from ({run.KeyId}) once that key is checked usable"
        + (run.NewKeyId is { } created ? $"; the key this run created ({created}) is left as it is" : "")
        + ". The roll back waits for an approval of its own, like any run.";
}
