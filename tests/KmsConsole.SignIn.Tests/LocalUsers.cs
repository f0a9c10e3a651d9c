using System.Net;
using System.Text.RegularExpressions;

namespace KmsConsole.SignIn.Tests;

/// <summary>Anti-forgery tokens as a page carries them, and signing a demo user in through the sign-in page, as a browser does: the page's anti-forgery token, then the form.</summary>
internal static partial class LocalUsers
{
    public static Task<string> AntiforgeryTokenAsync(this TestBrowser browser, ConsoleServer console) =>
        browser.AntiforgeryTokenAsync(new Uri(console.Address, "signin"));

    /// <summary>The token of the first form on <paramref name="page"/> (every signed-in page has the sign-out form).</summary>
    public static async Task<string> AntiforgeryTokenAsync(this TestBrowser browser, Uri page)
    {
        using var response = await browser.GetAsync(page);
        var html = await response.Content.ReadAsStringAsync();
        return WebUtility.HtmlDecode(AntiforgeryField().Match(html).Groups["token"].Value);
    }

    public static async Task SignInAsync(this TestBrowser browser, ConsoleServer console, string user)
    {
        var token = await browser.AntiforgeryTokenAsync(console);
        using var signIn = await browser.PostAsync(new Uri(console.Address, "account/signin"),
            [new("__RequestVerificationToken", token), new("user", user), new("returnUrl", "/")]);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
    }

    [GeneratedRegex(@"name=""__RequestVerificationToken""[^>]*value=""(?<token>[^""]+)""")]
    private static partial Regex AntiforgeryField();
}
