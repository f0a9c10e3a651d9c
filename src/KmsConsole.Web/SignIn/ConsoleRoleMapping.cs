namespace KmsConsole.Web.SignIn;

/// <summary>
/// Turns the role values an identity provider sends (Entra ID app roles, an OpenID Connect roles claim)
/// into the console's roles. Configured as <c>RoleMapping</c> under the provider's section, one
/// <c>"claim value": "console role"</c> pair a line; without it each console role is accepted under its own
/// name and prefixed with <c>KmsConsole.</c> (the app role values suggested for the Entra registration).
/// </summary>
public sealed class ConsoleRoleMapping
{
    public const string SectionName = "RoleMapping";

    /// <summary>Console roles in the order they are listed to people.</summary>
    public static IReadOnlyList<string> ConsoleRoles { get; } = [Roles.Viewer, Roles.Requester, Roles.Approver, Roles.Auditor, Roles.Admin];

    private readonly Dictionary<string, string> _roleByClaimValue;

    private ConsoleRoleMapping(Dictionary<string, string> roleByClaimValue) => _roleByClaimValue = roleByClaimValue;

    public static ConsoleRoleMapping Default { get; } = new(
        ConsoleRoles.SelectMany(r => new[] { (Value: r, Role: r), (Value: $"KmsConsole.{r}", Role: r) })
            .ToDictionary(p => p.Value, p => p.Role, StringComparer.OrdinalIgnoreCase));

    /// <summary>Reads <c>{section}:RoleMapping</c>; refuses a value that is not a console role, naming the setting.</summary>
    public static ConsoleRoleMapping From(IConfigurationSection providerSection)
    {
        var entries = providerSection.GetSection(SectionName).GetChildren().ToList();
        if (entries.Count == 0)
        {
            return Default;
        }

        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in entries)
        {
            var role = ConsoleRoles.FirstOrDefault(r => string.Equals(r, entry.Value?.Trim(), StringComparison.OrdinalIgnoreCase))
                ?? throw new InvalidOperationException(
                    $"{entry.Path} is '{entry.Value}', which is not a console role. Map each claim value to one of: {string.Join(", ", ConsoleRoles)}.");
            map[entry.Key] = role;
        }

        return new ConsoleRoleMapping(map);
    }

    /// <summary>The claim values that grant <paramref name="role"/>, for telling people what to ask for.</summary>
    public IReadOnlyList<string> ClaimValuesFor(string role) =>
        _roleByClaimValue.Where(p => p.Value == role).Select(p => p.Key)
            .OrderByDescending(v => v.Length).ThenBy(v => v, StringComparer.Ordinal).ToList();

    /// <summary>
    /// The console roles the claim values grant. Every role implies Viewer, as with local sign-in;
    /// values the mapping does not know grant nothing.
    /// </summary>
    public IReadOnlyList<string> RolesFor(IEnumerable<string> claimValues)
    {
        var granted = claimValues
            .Select(v => _roleByClaimValue.TryGetValue(v.Trim(), out var role) ? role : null)
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);
        if (granted.Count > 0)
        {
            granted.Add(Roles.Viewer);
        }

        return ConsoleRoles.Where(granted.Contains).ToList();
    }

    /// <summary>True when the principal holds at least one console role, however it signed in.</summary>
    public static bool HasConsoleRole(System.Security.Claims.ClaimsPrincipal principal) =>
        principal.FindAll(System.Security.Claims.ClaimTypes.Role).Any(c => ConsoleRoles.Contains(c.Value, StringComparer.Ordinal));
}
