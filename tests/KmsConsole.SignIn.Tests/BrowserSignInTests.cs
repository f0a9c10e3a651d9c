using KmsConsole.Testing;
using Microsoft.Playwright;

namespace KmsConsole.SignIn.Tests;

/// <summary>
/// Sign-in through the OpenID Connect provider in Chromium, as people do it: the console sends the browser to the
/// provider, the provider's answer comes back by form post, and the console shows the person with their roles —
/// or, for someone with no console role, only the page saying so. Sign-out ends the provider session too.
/// </summary>
[Collection(OpenIdConnectConsoleCollection.Name)]
public sealed class BrowserSignInTests(OpenIdConnectConsole world)
{
    [SkippableFact]
    public async Task A_person_signs_in_through_the_provider_sees_their_roles_and_signs_out_of_both()
    {
        Chromium.SkipIfMissing();
        await using var chromium = await Chromium.StartAsync();
        var alice = await chromium.NewWindowAsync(acceptSelfSignedCertificates: true);

        await alice.GotoAsync(world.Provider.LoginAddress(OpenIdConnectConsole.Alice.Subject).ToString());
        await alice.GotoAsync(world.At("runs").ToString());
        await alice.WaitForURLAsync(world.At("runs").ToString());
        await Assertions.Expect(alice.GetByRole(AriaRole.Heading, new() { Name = "Runs", Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(alice.GetByRole(AriaRole.Banner)).ToContainTextAsync("Alice Example");
        await Assertions.Expect(alice.GetByRole(AriaRole.Banner)).ToContainTextAsync("Requester, Approver");
        await alice.ScreenshotAsync(new() { Path = Path.Combine(Repository.ScreenshotDirectory(), "15-signed-in-through-provider.png"), FullPage = true });

        var endSessions = world.Provider.EndSessionRequests;
        await alice.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await alice.WaitForURLAsync(world.At("signed-out").ToString());
        await Assertions.Expect(alice.GetByText("You have signed out of KmsConsole")).ToBeVisibleAsync();
        Assert.Equal(endSessions + 1, world.Provider.EndSessionRequests);
    }

    [SkippableFact]
    public async Task Someone_without_a_console_role_sees_only_the_page_saying_so()
    {
        Chromium.SkipIfMissing();
        await using var chromium = await Chromium.StartAsync();
        var nora = await chromium.NewWindowAsync(acceptSelfSignedCertificates: true);

        await nora.GotoAsync(world.Provider.LoginAddress(OpenIdConnectConsole.Nora.Subject).ToString());
        await nora.GotoAsync(world.At("keys").ToString());
        await Assertions.Expect(nora.GetByRole(AriaRole.Heading, new() { Name = "You have no role in KmsConsole" })).ToBeVisibleAsync();
        await Assertions.Expect(nora.GetByTestId("no-role")).ToContainTextAsync("Nora Example");
        await Assertions.Expect(nora.GetByTestId("keys-table")).ToHaveCountAsync(0);
        await nora.ScreenshotAsync(new() { Path = Path.Combine(Repository.ScreenshotDirectory(), "16-no-console-role.png"), FullPage = true });
        await Assertions.Expect(nora.GetByTestId("signed-in-user")).ToContainTextAsync("(no role)");
        await Assertions.Expect(nora.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link)).ToHaveCountAsync(0);

        var audit = await nora.APIRequest.GetAsync(world.At("audit/export.csv").ToString());
        Assert.Equal(403, audit.Status);
    }
}
