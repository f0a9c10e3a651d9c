using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;

namespace KmsConsole.Rotation.Safety;

/// <summary>The grants on a key (ListGrants, every page) and how they read.</summary>
internal static class KeyGrants
{
    public static async Task<List<GrantListEntry>> ListAsync(IAmazonKeyManagementService kms, string keyId, CancellationToken cancellationToken)
    {
        var grants = new List<GrantListEntry>();
        string? marker = null;
        do
        {
            var page = await kms.ListGrantsAsync(new ListGrantsRequest { KeyId = keyId, Marker = marker, Limit = 100 }, cancellationToken);
            grants.AddRange(page.Grants ?? []);
            marker = page.Truncated == true ? page.NextMarker : null;
        }
        while (marker is not null);

        return grants;
    }

    /// <summary>"grant 1a2b… to arn:… for Decrypt, Encrypt; retiring arn:…; encryption context must include {app=payroll}".</summary>
    public static string Describe(GrantListEntry grant)
    {
        var parts = new List<string>
        {
            $"grant {grant.GrantId}{(grant.Name is { Length: > 0 } name ? $" \"{name}\"" : "")} to {grant.GranteePrincipal} for {string.Join(", ", grant.Operations)}",
        };
        if (grant.RetiringPrincipal is { Length: > 0 } retiring)
        {
            parts.Add($"retiring {retiring}");
        }

        if (grant.Constraints?.EncryptionContextSubset is { Count: > 0 } subset)
        {
            parts.Add($"encryption context must include {Pairs(subset)}");
        }

        if (grant.Constraints?.EncryptionContextEquals is { Count: > 0 } equals)
        {
            parts.Add($"encryption context must equal {Pairs(equals)}");
        }

        return string.Join("; ", parts);
    }

    private static string Pairs(Dictionary<string, string> pairs) => "{" + string.Join(", ", pairs.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}")) + "}";

    /// <summary>
    /// The name of the copy of <paramref name="grant"/>: its own name, else one derived from its id. CreateGrant with a name
    /// and the same parameters answers the grant made before, so a copy retried after a crash is not made twice.
    /// </summary>
    public static string CopyName(GrantListEntry grant) => grant.Name is { Length: > 0 } name ? name : $"kmsconsole-copy-{grant.GrantId}";

    /// <summary>The CreateGrant that copies <paramref name="grant"/> onto <paramref name="newKeyId"/>: same grantee, operations, constraints and retiring principal.</summary>
    public static CreateGrantRequest CopyRequest(GrantListEntry grant, string newKeyId)
    {
        var request = new CreateGrantRequest
        {
            KeyId = newKeyId,
            GranteePrincipal = grant.GranteePrincipal,
            Operations = grant.Operations.ToList(),
            Name = CopyName(grant),
        };
        if (grant.RetiringPrincipal is { Length: > 0 } retiring)
        {
            request.RetiringPrincipal = retiring;
        }

        if (grant.Constraints is { } constraints && (constraints.EncryptionContextSubset is { Count: > 0 } || constraints.EncryptionContextEquals is { Count: > 0 }))
        {
            request.Constraints = new GrantConstraints
            {
                EncryptionContextSubset = constraints.EncryptionContextSubset is { Count: > 0 } subset ? new(subset) : null,
                EncryptionContextEquals = constraints.EncryptionContextEquals is { Count: > 0 } equals ? new(equals) : null,
            };
        }

        return request;
    }
}
