using System.Security.Claims;
using System.Text.Encodings.Web;
using KmsConsole.Rotation.Automation;
using KmsConsole.Web.Api;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace KmsConsole.Web.Tokens;

/// <summary>
/// Authenticates <c>Authorization: Bearer kmsc_pat_…</c> with a personal access token. The principal is the token's
/// owner with their roles of this moment (narrowed by the token); a revoked, expired or unknown token, or one whose
/// owner the console no longer knows, is refused with 401 as problem details, never a redirect.
/// </summary>
public sealed class AccessTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    PersonalAccessTokens tokens, TokenOwners owners)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "AccessToken";
    public const string TokenIdClaim = "kmsconsole/token_id";

    private const string FailureItem = "kmsconsole.token-failure";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (BearerOf(Request) is not { } presented || !TokenSecret.LooksLikeOne(presented))
        {
            return AuthenticateResult.NoResult();
        }

        var address = Context.Connection.RemoteIpAddress?.ToString();
        var check = await tokens.AuthenticateAsync(presented, address, Context.RequestAborted);
        if (check.Refusal is { } refusal)
        {
            // The token's id, never its secret.
            Logger.LogInformation("Access token refused ({Refusal}){Token}.", refusal, check.Token is { } t ? $": {t.Id} of {t.UserId}" : "");
            return Fail(refusal switch
            {
                TokenRefusal.Revoked => "The access token was revoked.",
                TokenRefusal.Expired => "The access token has expired.",
                _ => "The access token is not known to this console.",
            });
        }

        var token = check.Token!;
        var owner = await owners.CurrentAsync(token.UserId, Context.RequestAborted);
        if (owner is null)
        {
            return Fail($"The access token's owner {token.UserId} is no longer known to this console.");
        }

        var identity = new ClaimsIdentity(SchemeName, ClaimTypes.Name, ClaimTypes.Role);
        identity.AddClaim(new Claim(ClaimTypes.NameIdentifier, owner.UserId));
        identity.AddClaim(new Claim(ClaimTypes.Name, owner.DisplayName));
        identity.AddClaim(new Claim(TokenIdClaim, token.Id.ToString()));
        foreach (var role in TokenOwners.EffectiveRoles(owner, token.RoleList))
        {
            identity.AddClaim(new Claim(ClaimTypes.Role, role));
        }

        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    private AuthenticateResult Fail(string reason)
    {
        Context.Items[FailureItem] = reason;
        return AuthenticateResult.Fail(reason);
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var reason = Context.Items[FailureItem] as string;
        Response.Headers.WWWAuthenticate = reason is null ? "Bearer" : "Bearer error=\"invalid_token\"";
        return ApiProblems.WriteAsync(Context, StatusCodes.Status401Unauthorized,
            reason ?? "Send a personal access token or an identity provider's bearer token: Authorization: Bearer <token>.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ApiProblems.WriteAsync(Context, StatusCodes.Status403Forbidden, "Your roles do not allow this.");

    internal static string? BearerOf(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
    }
}
