using Bunit;
using KmsConsole.Web.Components.Layout;
using KmsConsole.Web.Components.Pages;
using KmsConsole.Web.SignIn;
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
