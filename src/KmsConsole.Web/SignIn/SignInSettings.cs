namespace KmsConsole.Web.SignIn;

/// <summary>How people sign in to the console.</summary>
public enum SignInProvider
{
    /// <summary>Demo users and a cookie, on loopback only.</summary>
    Local,

    /// <summary>Microsoft Entra ID through Microsoft.Identity.Web (an <c>AzureAd</c> section).</summary>
    EntraId,

    /// <summary>Any OpenID Connect provider (an <c>OpenIdConnect</c> section).</summary>
    OpenIdConnect,
}

/// <summary>The sign-in the console was started with, as the pages need to know it.</summary>
public sealed record SignInSettings(SignInProvider Provider, ConsoleRoleMapping RoleMapping, string Description)
{
    public const string EntraIdSection = "AzureAd";
    public const string OpenIdConnectSection = "OpenIdConnect";

    public static SignInSettings Local { get; } = new(SignInProvider.Local, ConsoleRoleMapping.Default, "local demo users, loopback only");

    public bool IsExternal => Provider != SignInProvider.Local;

    /// <summary>Where sign-in and sign-out send the browser outside the console (the provider's address); none for local sign-in.</summary>
    public IReadOnlyList<Uri> IdentityProviders { get; init; } = [];

    /// <summary>The provider the configuration asks for; both external sections at once is refused.</summary>
    public static SignInProvider ProviderIn(IConfiguration configuration)
    {
        var entraId = configuration.GetSection(EntraIdSection).GetChildren().Any();
        var openIdConnect = configuration.GetSection(OpenIdConnectSection).GetChildren().Any();
        return (entraId, openIdConnect) switch
        {
            (true, true) => throw new InvalidOperationException(
                $"Both an {EntraIdSection} and an {OpenIdConnectSection} section are configured. The console signs people in " +
                "through one identity provider: remove one of the two sections."),
            (true, false) => SignInProvider.EntraId,
            (false, true) => SignInProvider.OpenIdConnect,
            _ => SignInProvider.Local,
        };
    }
}

/// <summary>Checks of the external sign-in settings, each failure naming the setting to fix.</summary>
internal static class SignInSetting
{
    public static string Required(IConfigurationSection section, string key, string why)
    {
        var value = section[key];
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidOperationException($"{section.Path}:{key} is missing: {why}");
        }

        return value.Trim();
    }

    public static string? Optional(IConfigurationSection section, string key) =>
        string.IsNullOrWhiteSpace(section[key]) ? null : section[key]!.Trim();

    /// <summary>An absolute https address; plain http only on loopback, where a test or a local provider runs.</summary>
    public static Uri HttpsOrLoopback(IConfigurationSection section, string key, string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new InvalidOperationException($"{section.Path}:{key} is '{value}', which is not an absolute https:// address.");
        }

        if (uri.Scheme == Uri.UriSchemeHttp && !LocalSignIn.IsLoopback(value))
        {
            throw new InvalidOperationException(
                $"{section.Path}:{key} is '{value}': the identity provider must be reached over https:// (plain http is only accepted on loopback).");
        }

        return uri;
    }

    public static string Path(IConfigurationSection section, string key, string fallback)
    {
        var value = Optional(section, key) ?? fallback;
        if (!value.StartsWith('/'))
        {
            throw new InvalidOperationException($"{section.Path}:{key} is '{value}'; it must be a path on the console that starts with '/', such as {fallback}.");
        }

        return value;
    }

    /// <summary>Scopes as a space- or comma-separated string, or as a list.</summary>
    public static IReadOnlyList<string> List(IConfigurationSection section, string key)
    {
        var child = section.GetSection(key);
        var values = child.Value is { } single
            ? single.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : child.GetChildren().Select(c => c.Value?.Trim()).OfType<string>().Where(v => v.Length > 0);
        return values.Distinct(StringComparer.Ordinal).ToList();
    }

    public static bool Flag(IConfigurationSection section, string key, bool fallback)
    {
        var value = Optional(section, key);
        if (value is null)
        {
            return fallback;
        }

        return bool.TryParse(value, out var flag)
            ? flag
            : throw new InvalidOperationException($"{section.Path}:{key} is '{value}'; it must be true or false.");
    }
}
