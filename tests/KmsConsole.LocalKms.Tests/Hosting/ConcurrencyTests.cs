using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Tests.Support;

namespace KmsConsole.LocalKms.Tests.Hosting;

public class ConcurrencyTests
{
    [Fact]
    public async Task Parallel_clients_creating_rotating_and_encrypting_leave_a_consistent_state_that_survives_a_restart()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var shared = await endpoint.Kms.CreateKeyAsync();

        var work = Enumerable.Range(0, 16).Select(async i =>
        {
            using var client = KmsTestEndpoint.CreateClient(endpoint.Server.Endpoint);
            var own = await client.CreateKeyAsync($"parallel {i}");
            await client.CreateAliasAsync(new CreateAliasRequest { AliasName = $"alias/parallel-{i}", TargetKeyId = own.KeyId });
            await client.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = shared.KeyId });
            var ciphertext = await client.EncryptTextAsync(shared.KeyId, $"message {i}");
            return (i, ciphertext);
        });
        var results = await Task.WhenAll(work);

        await endpoint.RestartAsync();

        Assert.Equal(17, (await endpoint.Kms.ListKeysAsync(new ListKeysRequest())).Keys.Count);
        Assert.Equal(16, (await endpoint.Kms.ListAliasesAsync(new ListAliasesRequest())).Aliases.Count);
        Assert.Equal(16, (await endpoint.Kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = shared.KeyId })).Rotations.Count);
        foreach (var (i, ciphertext) in results)
        {
            Assert.Equal($"message {i}", await endpoint.Kms.DecryptTextAsync(ciphertext));
        }
    }
}
