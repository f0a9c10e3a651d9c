namespace KmsConsole.SignIn.Tests;

/// <summary>Wrong or missing sign-in settings stop the console at startup with a message naming the setting.</summary>
public sealed class SignInSettingsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("kmsconsole-signin-settings-").FullName;

    private static readonly Dictionary<string, string?> GoodOpenIdConnect = new()
    {
        ["OpenIdConnect:Authority"] = "https://login.example.com/realms/ops",
        ["OpenIdConnect:ClientId"] = "kmsconsole",
        ["OpenIdConnect:ClientSecret"] = "s3cret",
    };

    private static readonly Dictionary<string, string?> GoodEntraId = new()
    {
        ["AzureAd:TenantId"] = "7d3c6a1e-2b4f-4c55-9a0e-3f1d2c4b5a69",
        ["AzureAd:ClientId"] = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
        ["AzureAd:ClientSecret"] = "s3cret",
    };

    [Fact]
    public async Task Good_settings_of_either_provider_build_a_console()
    {
        await ConsoleServer.Configure(GoodOpenIdConnect, _folder).Build().DisposeAsync();
        await ConsoleServer.Configure(GoodEntraId, _folder).Build().DisposeAsync();
    }

    [Fact]
    public void Both_providers_at_once_is_refused()
    {
        var refused = Refused(GoodOpenIdConnect.Concat(GoodEntraId));
        Assert.Contains("Both an AzureAd and an OpenIdConnect section are configured", refused);
    }

    [Theory]
    [InlineData("OpenIdConnect:ClientId", null, "OpenIdConnect:ClientId is missing")]
    [InlineData("OpenIdConnect:Authority", null, "OpenIdConnect:Authority is missing")]
    [InlineData("OpenIdConnect:Authority", "http://login.example.com/realms/ops", "OpenIdConnect:Authority is 'http://login.example.com/realms/ops': the identity provider must be reached over https://")]
    [InlineData("OpenIdConnect:Authority", "login.example.com", "OpenIdConnect:Authority is 'login.example.com', which is not an absolute https:// address")]
    [InlineData("OpenIdConnect:CallbackPath", "signin-oidc", "OpenIdConnect:CallbackPath is 'signin-oidc'; it must be a path")]
    [InlineData("OpenIdConnect:RoleMapping:ops-team", "Operator", "OpenIdConnect:RoleMapping:ops-team is 'Operator', which is not a console role")]
    [InlineData("OpenIdConnect:GetClaimsFromUserInfoEndpoint", "yes", "OpenIdConnect:GetClaimsFromUserInfoEndpoint is 'yes'; it must be true or false")]
    public void A_wrong_OpenIdConnect_setting_is_named(string key, string? value, string message)
    {
        var settings = new Dictionary<string, string?>(GoodOpenIdConnect) { [key] = value };
        Assert.Contains(message, Refused(settings));
    }

    [Theory]
    [InlineData("AzureAd:ClientId", null, "AzureAd:ClientId is missing")]
    [InlineData("AzureAd:TenantId", "", "AzureAd:TenantId is missing")]
    [InlineData("AzureAd:ClientSecret", null, "AzureAd:ClientSecret is missing")]
    [InlineData("AzureAd:Instance", "http://login.microsoftonline.com/", "AzureAd:Instance is 'http://login.microsoftonline.com/': the identity provider must be reached over https://")]
    public void A_wrong_AzureAd_setting_is_named(string key, string? value, string message)
    {
        var settings = new Dictionary<string, string?>(GoodEntraId) { [key] = value };
        Assert.Contains(message, Refused(settings));
    }

    [Fact]
    public void A_secret_in_the_settings_is_never_part_of_a_startup_error()
    {
        var settings = new Dictionary<string, string?>(GoodOpenIdConnect) { ["OpenIdConnect:ClientId"] = null };
        Assert.DoesNotContain("s3cret", Refused(settings));
    }

    [Fact]
    public void Local_sign_in_is_refused_on_an_address_other_machines_reach()
    {
        var refused = Refused(new Dictionary<string, string?> { ["urls"] = "http://0.0.0.0:5080" });
        Assert.Contains("Local sign-in is only allowed when the console listens on loopback", refused);
        Assert.Contains("http://0.0.0.0:5080", refused);
    }

    [Fact]
    public async Task With_a_provider_configured_the_console_may_listen_on_every_address()
    {
        var settings = new Dictionary<string, string?>(GoodOpenIdConnect) { ["urls"] = "http://0.0.0.0:5080" };
        await ConsoleServer.Configure(settings, _folder).Build().DisposeAsync();
    }

    private string Refused(IEnumerable<KeyValuePair<string, string?>> settings) =>
        Assert.Throws<InvalidOperationException>(() => ConsoleServer.Configure(new Dictionary<string, string?>(settings), _folder)).Message;

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
