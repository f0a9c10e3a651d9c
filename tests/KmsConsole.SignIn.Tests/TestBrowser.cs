using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;

namespace KmsConsole.SignIn.Tests;

/// <summary>
/// A browser reduced to what sign-in needs: its own cookie jar, redirects followed one at a time so each hop can be
/// asserted, and the auto-submitting form a provider answers with in response_mode=form_post.
/// </summary>
public sealed partial class TestBrowser : IDisposable
{
    private readonly HttpClient _http;

    public TestBrowser()
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            CookieContainer = Cookies,
            // Trust exactly the console's test certificate.
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.GetCertHashString() == Loopback.Certificate.Thumbprint },
            // A request sent with Expect: 100-continue waits for the server's word before its body, however busy the machine.
            Expect100ContinueTimeout = TimeSpan.FromSeconds(30),
        };
        _http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(60) };
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
    }

    public CookieContainer Cookies { get; } = new();

    /// <summary>Every address visited, in order.</summary>
    public List<Uri> Visited { get; } = [];

    public async Task<HttpResponseMessage> GetAsync(Uri address)
    {
        Visited.Add(address);
        return await _http.GetAsync(address);
    }

    public async Task<HttpResponseMessage> PostAsync(Uri address, IEnumerable<KeyValuePair<string, string>> form)
    {
        Visited.Add(address);
        return await _http.PostAsync(address, new FormUrlEncodedContent(form));
    }

    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        Visited.Add(request.RequestUri!);
        return _http.SendAsync(request);
    }

    /// <summary>Fetches without asking for HTML, as a script or the export download would.</summary>
    public async Task<HttpResponseMessage> FetchAsync(Uri address)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, address);
        request.Headers.Accept.Clear();
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("*/*"));
        return await _http.SendAsync(request);
    }

    /// <summary>
    /// Opens <paramref name="address"/> and goes where the servers send the browser (redirects and form_post
    /// auto-submits) until a page is shown; returns that page's response.
    /// </summary>
    public async Task<HttpResponseMessage> NavigateAsync(Uri address, int maxHops = 12)
    {
        var response = await GetAsync(address);
        for (var hop = 0; hop < maxHops; hop++)
        {
            if (response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther or HttpStatusCode.RedirectMethod)
            {
                var next = new Uri(response.RequestMessage!.RequestUri!, response.Headers.Location!);
                response.Dispose();
                response = await GetAsync(next);
                continue;
            }

            if (response.StatusCode == HttpStatusCode.OK && await AutoPostFormAsync(response) is { } form)
            {
                response.Dispose();
                response = await PostAsync(form.Action, form.Fields);
                continue;
            }

            return response;
        }

        throw new InvalidOperationException($"More than {maxHops} hops: {string.Join(" -> ", Visited)}");
    }

    private static async Task<(Uri Action, List<KeyValuePair<string, string>> Fields)?> AutoPostFormAsync(HttpResponseMessage response)
    {
        var html = await response.Content.ReadAsStringAsync();
        var form = FormTag().Match(html);
        if (!form.Success || !html.Contains("submit()", StringComparison.Ordinal))
        {
            return null;
        }

        var fields = HiddenInput().Matches(html)
            .Select(m => KeyValuePair.Create(WebUtility.HtmlDecode(m.Groups["name"].Value), WebUtility.HtmlDecode(m.Groups["value"].Value)))
            .ToList();
        return (new Uri(WebUtility.HtmlDecode(form.Groups["action"].Value)), fields);
    }

    [GeneratedRegex(@"<form[^>]*method=""post""[^>]*action=""(?<action>[^""]+)""", RegexOptions.IgnoreCase)]
    private static partial Regex FormTag();

    [GeneratedRegex(@"<input[^>]*type=""hidden""[^>]*name=""(?<name>[^""]+)""[^>]*value=""(?<value>[^""]*)""", RegexOptions.IgnoreCase)]
    private static partial Regex HiddenInput();

    public void Dispose() => _http.Dispose();
}
