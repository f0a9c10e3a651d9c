using Bunit;
using KmsConsole.Web.Components.Layout;
using Microsoft.AspNetCore.Components;

namespace KmsConsole.Web.Tests.Components.Layout;

/// <summary>The layout over the real services: its menu counts what waits for an approver.</summary>
public sealed class LayoutTests : PageTest
{
    protected override bool RunOrchestrator => false;

    private IRenderedComponent<MainLayout> RenderLayout()
    {
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        return Render<MainLayout>(p => p.Add(x => x.Body, (RenderFragment)(b => b.AddContent(0, "page content"))));
    }

    [Theory]
    [InlineData("rita", new[] { "Dashboard", "Keys", "Runs", "Notifications" }, new[] { "Approvals", "Audit", "Notification channels" })]
    [InlineData("alice", new[] { "Dashboard", "Keys", "Runs", "Approvals" }, new[] { "Audit", "Notification channels" })]
    [InlineData("audrey", new[] { "Dashboard", "Keys", "Runs", "Audit" }, new[] { "Approvals", "Notification channels" })]
    [InlineData("victor", new[] { "Dashboard", "Keys", "Runs" }, new[] { "Approvals", "Permissions", "Audit", "Notification channels" })]
    [InlineData("adam", new[] { "Dashboard", "Keys", "Runs", "Approvals", "Audit", "Notification channels" }, new string[0])]
    public void Navigation_shows_each_role_only_its_pages(string userId, string[] shown, string[] hidden)
    {
        SignInAs(userId);
        var nav = Render<NavMenu>();
        var links = nav.FindAll("a").Select(a => a.TextContent.Trim()).ToList();

        Assert.All(shown, s => Assert.Contains(s, links));
        Assert.All(hidden, h => Assert.DoesNotContain(h, links));
    }

    [Fact]
    public void Theme_button_switches_between_light_and_dark_and_says_what_it_does()
    {
        SignInAs("rita");
        var layout = RenderLayout();

        var toggle = layout.Find("button[aria-label='Switch to dark theme']");
        toggle.Click();

        layout.WaitForAssertion(() => layout.Find("button[aria-label='Switch to light theme']"));
    }

    [Fact]
    public void Layout_names_the_signed_in_user_and_offers_sign_out()
    {
        SignInAs("alice");
        var layout = RenderLayout();

        Assert.Contains("Alice Approver", layout.Find("[data-testid='signed-in-user']").TextContent);
        Assert.Contains("Approver", layout.Find("[data-testid='signed-in-user']").TextContent);
        var signOut = layout.FindAll("form").Single(f => f.GetAttribute("action") == "/account/signout");
        Assert.Equal("post", signOut.GetAttribute("method"));
        Assert.Contains("Sign out", signOut.TextContent);
    }

    [Fact]
    public void Icon_buttons_carry_accessible_names()
    {
        SignInAs("rita");
        var layout = RenderLayout();

        Assert.All(layout.FindAll("button.mud-icon-button"), b => Assert.False(string.IsNullOrWhiteSpace(b.GetAttribute("aria-label"))));
        Assert.NotNull(layout.Find("a.kc-skip-link[href$='#main']"));
        Assert.Contains("User menu, signed in as Rita Requester", layout.Find("[data-testid='user-menu'] button, button[data-testid='user-menu']").GetAttribute("aria-label"));
    }
}
