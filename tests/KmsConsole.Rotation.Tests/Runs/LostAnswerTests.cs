using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using KmsConsole.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace KmsConsole.Rotation.Tests.Runs;

/// <summary>
/// KMS does the work but its answer never arrives (the connection drops after the response): the SDK's own
/// HTTP pipeline loses the answer to the first call of an operation. The orchestrator retries, finds the
/// effect already in KMS, and does not repeat it.
/// </summary>
public sealed class LostAnswerTests
{
    [Theory]
    [InlineData("CreateKey", WorkflowKind.AliasSwapNewKey)]
    [InlineData("CreateKey", WorkflowKind.AliasSwapImportedKey)]
    [InlineData("ImportKeyMaterial", WorkflowKind.AliasSwapImportedKey)]
    [InlineData("UpdateAlias", WorkflowKind.AliasSwapNewKey)]
    [InlineData("DisableKey", WorkflowKind.AliasSwapNewKey)]
    [InlineData("RotateKeyOnDemand", WorkflowKind.EnableAutomaticRotation)]
    public async Task A_lost_answer_is_retried_without_repeating_the_effect(string operation, WorkflowKind workflow)
    {
        var losing = new LoseFirstAnswer(operation);
        await using var world = await RotationWorld.StartAsync(services: (s, server) =>
            s.Replace(ServiceDescriptor.Singleton<IKmsClientFactory>(new LosingClientFactory(server.Endpoint, losing))));
        var (oldKey, alias) = workflow == WorkflowKind.AliasSwapImportedKey ? await world.NewImportedKeyAsync() : await world.NewAwsKeyAsync();
        var keysBefore = await world.KeyCountAsync();

        var run = await world.DriveAsync((await world.SubmitAsync(alias, workflow,
            new RotationParameters { OldKeyFate = workflow == WorkflowKind.EnableAutomaticRotation ? OldKeyFate.Keep : OldKeyFate.Disable, RotateNow = true })).Id);

        Assert.True(losing.Lost, $"no {operation} answer was lost");
        Assert.True(run.State == RunState.Succeeded, $"{run.State}: {run.Error}");
        Assert.Contains(run.Steps, s => s.Attempts == 2);
        if (workflow == WorkflowKind.EnableAutomaticRotation)
        {
            var rotations = await world.Kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = oldKey });
            Assert.Single(rotations.Rotations, r => r.RotationType == RotationType.ON_DEMAND);
            return;
        }

        var newKey = Assert.Single(await world.KeysTaggedWithAsync(run.Id));
        Assert.Equal(newKey, (await world.DescribeAsync(alias)).KeyId);
        Assert.Equal(KeyState.Disabled, (await world.DescribeAsync(oldKey)).KeyState);
        var escrowKeys = workflow == WorkflowKind.AliasSwapImportedKey ? 1 : 0;
        Assert.Equal(keysBefore + 1 + escrowKeys, await world.KeyCountAsync());
    }

    [Theory]
    [InlineData(WorkflowKind.AliasSwapNewKey)]
    [InlineData(WorkflowKind.AliasSwapImportedKey)]
    public async Task A_CreateKey_request_that_never_reached_KMS_is_retried_and_creates_exactly_one_key(WorkflowKind workflow)
    {
        // The run saved that it called CreateKey, so the retry looks for a key by tag, finds none, and creates one.
        var losing = new LoseFirstAnswer("CreateKey", beforeSending: true);
        await using var world = await RotationWorld.StartAsync(services: (s, server) =>
            s.Replace(ServiceDescriptor.Singleton<IKmsClientFactory>(new LosingClientFactory(server.Endpoint, losing))));
        var (oldKey, alias) = workflow == WorkflowKind.AliasSwapImportedKey ? await world.NewImportedKeyAsync() : await world.NewAwsKeyAsync();
        var keysBefore = await world.KeyCountAsync();

        var run = await world.DriveAsync((await world.SubmitAsync(alias, workflow, new RotationParameters { OldKeyFate = OldKeyFate.Disable })).Id);

        Assert.True(losing.Lost, "no CreateKey request was lost");
        Assert.True(run.State == RunState.Succeeded, $"{run.State}: {run.Error}");
        var create = run.Steps.Single(s => s.Name.StartsWith("Create the new", StringComparison.Ordinal));
        Assert.Equal(2, create.Attempts);
        var newKey = Assert.Single(await world.KeysTaggedWithAsync(run.Id));
        Assert.Equal(newKey, run.NewKeyId);
        Assert.Equal(newKey, (await world.DescribeAsync(alias)).KeyId);
        Assert.Equal(KeyState.Disabled, (await world.DescribeAsync(oldKey)).KeyState);
        Assert.Equal(keysBefore + 1 + (workflow == WorkflowKind.AliasSwapImportedKey ? 1 : 0), await world.KeyCountAsync());
    }

    /// <summary>Drops the first call of an operation: after KMS answered it, or (<paramref name="beforeSending"/>) before it reaches KMS.</summary>
    private sealed class LoseFirstAnswer(string operation, bool beforeSending = false) : DelegatingHandler(new HttpClientHandler())
    {
        public bool Lost { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var target = request.Headers.TryGetValues("X-Amz-Target", out var values) ? values.Single() : "";
            if (beforeSending && !Lost && target == $"TrentService.{operation}")
            {
                Lost = true;
                throw new HttpRequestException($"connection refused before {operation} was sent");
            }

            var response = await base.SendAsync(request, cancellationToken);
            if (!beforeSending && !Lost && target == $"TrentService.{operation}" && response.IsSuccessStatusCode)
            {
                Lost = true;
                response.Dispose();
                throw new HttpRequestException($"connection reset after {operation} was processed");
            }

            return response;
        }
    }

    private sealed class LosingClientFactory(Uri endpoint, HttpMessageHandler handler) : IKmsClientFactory
    {
        private readonly AmazonKeyManagementServiceClient _client = HandlerClients.Create(endpoint, handler);

        public IAmazonKeyManagementService Create(string targetName) => _client;
    }
}

/// <summary>An SDK KMS client whose HTTP calls go through a test's handler (which may drop or cut them); no SDK retries.</summary>
internal static class HandlerClients
{
    public static AmazonKeyManagementServiceClient Create(Uri endpoint, HttpMessageHandler handler, string accessKeyId = "kmsconsole-tests") =>
        new(new BasicAWSCredentials(accessKeyId, "local-endpoint"),
            new AmazonKeyManagementServiceConfig
            {
                ServiceURL = endpoint.ToString(),
                AuthenticationRegion = "us-east-1",
                MaxErrorRetry = 0,
                HttpClientFactory = new HandlerHttpClientFactory(handler),
            });
}
