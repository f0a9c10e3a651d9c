using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;

namespace KmsConsole.LocalKms.Hosting;

/// <summary>Marks the endpoint that speaks the KMS protocol.</summary>
public sealed class KmsProtocolEndpointMetadata
{
    public static readonly KmsProtocolEndpointMetadata Instance = new();
}

/// <summary>
/// Lets the KMS endpoint share its route (POST /) with the host app's own endpoints, such as a Blazor page at "/":
/// a request carrying X-Amz-Target goes to the KMS endpoint, any other request to the host's endpoints.
/// When the KMS endpoint is the only candidate it keeps the request (and answers UnknownOperationException).
/// </summary>
public sealed class AwsTargetMatcherPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    public override int Order => 0;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) =>
        endpoints.Any(endpoint => endpoint.Metadata.GetMetadata<KmsProtocolEndpointMetadata>() is not null);

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        var hasTarget = httpContext.Request.Headers.ContainsKey("X-Amz-Target");
        bool IsKms(int i) => candidates[i].Endpoint.Metadata.GetMetadata<KmsProtocolEndpointMetadata>() is not null;
        var kmsValid = false;
        var otherValid = false;
        for (var i = 0; i < candidates.Count; i++)
        {
            if (candidates.IsValidCandidate(i))
            {
                kmsValid |= IsKms(i);
                otherValid |= !IsKms(i);
            }
        }

        if (!kmsValid || !otherValid)
        {
            return Task.CompletedTask;
        }

        for (var i = 0; i < candidates.Count; i++)
        {
            if (candidates.IsValidCandidate(i) && IsKms(i) != hasTarget)
            {
                candidates.SetValidity(i, false);
            }
        }

        return Task.CompletedTask;
    }
}
