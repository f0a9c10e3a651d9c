using System.Net.Http.Json;
using System.Text.Json;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Hosting;
using KmsConsole.LocalKms.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace KmsConsole.LocalKms.Tests.Hosting;

public class HostingTests
{
    [Fact]
    public async Task AddLocalKms_and_MapLocalKms_host_the_endpoint_inside_another_app()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "localkms-tests", Guid.NewGuid().ToString("N"));
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddLocalKms(o =>
        {
            o.DataDirectory = dataDirectory;
            o.Region = "eu-west-1";
            o.AccountId = "444455556666";
        });
        await using var app = builder.Build();
        app.MapGet("/hello", () => "the host's own route");
        app.MapPost("/", () => "the host's own form post");
        app.MapLocalKms();
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        using var kms = KmsTestEndpoint.CreateClient(address, region: "eu-west-1");
        using var http = new HttpClient { BaseAddress = address };

        var first = await kms.DescribeAsync("alias/FirstCMK");

        Assert.Equal($"arn:aws:kms:eu-west-1:444455556666:key/{first.KeyId}", first.Arn);
        Assert.Equal("the host's own route", await http.GetStringAsync("/hello"));
        var formPost = await http.PostAsync("/", new StringContent("name=value"));
        Assert.Equal("the host's own form post", await formPost.Content.ReadAsStringAsync());
        await app.StopAsync();
        Directory.Delete(dataDirectory, recursive: true);
    }

    [Fact]
    public async Task Moving_the_clock_through_the_admin_route_makes_due_rotations_happen()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();
        await endpoint.Kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = key.KeyId, RotationPeriodInDays = 90 });
        using var http = new HttpClient { BaseAddress = endpoint.Server.Endpoint };

        var response = await http.PostAsJsonAsync("/_localkms/clock", new { advanceDays = 91 });
        response.EnsureSuccessStatusCode();
        var clock = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(91 * 86400, clock.GetProperty("offsetSeconds").GetDouble(), 1);
        var rotation = Assert.Single((await endpoint.Kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = key.KeyId })).Rotations);
        Assert.Equal(RotationType.AUTOMATIC, rotation.RotationType);
        var read = await http.GetFromJsonAsync<JsonElement>("/_localkms/clock");
        Assert.Equal(91 * 86400, read.GetProperty("offsetSeconds").GetDouble(), 1);
    }

    [Fact]
    public async Task A_configured_clock_offset_applies_from_the_start()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var endpoint = await KmsTestEndpoint.StartAsync(time: time, configure: o => o.ClockOffset = TimeSpan.FromDays(10));

        var key = await endpoint.Kms.CreateKeyAsync();

        Assert.Equal(time.GetUtcNow().AddDays(10).UtcDateTime, key.CreationDate!.Value, TimeSpan.FromSeconds(1));
    }
}

public class AuthorizerTests
{
    private sealed class RefuseDisableKey : KmsConsole.LocalKms.Protocol.IKmsOperationAuthorizer
    {
        public List<string> Seen { get; } = [];

        public void Authorize(string callerAccessKeyId, string operation, JsonElement requestBody)
        {
            lock (Seen)
            {
                Seen.Add($"{callerAccessKeyId}:{operation}");
            }

            if (operation == "DisableKey")
            {
                throw new KmsConsole.LocalKms.Protocol.KmsException("AccessDeniedException", $"User {callerAccessKeyId} is not authorized to perform: kms:DisableKey");
            }
        }
    }

    [Fact]
    public async Task A_registered_authorizer_sees_the_signing_caller_and_can_refuse_an_operation_before_it_runs()
    {
        var authorizer = new RefuseDisableKey();
        var options = new LocalKmsOptions { DataDirectory = Path.Combine(Path.GetTempPath(), "localkms-tests", Guid.NewGuid().ToString("N")), Seed = false };
        await using var server = await LocalKmsServer.StartAsync(options, "http://127.0.0.1:0", null,
            services => services.AddSingleton<KmsConsole.LocalKms.Protocol.IKmsOperationAuthorizer>(authorizer), mapEndpoints: null);
        using var kms = KmsTestEndpoint.CreateClient(server.Endpoint);
        var key = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;

        var error = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => kms.DisableKeyAsync(new DisableKeyRequest { KeyId = key.KeyId }));

        Assert.Equal("AccessDeniedException", error.ErrorCode);
        Assert.Equal(KeyState.Enabled, (await kms.DescribeAsync(key.KeyId)).KeyState);
        Assert.Contains("AKIDLOCAL:CreateKey", authorizer.Seen);
        Assert.Contains("AKIDLOCAL:DisableKey", authorizer.Seen);
    }
}
