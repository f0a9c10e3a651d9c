using System.Security.Claims;
using KmsConsole.Rotation;

namespace KmsConsole.Web.SignIn;

/// <summary>
/// The signed-in person as the Rotation services know them. Every action the console takes passes
/// this <see cref="Actor"/>, and the services check its roles again on the server.
/// </summary>
public static class ConsoleActor
{
    public static Actor From(ClaimsPrincipal principal)
    {
        var userId = principal.FindFirstValue(ClaimTypes.NameIdentifier)
            ?? principal.FindFirstValue("oid")
            ?? principal.Identity?.Name
            ?? throw new InvalidOperationException("The signed-in user has no identifier.");
        var displayName = principal.Identity?.Name ?? userId;
        var roles = principal.FindAll(ClaimTypes.Role).Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        return new Actor(userId, displayName, roles);
    }
}
