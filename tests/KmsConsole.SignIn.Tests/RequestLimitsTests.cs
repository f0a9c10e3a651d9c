using System.Net;
using KmsConsole.Web.Security;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KmsConsole.SignIn.Tests;

/// <summary>The request size limits are the ones the README documents, and a body beyond them is refused with a status.</summary>
public sealed class RequestLimitsTests
{
    [Fact]
    public async Task The_console_runs_with_its_documented_limits()
    {
        await using var console = await ConsoleServer.StartAsync(new Dictionary<string, string?>());

        var kestrel = console.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value;
        Assert.Equal(1024 * 1024, kestrel.Limits.MaxRequestBodySize);
        Assert.False(kestrel.AddServerHeader);

        // The Blazor circuit's hub type is internal to the framework; its options are read by name.
        var hub = typeof(CircuitOptions).Assembly.GetType("Microsoft.AspNetCore.Components.Server.ComponentHub", throwOnError: true)!;
        var options = console.Services.GetRequiredService(typeof(IOptions<>).MakeGenericType(typeof(HubOptions<>).MakeGenericType(hub)));
        var hubOptions = (HubOptions)options.GetType().GetProperty(nameof(IOptions<HubOptions>.Value))!.GetValue(options)!;
        Assert.Equal(32 * 1024, hubOptions.MaximumReceiveMessageSize);
        Assert.Equal(RequestLimits.MaxCircuitMessageBytes, hubOptions.MaximumReceiveMessageSize);
    }

    [Fact]
    public async Task A_form_beyond_the_limit_is_refused_with_413_and_a_message()
    {
        await using var console = await ConsoleServer.StartAsync(new Dictionary<string, string?>());
        using var browser = new TestBrowser();
        var token = await browser.AntiforgeryTokenAsync(console);

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(console.Address, "account/signin"))
        {
            Content = new FormUrlEncodedContent([new("__RequestVerificationToken", token), new("user", "adam"), new("padding", new string('x', 2 * 1024 * 1024))]),
        };
        // The console refuses on the declared length, before the body. Sent without asking first, the 2 MB race the
        // refusal: the console closes the connection after answering, and a client still writing sees a broken pipe.
        request.Headers.ExpectContinue = true;
        using var twoMegabytes = await browser.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, twoMegabytes.StatusCode);
        Assert.Contains("larger than the 16 KB the console accepts", await twoMegabytes.Content.ReadAsStringAsync());
        using var keys = await browser.GetAsync(new Uri(console.Address, "keys"));
        Assert.Equal(HttpStatusCode.Redirect, keys.StatusCode);
    }
}
