using System.Net;
using System.Text.RegularExpressions;

namespace KmsConsole.SignIn.Tests;

/// <summary>With no provider configured the console keeps its local sign-in, on loopback.</summary>
public sealed partial class LocalSignInTests
{
    [Fact]
    public async Task Without_a_provider_the_demo_users_sign_in_and_out_on_loopback()
    {
        await using var console = await ConsoleServer.StartAsync(new Dictionary<string, string?>());
        using var browser = new TestBrowser();

        using var anonymous = await browser.GetAsync(new Uri(console.Address, "keys"));
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.Equal("/signin", anonymous.Headers.Location!.AbsolutePath);

        using var page = await browser.GetAsync(new Uri(console.Address, "signin?returnUrl=%2Fkeys"));
        var html = await page.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var token = AntiforgeryField().Match(html).Groups["token"].Value;

        using var signIn = await browser.PostAsync(new Uri(console.Address, "account/signin"),
            [new("__RequestVerificationToken", WebUtility.HtmlDecode(token)), new("user", "adam"), new("returnUrl", "/keys")]);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal("/keys", signIn.Headers.Location!.ToString());

        using var keys = await browser.GetAsync(new Uri(console.Address, "keys"));
        Assert.Equal(HttpStatusCode.OK, keys.StatusCode);
        Assert.Contains("Adam Admin", await keys.Content.ReadAsStringAsync());

        var signOutToken = await browser.AntiforgeryTokenAsync(new Uri(console.Address, "keys"));
        using var signOut = await browser.PostAsync(new Uri(console.Address, "account/signout"), [new("__RequestVerificationToken", signOutToken)]);
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.Equal("/signin", signOut.Headers.Location!.ToString());
        using var after = await browser.GetAsync(new Uri(console.Address, "keys"));
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.Equal("/signin", after.Headers.Location!.AbsolutePath);
    }

    [GeneratedRegex(@"name=""__RequestVerificationToken""[^>]*value=""(?<token>[^""]+)""")]
    private static partial Regex AntiforgeryField();
}
