using Amazon.Runtime;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Iam;

/// <summary>What the permission check of a request found: the report, or why it could not be made.</summary>
/// <param name="Report">Null when the target does not check permissions or the check failed.</param>
/// <param name="Error">For the user: why IAM could not be asked (endpoint unreachable, an IAM error); the request is refused then.</param>
public sealed record PermissionOutcome(PermissionReport? Report, string? Error)
{
    public static PermissionOutcome Off { get; } = new(null, null);

    /// <summary>The refusal to add to a plan, naming the missing actions, or null.</summary>
    public string? Refusal => Error ?? Report?.Summary;
}

/// <summary>
/// The permission preflight of a run: which principal will execute it on its target (the target's RoleArn, else
/// the caller its credentials stand for) and that principal's answer for each KMS action the workflow needs.
/// </summary>
internal sealed class RunPermissionCheck(IIamClientFactory clients, IOptions<RotationOptions> options)
{
    public async Task<PermissionOutcome> CheckAsync(string targetName, Workflows.WorkflowDefinition workflow, KmsRunResources resources, RotationParameters parameters,
        CancellationToken cancellationToken)
    {
        var target = options.Value.FindTarget(targetName);
        if (target is null || !target.CheckPermissions)
        {
            return PermissionOutcome.Off;
        }

        // A workflow that offers old-key fates needs only the chosen fate's permission.
        var required = KmsPermissionRequirements.For(workflow, resources, parameters.RotateNow,
            workflow.OldKeyFates.Count > 0 ? parameters.OldKeyFate.ToString() : null);
        var preflight = new PermissionPreflight(clients.Create(target.Name));
        try
        {
            var report = string.IsNullOrWhiteSpace(target.RoleArn)
                ? await preflight.CheckCallerAsync(required, cancellationToken)
                : await preflight.CheckAsync(target.RoleArn, required, cancellationToken);
            return new PermissionOutcome(report, null);
        }
        catch (Exception e) when (Unanswered(e, cancellationToken))
        {
            return new PermissionOutcome(null, Explain(target, e));
        }
    }

    /// <summary>Failures of IAM or STS, or of reaching them; anything else is a bug and propagates.</summary>
    internal static bool Unanswered(Exception e, CancellationToken cancellationToken) => e switch
    {
        IamServiceException or IamProtocolException or HttpRequestException or AmazonServiceException or AmazonClientException => true,
        // HttpClient's timeout arrives as a cancellation the caller did not ask for.
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        // A stored policy IAM could not evaluate, or a RoleArn that names no role.
        InvalidOperationException or ArgumentException => true,
        _ => false,
    };

    internal static string Explain(KmsTarget target, Exception e)
    {
        var what = e switch
        {
            IamServiceException iam => $"IAM answered {iam.ErrorCode}: {iam.Message}{(iam.RequestId is null ? "" : $" (request {iam.RequestId})")}",
            AmazonServiceException sts => $"STS answered {sts.ErrorCode}: {sts.Message}",
            OperationCanceledException => "IAM did not answer in time",
            HttpRequestException or AmazonClientException => $"IAM could not be reached: {e.Message}",
            _ => e.Message,
        };
        return $"The permissions of the principal that runs target '{target.Name}' could not be checked — {what}. " +
               $"Retry when IAM answers, or turn the check off for this target (Rotation:Targets:CheckPermissions = false).";
    }
}
