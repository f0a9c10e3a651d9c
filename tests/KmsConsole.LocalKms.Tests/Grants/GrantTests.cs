using System.Text;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using KmsConsole.LocalKms.Iam;
using KmsConsole.LocalKms.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace KmsConsole.LocalKms.Tests.Grants;

public class GrantTests
{
    private const string Grantee = "arn:aws:iam::111122223333:role/AppRole";
    private const string Retiree = "arn:aws:iam::111122223333:role/RetiringRole";

    [Fact]
    public async Task A_grant_is_listed_with_the_key_arn_its_operations_constraints_and_issuing_account()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();

        var created = await endpoint.Kms.CreateGrantAsync(new CreateGrantRequest
        {
            KeyId = key.KeyId,
            GranteePrincipal = Grantee,
            RetiringPrincipal = Retiree,
            Operations = [GrantOperation.Encrypt, GrantOperation.Decrypt],
            Constraints = new GrantConstraints { EncryptionContextSubset = new Dictionary<string, string> { ["app"] = "billing" } },
            Name = "billing-app",
        });
        var listed = Assert.Single((await endpoint.Kms.ListGrantsAsync(new ListGrantsRequest { KeyId = key.Arn })).Grants);

        Assert.Matches("^[0-9a-f]{64}$", created.GrantId);
        Assert.False(string.IsNullOrEmpty(created.GrantToken));
        Assert.Equal(created.GrantId, listed.GrantId);
        Assert.Equal(key.Arn, listed.KeyId);
        Assert.Equal("billing-app", listed.Name);
        Assert.Equal(Grantee, listed.GranteePrincipal);
        Assert.Equal(Retiree, listed.RetiringPrincipal);
        Assert.Equal("arn:aws:iam::111122223333:root", listed.IssuingAccount);
        Assert.Equal(["Decrypt", "Encrypt"], listed.Operations.Order());
        Assert.Equal("billing", listed.Constraints.EncryptionContextSubset["app"]);
        Assert.Single((await endpoint.Kms.ListRetirableGrantsAsync(new ListRetirableGrantsRequest { RetiringPrincipal = Retiree })).Grants);
        Assert.Empty((await endpoint.Kms.ListGrantsAsync(new ListGrantsRequest { KeyId = key.KeyId, GranteePrincipal = Retiree })).Grants);
    }

    [Fact]
    public async Task A_retried_CreateGrant_with_the_same_name_answers_the_same_grant_with_a_new_token()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();
        CreateGrantRequest Request(string name, params GrantOperation[] operations) =>
            new() { KeyId = key.KeyId, GranteePrincipal = Grantee, Operations = [.. operations], Name = name };

        var first = await endpoint.Kms.CreateGrantAsync(Request("retry", GrantOperation.Decrypt));
        var retried = await endpoint.Kms.CreateGrantAsync(Request("retry", GrantOperation.Decrypt));
        var differentOperations = await endpoint.Kms.CreateGrantAsync(Request("retry", GrantOperation.Encrypt));
        var unnamed1 = await endpoint.Kms.CreateGrantAsync(new CreateGrantRequest { KeyId = key.KeyId, GranteePrincipal = Grantee, Operations = [GrantOperation.Decrypt] });
        var unnamed2 = await endpoint.Kms.CreateGrantAsync(new CreateGrantRequest { KeyId = key.KeyId, GranteePrincipal = Grantee, Operations = [GrantOperation.Decrypt] });

        Assert.Equal(first.GrantId, retried.GrantId);
        Assert.NotEqual(first.GrantToken, retried.GrantToken);
        Assert.NotEqual(first.GrantId, differentOperations.GrantId);
        Assert.NotEqual(unnamed1.GrantId, unnamed2.GrantId);
        Assert.Equal(4, (await endpoint.Kms.ListGrantsAsync(new ListGrantsRequest { KeyId = key.KeyId })).Grants.Count);
    }

    [Fact]
    public async Task Operations_a_key_cannot_perform_and_constraints_on_asymmetric_keys_are_refused()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var symmetric = await endpoint.Kms.CreateKeyAsync();
        var rsa = await endpoint.Kms.CreateKeyAsync(keySpec: KeySpec.RSA_2048);

        var sign = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => endpoint.Kms.CreateGrantAsync(new CreateGrantRequest
        {
            KeyId = symmetric.KeyId, GranteePrincipal = Grantee, Operations = [GrantOperation.Sign],
        }));
        var dataKey = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => endpoint.Kms.CreateGrantAsync(new CreateGrantRequest
        {
            KeyId = rsa.KeyId, GranteePrincipal = Grantee, Operations = [GrantOperation.GenerateDataKey],
        }));
        var constrained = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => endpoint.Kms.CreateGrantAsync(new CreateGrantRequest
        {
            KeyId = rsa.KeyId, GranteePrincipal = Grantee, Operations = [GrantOperation.Decrypt],
            Constraints = new GrantConstraints { EncryptionContextEquals = new Dictionary<string, string> { ["a"] = "b" } },
        }));
        var unknown = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => endpoint.Kms.CreateGrantAsync(new CreateGrantRequest
        {
            KeyId = symmetric.KeyId, GranteePrincipal = Grantee, Operations = [new GrantOperation("ScheduleKeyDeletion")],
        }));

        Assert.All(new[] { sign, dataKey, constrained, unknown }, e => Assert.Equal("ValidationException", e.ErrorCode));
        Assert.Contains("Member must satisfy enum value set", unknown.Message, StringComparison.Ordinal);
        Assert.Empty((await endpoint.Kms.ListGrantsAsync(new ListGrantsRequest { KeyId = symmetric.KeyId })).Grants);
    }

    [Fact]
    public async Task RetireGrant_by_token_and_RevokeGrant_by_id_remove_the_grant_and_unknown_ids_are_refused()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();
        var first = await endpoint.Kms.CreateGrantAsync(new CreateGrantRequest { KeyId = key.KeyId, GranteePrincipal = Grantee, Operations = [GrantOperation.Decrypt] });
        var second = await endpoint.Kms.CreateGrantAsync(new CreateGrantRequest { KeyId = key.KeyId, GranteePrincipal = Grantee, Operations = [GrantOperation.Encrypt] });

        await endpoint.Kms.RetireGrantAsync(new RetireGrantRequest { GrantToken = first.GrantToken });
        await endpoint.Kms.RevokeGrantAsync(new RevokeGrantRequest { KeyId = key.Arn, GrantId = second.GrantId });

        Assert.Empty((await endpoint.Kms.ListGrantsAsync(new ListGrantsRequest { KeyId = key.KeyId })).Grants);
        await Assert.ThrowsAsync<NotFoundException>(() => endpoint.Kms.RevokeGrantAsync(new RevokeGrantRequest { KeyId = key.KeyId, GrantId = second.GrantId }));
        await Assert.ThrowsAsync<InvalidGrantIdException>(() => endpoint.Kms.RevokeGrantAsync(new RevokeGrantRequest { KeyId = key.KeyId, GrantId = "not-a-grant" }));
        await Assert.ThrowsAsync<InvalidGrantTokenException>(() => endpoint.Kms.RetireGrantAsync(new RetireGrantRequest { GrantToken = "forged-token" }));
    }

    [Fact]
    public async Task A_dry_run_CreateGrant_creates_nothing()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();

        await Assert.ThrowsAsync<DryRunOperationException>(() => endpoint.Kms.CreateGrantAsync(new CreateGrantRequest
        {
            KeyId = key.KeyId, GranteePrincipal = Grantee, Operations = [GrantOperation.Decrypt], DryRun = true,
        }));

        Assert.Empty((await endpoint.Kms.ListGrantsAsync(new ListGrantsRequest { KeyId = key.KeyId })).Grants);
    }

    [Fact]
    public async Task Grant_tokens_are_accepted_where_the_model_takes_them_and_forged_ones_are_refused()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();
        var grant = await endpoint.Kms.CreateGrantAsync(new CreateGrantRequest { KeyId = key.KeyId, GranteePrincipal = Grantee, Operations = [GrantOperation.Encrypt] });

        var encrypted = await endpoint.Kms.EncryptAsync(new EncryptRequest { KeyId = key.KeyId, Plaintext = new MemoryStream([1]), GrantTokens = [grant.GrantToken] });
        await endpoint.Kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key.KeyId, GrantTokens = [grant.GrantToken] });
        var forged = await Assert.ThrowsAsync<InvalidGrantTokenException>(() => endpoint.Kms.DecryptAsync(new DecryptRequest
        {
            CiphertextBlob = encrypted.CiphertextBlob, GrantTokens = ["AQIDAHhforged"],
        }));
        var tooMany = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => endpoint.Kms.EncryptAsync(new EncryptRequest
        {
            KeyId = key.KeyId, Plaintext = new MemoryStream([1]), GrantTokens = [.. Enumerable.Repeat(grant.GrantToken, 11)],
        }));

        Assert.Equal("ValidationException", tooMany.ErrorCode);
        Assert.Contains("'grantTokens' failed to satisfy constraint: Member must have length less than or equal to 10", tooMany.Message, StringComparison.Ordinal);
        Assert.NotEmpty(forged.Message);
    }

    [Fact]
    public async Task Grants_survive_a_restart_and_go_with_their_key()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();
        var grant = await endpoint.Kms.CreateGrantAsync(new CreateGrantRequest { KeyId = key.KeyId, GranteePrincipal = Grantee, RetiringPrincipal = Retiree, Operations = [GrantOperation.Decrypt] });

        await endpoint.RestartAsync();

        Assert.Equal(grant.GrantId, Assert.Single((await endpoint.Kms.ListGrantsAsync(new ListGrantsRequest { KeyId = key.KeyId })).Grants).GrantId);
        await endpoint.Kms.RetireGrantAsync(new RetireGrantRequest { GrantToken = grant.GrantToken });
        Assert.Empty((await endpoint.Kms.ListRetirableGrantsAsync(new ListRetirableGrantsRequest { RetiringPrincipal = Retiree })).Grants);
    }
}

/// <summary>With IAM enforcement on, a grant is the only thing that lets a role without KMS permissions use a key.</summary>
public class GrantAuthorizationTests
{
    [Fact]
    public async Task A_grant_lets_its_grantee_use_the_key_only_within_its_constraint_until_it_is_revoked()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync(configure: o => o.Iam.EnforceKmsPermissions = true);
        var admin = await RoleClientAsync(endpoint, "KeyAdmin", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}""");
        using var app = await RoleClientAsync(endpoint, "AppRole", policy: null);
        var key = (await admin.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        var context = new Dictionary<string, string> { ["app"] = "billing", ["extra"] = "allowed" };

        var before = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => app.EncryptTextAsync(key.KeyId, "x", context));
        var grant = await admin.CreateGrantAsync(new CreateGrantRequest
        {
            KeyId = key.KeyId,
            GranteePrincipal = "arn:aws:iam::111122223333:role/AppRole",
            Operations = [GrantOperation.Encrypt, GrantOperation.Decrypt],
            Constraints = new GrantConstraints { EncryptionContextSubset = new Dictionary<string, string> { ["app"] = "billing" } },
        });
        var ciphertext = await app.EncryptTextAsync(key.KeyId, "within the grant", context);
        var decrypted = await app.DecryptTextAsync(ciphertext, context);
        var outsideConstraint = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => app.EncryptTextAsync(key.KeyId, "x"));
        var notGranted = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => app.DisableKeyAsync(new DisableKeyRequest { KeyId = key.KeyId }));
        await admin.RevokeGrantAsync(new RevokeGrantRequest { KeyId = key.KeyId, GrantId = grant.GrantId });
        var after = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => app.EncryptTextAsync(key.KeyId, "x", context));

        Assert.Equal("within the grant", decrypted);
        Assert.All(new[] { before, outsideConstraint, notGranted, after }, e => Assert.Equal("AccessDeniedException", e.ErrorCode));
    }

    [Fact]
    public async Task The_retiring_principal_may_retire_a_grant_without_any_IAM_permission()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync(configure: o => o.Iam.EnforceKmsPermissions = true);
        var admin = await RoleClientAsync(endpoint, "KeyAdmin", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}""");
        using var retiring = await RoleClientAsync(endpoint, "RetiringRole", policy: null);
        using var stranger = await RoleClientAsync(endpoint, "Stranger", policy: null);
        var key = (await admin.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        var grant = await admin.CreateGrantAsync(new CreateGrantRequest
        {
            KeyId = key.KeyId,
            GranteePrincipal = "arn:aws:iam::111122223333:role/AppRole",
            RetiringPrincipal = "arn:aws:iam::111122223333:role/RetiringRole",
            Operations = [GrantOperation.Decrypt],
        });

        var refused = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => stranger.RetireGrantAsync(new RetireGrantRequest { KeyId = key.Arn, GrantId = grant.GrantId }));
        await retiring.RetireGrantAsync(new RetireGrantRequest { KeyId = key.Arn, GrantId = grant.GrantId });

        Assert.Equal("AccessDeniedException", refused.ErrorCode);
        Assert.Empty((await admin.ListGrantsAsync(new ListGrantsRequest { KeyId = key.KeyId })).Grants);
    }

    private static async Task<AmazonKeyManagementServiceClient> RoleClientAsync(KmsTestEndpoint endpoint, string roleName, string? policy)
    {
        var store = endpoint.Server.Services.GetRequiredService<IamStore>();
        await store.CreateRoleAsync(roleName, "/", """{"Version":"2012-10-17","Statement":[]}""", null, 3600);
        if (policy is not null)
        {
            await store.PutRolePolicyAsync(roleName, "inline", policy);
        }

        await store.MapAccessKeyAsync("AKID" + roleName.ToUpperInvariant(), roleName);
        endpoint.Options.Authentication.Credentials["AKID" + roleName.ToUpperInvariant()] = "secret-" + roleName;
        return new AmazonKeyManagementServiceClient(new BasicAWSCredentials("AKID" + roleName.ToUpperInvariant(), "secret-" + roleName), new AmazonKeyManagementServiceConfig
        {
            ServiceURL = endpoint.Server.Endpoint.ToString(),
            AuthenticationRegion = "us-east-1",
            MaxErrorRetry = 0,
        });
    }
}
