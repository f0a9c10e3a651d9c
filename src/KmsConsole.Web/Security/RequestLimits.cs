using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.SignalR;

namespace KmsConsole.Web.Security;

/// <summary>
/// How much a request may carry, set on purpose rather than left at the framework's defaults (30 MB bodies).
/// The console takes small inputs only: sign-in forms of a few hundred bytes, API bodies of a few kilobytes and,
/// on the circuit, form fields of at most 4,000 characters.
/// </summary>
public static class RequestLimits
{
    /// <summary>Any request body (the API's JSON included) unless an endpoint sets less.</summary>
    public const long MaxBodyBytes = 1024 * 1024;

    /// <summary>The sign-in and sign-out forms: a user id, a return address and the anti-forgery token.</summary>
    public const long MaxFormBytes = 16 * 1024;

    /// <summary>
    /// One message from the browser on the Blazor circuit. A 4,000-character field sends its whole value in one
    /// change event: at most 12 KB of UTF-8 (3 bytes for each character of the Basic Multilingual Plane, 4 for a
    /// pair of surrogates), so 32 KB leaves room for the event's envelope and for two such fields, while a pasted
    /// document of 100,000 characters is refused (the field's own maximum length stops it before it is sent).
    /// </summary>
    public const long MaxCircuitMessageBytes = 32 * 1024;

    public static IWebHostBuilder UseRequestLimits(this IWebHostBuilder webHost) => webHost.ConfigureKestrel(kestrel =>
    {
        kestrel.AddServerHeader = false;
        kestrel.Limits.MaxRequestBodySize = MaxBodyBytes;
    });

    public static void ForCircuit(HubOptions hub) => hub.MaximumReceiveMessageSize = MaxCircuitMessageBytes;

    /// <summary>Endpoint metadata the routing middleware applies to the request's body size.</summary>
    public sealed class BodyLimit(long bytes) : IRequestSizeLimitMetadata
    {
        public long? MaxRequestBodySize => bytes;
    }
}
