using System.Security.Claims;

namespace KmsConsole.Web.SignIn;

/// <summary>
/// The console's own identity for someone an external provider signed in: a stable user id (what
/// approvals and the audit trail record, and what separation of duties compares), a display name and the
/// console roles the provider's role claims map to. Only these go into the console's cookie.
/// </summary>
public static class ExternalIdentity
{
    public const string AuthenticationType = "KmsConsole.External";

    /// <summary>
    /// Entra ID: the object id with the tenant id, which stay the same when a user is renamed, falling
    /// back to subject and issuer for a token without them. App roles arrive in the <c>roles</c> claim.
    /// </summary>
    public static ClaimsPrincipal ForEntraId(ClaimsPrincipal token, ConsoleRoleMapping mapping)
    {
        var objectId = First(token, "oid", "http://schemas.microsoft.com/identity/claims/objectidentifier");
        var tenantId = First(token, "tid", "http://schemas.microsoft.com/identity/claims/tenantid");
        var userId = objectId is not null && tenantId is not null ? $"{objectId}@{tenantId}" : SubjectAtIssuer(token);
        return Build(token, userId, RoleValues(token, "roles"), mapping);
    }

    /// <summary>Any OpenID Connect provider: the subject is only unique within its issuer, so both make the id.</summary>
    public static ClaimsPrincipal ForOpenIdConnect(ClaimsPrincipal token, string roleClaim, ConsoleRoleMapping mapping) =>
        Build(token, SubjectAtIssuer(token), RoleValues(token, roleClaim), mapping);

    private static ClaimsPrincipal Build(ClaimsPrincipal token, string userId, IEnumerable<string> roleValues, ConsoleRoleMapping mapping)
    {
        var displayName = First(token, "name", ClaimTypes.Name) ?? First(token, "preferred_username", "email", ClaimTypes.Email) ?? userId;
        var identity = new ClaimsIdentity(AuthenticationType, ClaimTypes.Name, ClaimTypes.Role);
        identity.AddClaim(new Claim(ClaimTypes.NameIdentifier, userId));
        identity.AddClaim(new Claim(ClaimTypes.Name, displayName));
        if (First(token, "preferred_username") is { } account)
        {
            identity.AddClaim(new Claim("preferred_username", account));
        }

        foreach (var role in mapping.RolesFor(roleValues))
        {
            identity.AddClaim(new Claim(ClaimTypes.Role, role));
        }

        return new ClaimsPrincipal(identity);
    }

    private static string SubjectAtIssuer(ClaimsPrincipal token)
    {
        var subject = token.FindFirst("sub") ?? token.FindFirst(ClaimTypes.NameIdentifier)
            ?? throw new InvalidOperationException("The identity provider's token has no 'sub' claim, so the console cannot tell who signed in.");
        var issuer = First(token, "iss") ?? subject.Issuer;
        return $"{subject.Value}@{issuer}";
    }

    private static IEnumerable<string> RoleValues(ClaimsPrincipal token, string roleClaim) =>
        token.FindAll(roleClaim).Select(c => c.Value);

    private static string? First(ClaimsPrincipal token, params string[] types) =>
        types.Select(t => token.FindFirst(t)?.Value).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
}
