using System.Security.Claims;
using KmsConsole.Rotation;
using KmsConsole.Web.SignIn;

namespace KmsConsole.SignIn.Tests;

/// <summary>The test provider and a console that signs people in through it, shared by the tests of a collection.</summary>
public sealed class OpenIdConnectConsole : IAsyncLifetime
{
    public static readonly ProviderUser Alice = new("alice", "Alice Example", "KmsConsole.Requester", "KmsConsole.Approver");
    public static readonly ProviderUser Bob = new("bob", "Bob Example", "Approver");
    public static readonly ProviderUser Adam = new("adam", "Adam Example", "KmsConsole.Admin");
    public static readonly ProviderUser Audrey = new("audrey", "Audrey Example", "KmsConsole.Auditor");

    /// <summary>Signed in by the provider, with a role of some other application only.</summary>
    public static readonly ProviderUser Nora = new("nora", "Nora Example", "Payroll.Reader");

    public TestIdentityProvider Provider { get; private set; } = null!;

    public ConsoleServer Console { get; private set; } = null!;

    public CapturedLogs Logs { get; } = new();

    public async Task InitializeAsync()
    {
        Provider = await TestIdentityProvider.StartAsync();
        foreach (var user in new[] { Alice, Bob, Adam, Audrey, Nora })
        {
            Provider.AddUser(user);
        }

        Console = await ConsoleServer.StartAsync(new Dictionary<string, string?>
        {
            ["OpenIdConnect:Authority"] = Provider.Issuer.ToString(),
            ["OpenIdConnect:ClientId"] = TestIdentityProvider.ClientId,
            ["OpenIdConnect:ClientSecret"] = TestIdentityProvider.ClientSecret,
            ["OpenIdConnect:Scopes"] = "email",
        }, Logs);
        await Provider.RegisterConsoleAsync(Console.Address);
    }

    public Uri At(string path) => new(Console.Address, path);

    /// <summary>A browser that has signed in to the console through the provider as <paramref name="user"/>.</summary>
    public async Task<TestBrowser> SignedInAsync(ProviderUser user, string path = "")
    {
        var browser = new TestBrowser();
        using (await browser.GetAsync(Provider.LoginAddress(user.Subject)))
        {
        }

        using var page = await browser.NavigateAsync(At(path));
        return browser;
    }

    public Actor ActorOf(TestBrowser browser) => ConsoleActor.From(Console.PrincipalOf(browser));

    public ClaimsPrincipal PrincipalOf(TestBrowser browser) => Console.PrincipalOf(browser);

    public async Task DisposeAsync()
    {
        await Console.DisposeAsync();
        await Provider.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class OpenIdConnectConsoleCollection : ICollectionFixture<OpenIdConnectConsole>
{
    public const string Name = "Console signing in through an OpenID Connect provider";
}
