using KmsConsole.Web.SignIn;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace KmsConsole.Web.Components.Pages;

/// <summary>
/// What a signed-in person without the role a page needs is told: which roles exist and what each may do.
/// </summary>
public partial class Denied
{
    [Inject] private IServiceProvider Services { get; set; } = default!;

    private static readonly (string Role, string What)[] RoleDescriptions =
    [
        (Roles.Viewer, "see keys, runs and the dashboard"),
        (Roles.Requester, "ask for rotations"),
        (Roles.Approver, "approve or reject other people's runs"),
        (Roles.Auditor, "read, verify and export the audit trail"),
        (Roles.Admin, "everything, and administer the console"),
    ];

    [CascadingParameter]
    private Task<AuthenticationState>? AuthenticationState { get; set; }

    private bool signedIn;
    private bool hasConsoleRole;
    private string? name;

    // Optional so the page also renders where only local sign-in is set up (component tests).
    private SignInSettings SignIn => Services.GetService<SignInSettings>() ?? SignInSettings.Local;

    protected override async Task OnInitializedAsync()
    {
        if (AuthenticationState is null)
        {
            return;
        }

        var user = (await AuthenticationState).User;
        signedIn = user.Identity?.IsAuthenticated == true;
        hasConsoleRole = ConsoleRoleMapping.HasConsoleRole(user);
        name = user.Identity?.Name;
    }
}
