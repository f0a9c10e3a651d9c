using KmsConsole.Web.SignIn;

namespace KmsConsole.Web.Tokens;

/// <summary>
/// Who a token's owner is now, asked on every call so a token stops working when its owner loses a role: a demo
/// user's roles with local sign-in, otherwise the roles the identity provider gave at the owner's latest sign-in or
/// bearer call (recorded by <see cref="ConsoleUserRecorder"/>).
/// </summary>
public sealed class TokenOwners(SignInSettings signIn, ConsoleUsers users)
{
    public async Task<Actor?> CurrentAsync(string userId, CancellationToken cancellationToken)
    {
        if (!signIn.IsExternal)
        {
            return DemoUsers.Find(userId) is { } demo
                ? new Actor(demo.UserId, demo.DisplayName, DemoUsers.RolesOf(demo).ToHashSet(StringComparer.Ordinal))
                : null;
        }

        var user = await users.FindAsync(userId, cancellationToken);
        return user is null ? null : new Actor(user.UserId, user.DisplayName, user.RoleList.ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>
    /// The roles a call made with the token holds: its owner's current roles, narrowed to the token's own list when it
    /// has one. Admin holds every role, so an Admin's token narrowed to Approver acts as an Approver only.
    /// </summary>
    public static IReadOnlyList<string> EffectiveRoles(Actor owner, IReadOnlyList<string> tokenRoles)
    {
        var held = ConsoleRoleMapping.ConsoleRoles.Where(owner.Roles.Contains).ToList();
        if (tokenRoles.Count == 0)
        {
            return held;
        }

        var narrowed = tokenRoles.Where(owner.IsIn).ToHashSet(StringComparer.Ordinal);
        if (narrowed.Count > 0)
        {
            narrowed.Add(Roles.Viewer);
        }

        return ConsoleRoleMapping.ConsoleRoles.Where(narrowed.Contains).ToList();
    }
}
