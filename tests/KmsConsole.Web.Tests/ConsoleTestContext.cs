using System.Security.Claims;
using Bunit;
using KmsConsole.Web.SignIn;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace KmsConsole.Web.Tests;

/// <summary>
/// A bUnit context set up as the console is: MudBlazor services, the console's real authorization
/// policies evaluated against the same claims local sign-in issues.
/// </summary>
public class ConsoleTestContext : BunitContext, IAsyncLifetime
{
    private readonly SignedInUser signedIn = new();

    public ConsoleTestContext()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices(o => o.PopoverOptions.CheckForPopoverProvider = false);
        Services.AddAuthorizationBuilder().AddConsolePolicies();
        // bUnit puts placeholders for these in place; the console's real policy evaluation replaces them.
        Services.AddSingleton<IAuthorizationService, DefaultAuthorizationService>();
        Services.AddSingleton<IAuthorizationPolicyProvider, DefaultAuthorizationPolicyProvider>();
        Services.AddSingleton<AuthenticationStateProvider>(signedIn);
        Services.AddCascadingAuthenticationState();
    }

    public virtual Task InitializeAsync() => Task.CompletedTask;

    // MudBlazor's services are only IAsyncDisposable, and xUnit 2 disposes test classes synchronously
    // unless they go through IAsyncLifetime.
    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await DisposeWorldAsync();
    }

    protected virtual Task DisposeWorldAsync() => Task.CompletedTask;

    /// <summary>Signs in as one of the demo users (rita, alice, bob, audrey, adam).</summary>
    public ClaimsPrincipal SignInAs(string userId)
    {
        var user = DemoUsers.Find(userId) ?? throw new ArgumentException($"No demo user {userId}.", nameof(userId));
        var principal = LocalSignIn.PrincipalFor(user);
        signedIn.Set(principal);
        return principal;
    }

    private sealed class SignedInUser : AuthenticationStateProvider
    {
        private ClaimsPrincipal principal = new(new ClaimsIdentity());

        public void Set(ClaimsPrincipal value)
        {
            principal = value;
            NotifyAuthenticationStateChanged(GetAuthenticationStateAsync());
        }

        public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(principal));
    }
}
