using System.Collections.Concurrent;
using System.Security.Claims;
using KmsConsole.Web.SignIn;

namespace KmsConsole.Web.Tokens;

/// <summary>
/// Records who signs in with which roles and address (<see cref="ConsoleUsers"/>), so a token's owner is checked
/// against the roles the identity provider gave them last and notifications reach them. Writes only when something
/// changed; the last state recorded per user is kept in memory so a page load does not read the database.
/// </summary>
public sealed class ConsoleUserRecorder(ConsoleUsers users)
{
    private readonly ConcurrentDictionary<string, string> _recorded = new(StringComparer.Ordinal);

    public async Task RecordAsync(ClaimsPrincipal principal, CancellationToken cancellationToken)
    {
        if (principal.Identity?.IsAuthenticated != true || principal.HasClaim(c => c.Type == AccessTokenHandler.TokenIdClaim)
            || !ConsoleRoleMapping.HasConsoleRole(principal))
        {
            return;
        }

        var actor = ConsoleActor.From(principal);
        var email = EmailOf(principal);
        var state = $"{actor.DisplayName}|{email}|{string.Join(',', actor.Roles.Order(StringComparer.Ordinal))}";
        if (_recorded.TryGetValue(actor.UserId, out var known) && known == state)
        {
            return;
        }

        await users.RecordAsync(actor, email, cancellationToken);
        _recorded[actor.UserId] = state;
    }

    private static string? EmailOf(ClaimsPrincipal principal) =>
        new[] { principal.FindFirstValue(ClaimTypes.Email), principal.FindFirstValue("email"), principal.FindFirstValue("preferred_username") }
            .FirstOrDefault(v => v is not null && v.Contains('@', StringComparison.Ordinal));
}

public static class ConsoleUserRecording
{
    /// <summary>After authentication: records the signed-in person of each cookie request.</summary>
    public static IApplicationBuilder UseConsoleUserRecording(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        await context.RequestServices.GetRequiredService<ConsoleUserRecorder>().RecordAsync(context.User, context.RequestAborted);
        await next(context);
    });
}
