using System.Reflection;
using Bunit;
using KmsConsole.Rotation;
using KmsConsole.Web.Components.Approvals;
using KmsConsole.Web.Components.Audit;
using KmsConsole.Web.Components.Keys;
using KmsConsole.Web.Components.Layout;
using KmsConsole.Web.Components.Pages;
using KmsConsole.Web.Components.Runs;
using KmsConsole.Web.SignIn;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace KmsConsole.Web.Tests.SignIn;

public sealed class SignInTests : ConsoleTestContext
{
    [Fact]
    public void Sign_in_page_offers_every_demo_user_with_a_button_named_by_its_action()
    {
        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo(navigation.GetUriWithQueryParameter("returnUrl", "/keys"));
        var page = Render<SignInPage>();

        foreach (var user in DemoUsers.All)
        {
            var button = page.Find($"[data-testid='signin-{user.UserId}']");
            Assert.Equal($"Sign in as {user.DisplayName}", button.TextContent.Trim());
            var form = button.Closest("form")!;
            Assert.Equal(LocalSignIn.SignInEndpoint, form.GetAttribute("action"));
            Assert.Equal(user.UserId, form.QuerySelector("input[name='user']")!.GetAttribute("value"));
            Assert.Equal("/keys", form.QuerySelector("input[name='returnUrl']")!.GetAttribute("value"));
        }
    }

    [Theory]
    [InlineData(typeof(Dashboard), true)]
    [InlineData(typeof(KeyList), true)]
    [InlineData(typeof(KeyDetailPage), true)]
    [InlineData(typeof(RunList), true)]
    [InlineData(typeof(RequestRotation), false)]
    [InlineData(typeof(ApprovalsPage), false)]
    [InlineData(typeof(AuditPage), false)]
    public async Task The_demo_viewer_sees_the_dashboard_keys_and_runs_but_may_not_request_approve_or_audit(Type page, bool allowed)
    {
        var victor = DemoUsers.Find("victor");
        Assert.NotNull(victor);
        Assert.Equal(Roles.Viewer, victor.Role);
        Assert.Equal([Roles.Viewer], DemoUsers.RolesOf(victor));

        var policy = page.GetCustomAttribute<AuthorizeAttribute>()?.Policy;
        Assert.NotNull(policy);
        var decision = await Services.GetRequiredService<IAuthorizationService>().AuthorizeAsync(SignInAs("victor"), policy);
        Assert.Equal(allowed, decision.Succeeded);
    }

    [Fact]
    public void Unknown_user_is_told_so()
    {
        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo(navigation.GetUriWithQueryParameter("error", "unknown-user"));
        var page = Render<SignInPage>();
        Assert.Contains("That user does not exist", page.Markup);
    }

    [Fact]
    public void Signed_out_navigation_offers_only_sign_in()
    {
        var nav = Render<NavMenu>();
        var links = nav.FindAll("a").Select(a => a.TextContent.Trim()).ToList();
        Assert.Equal(["Sign in"], links);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5080", true)]
    [InlineData("http://localhost:5080", true)]
    [InlineData("http://[::1]:5080", true)]
    [InlineData("http://0.0.0.0:5080", false)]
    [InlineData("http://*:8080", false)]
    [InlineData("http://+:8080", false)]
    [InlineData("http://10.1.2.3:5080", false)]
    [InlineData("http://[::]:5080", false)]
    public void Local_sign_in_accepts_only_loopback_addresses(string address, bool loopback)
    {
        Assert.Equal(loopback, LocalSignIn.IsLoopback(address));
        if (loopback)
        {
            LocalSignIn.EnsureLoopback([address]);
        }
        else
        {
            var refused = Assert.Throws<InvalidOperationException>(() => LocalSignIn.EnsureLoopback([address]));
            Assert.Contains(address, refused.Message);
        }
    }
}
