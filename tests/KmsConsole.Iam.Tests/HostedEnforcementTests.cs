using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using KmsConsole.LocalKms.Hosting;

namespace KmsConsole.Iam.Tests;

/// <summary>A host that binds its own "LocalKms" section (the console) switches enforcement on through the KMS endpoint's options.</summary>
public sealed class HostedEnforcementTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task LocalKms_Iam_EnforceKmsPermissions_in_the_endpoint_options_decides_whether_the_workshop_role_may_disable_a_key(bool enforce)
    {
        var data = Path.Combine(Path.GetTempPath(), "kmsconsole-hosted-enforcement-" + Guid.NewGuid().ToString("N"));
        var options = new LocalKmsOptions { DataDirectory = data };
        options.Iam.EnforceKmsPermissions = enforce;
        await using var server = await LocalKmsServer.StartAsync(options);
        using var kms = new AmazonKeyManagementServiceClient(new BasicAWSCredentials("AKIDLOCAL", "local-secret"),
            new AmazonKeyManagementServiceConfig { ServiceURL = server.Endpoint.ToString(), AuthenticationRegion = "us-east-1" });
        var key = (await kms.CreateKeyAsync(new CreateKeyRequest { Description = "to disable" })).KeyMetadata.KeyId;

        var disable = () => kms.DisableKeyAsync(new DisableKeyRequest { KeyId = key });

        if (enforce)
        {
            var refused = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(disable);
            Assert.Equal("AccessDeniedException", refused.ErrorCode);
            Assert.Contains("kms:DisableKey", refused.Message, StringComparison.Ordinal);
        }
        else
        {
            await disable();
            Assert.Equal(KeyState.Disabled, (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key })).KeyMetadata.KeyState);
        }

        await server.StopAsync();
        try
        {
            Directory.Delete(data, recursive: true);
        }
        catch (IOException)
        {
            // Left to the OS's temp cleanup.
        }
    }
}
