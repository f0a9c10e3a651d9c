using KmsConsole.Web.SignIn;
using Microsoft.AspNetCore.Components;

namespace KmsConsole.Web.Components.Pages;

/// <summary>
/// Local sign-in (and the signed-out page with an identity provider).
/// </summary>
public partial class SignInPage
{
    [Inject] private IServiceProvider Services { get; set; } = default!;

    // Optional so the page also renders where only local sign-in is set up (component tests).
    private SignInSettings SignIn => Services.GetService<SignInSettings>() ?? SignInSettings.Local;

    [SupplyParameterFromQuery]
    public string? ReturnUrl { get; set; }

    [SupplyParameterFromQuery]
    public string? Error { get; set; }
}
