using System.Net;
using System.Text;
using Amazon.KeyManagementService;
using KmsConsole.Rotation.Tests.Runs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace KmsConsole.Rotation.Tests.Workflows;

/// <summary>A CreateKey that KMS answered with a refusal created nothing, so its retry does not search the account by tag.</summary>
public sealed class CreateKeyRefusalTests
{
    [Fact]
    public async Task A_throttled_CreateKey_is_retried_without_listing_the_accounts_keys()
    {
        var throttle = new ThrottleFirstCreateKey();
        await using var world = await RotationWorld.StartAsync(services: (s, server) =>
            s.Replace(ServiceDescriptor.Singleton<IKmsClientFactory>(new HandlerClientFactory(server.Endpoint, throttle))));
        var (_, alias) = await world.NewAwsKeyAsync();

        var run = await world.DriveAsync((await world.SubmitAsync(alias, WorkflowKind.AliasSwapNewKey)).Id);

        Assert.True(run.State == RunState.Succeeded, $"{run.State}: {run.Error}");
        Assert.Equal(2, run.Steps.Single(s => s.Name == "Create the new key").Attempts);
        Assert.Equal(2, throttle.CreateKeyCalls);
        Assert.Equal(0, throttle.ListKeysCalls);
        Assert.Equal(run.NewKeyId, Assert.Single(await world.KeysTaggedWithAsync(run.Id)));
    }

    private sealed class ThrottleFirstCreateKey() : DelegatingHandler(new HttpClientHandler())
    {
        public int CreateKeyCalls;
        public int ListKeysCalls;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var target = request.Headers.TryGetValues("X-Amz-Target", out var values) ? values.Single() : "";
            if (target == "TrentService.ListKeys")
            {
                Interlocked.Increment(ref ListKeysCalls);
            }

            if (target == "TrentService.CreateKey" && Interlocked.Increment(ref CreateKeyCalls) == 1)
            {
                return new HttpResponseMessage(HttpStatusCode.BadRequest)
                {
                    Content = new StringContent("""{"__type":"ThrottlingException","message":"Rate exceeded"}""", Encoding.UTF8, "application/x-amz-json-1.1"),
                };
            }

            return await base.SendAsync(request, cancellationToken);
        }
    }

    private sealed class HandlerClientFactory(Uri endpoint, HttpMessageHandler handler) : IKmsClientFactory
    {
        private readonly AmazonKeyManagementServiceClient _client = HandlerClients.Create(endpoint, handler);

        public IAmazonKeyManagementService Create(string targetName) => _client;
    }
}
