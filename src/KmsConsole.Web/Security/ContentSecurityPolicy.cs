using System.Security.Cryptography;

namespace KmsConsole.Web.Security;

/// <summary>
/// The console's Content-Security-Policy. Scripts come only from the console itself or carry the nonce of the
/// response (the one inline script is Blazor's import map); styles allow 'unsafe-inline' because MudBlazor writes
/// its theme as a &lt;style&gt; element and positions popovers with style attributes. The circuit's WebSocket is
/// same-origin ('self' covers ws:/wss: of the console's own host). Forms post to the console, and the sign-out
/// redirect may continue to the identity provider.
/// </summary>
public sealed class ContentSecurityPolicy
{
    private const string NonceKey = "KmsConsole.CspNonce";
    private readonly string _formAction;

    /// <param name="identityProviders">Where sign-in and sign-out may send the browser besides the console: the provider's origin.</param>
    public ContentSecurityPolicy(IEnumerable<Uri> identityProviders)
    {
        var origins = identityProviders.Select(u => u.GetLeftPart(UriPartial.Authority)).Distinct(StringComparer.OrdinalIgnoreCase);
        _formAction = string.Join(' ', new[] { "'self'" }.Concat(origins));
    }

    /// <summary>The header value for a response whose inline scripts carry <paramref name="nonce"/>.</summary>
    public string HeaderValue(string nonce) => string.Join("; ",
        "default-src 'self'",
        $"script-src 'self' 'nonce-{nonce}'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
        $"form-action {_formAction}");

    /// <summary>This response's nonce, made on first use: 128 random bits, as the CSP specification asks.</summary>
    public static string NonceOf(HttpContext context)
    {
        if (context.Items[NonceKey] is string nonce)
        {
            return nonce;
        }

        nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        context.Items[NonceKey] = nonce;
        return nonce;
    }
}
