using System.Security.Cryptography;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace KmsConsole.LocalKms.Tests.Import;

public class ImportTests
{
    [Fact]
    public async Task A_key_of_origin_EXTERNAL_starts_pending_import_and_refuses_encryption()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();

        var key = await endpoint.Kms.CreateKeyAsync(origin: OriginType.EXTERNAL);

        Assert.Equal(KeyState.PendingImport, key.KeyState);
        Assert.False(key.Enabled);
        var error = await Assert.ThrowsAsync<KMSInvalidStateException>(() => endpoint.Kms.EncryptTextAsync(key.KeyId, "x"));
        Assert.Contains("pending import", error.Message);
        await Assert.ThrowsAsync<KMSInvalidStateException>(() => endpoint.Kms.EnableKeyAsync(new EnableKeyRequest { KeyId = key.KeyId }));
    }

    [Theory]
    [InlineData("RSAES_OAEP_SHA_1", "RSA_2048")]
    [InlineData("RSAES_OAEP_SHA_256", "RSA_3072")]
    [InlineData("RSA_AES_KEY_WRAP_SHA_1", "RSA_2048")]
    [InlineData("RSA_AES_KEY_WRAP_SHA_256", "RSA_4096")]
    public async Task Material_wrapped_with_the_import_public_key_is_imported_and_the_key_encrypts(string algorithm, string wrappingKeySpec)
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(origin: OriginType.EXTERNAL);
        var material = RandomNumberGenerator.GetBytes(32);

        var parameters = await endpoint.Kms.GetParametersForImportAsync(new GetParametersForImportRequest
        {
            KeyId = key.KeyId,
            WrappingAlgorithm = algorithm,
            WrappingKeySpec = wrappingKeySpec,
        });
        using (var rsa = RSA.Create())
        {
            rsa.ImportSubjectPublicKeyInfo(parameters.PublicKey.ToArray(), out var read);
            Assert.Equal(parameters.PublicKey.Length, read);
            Assert.Equal(int.Parse(wrappingKeySpec[4..]), rsa.KeySize);
        }

        Assert.Equal(key.Arn, parameters.KeyId);
        Assert.Equal(DateTime.UtcNow.AddHours(24), parameters.ParametersValidTo!.Value, TimeSpan.FromMinutes(5));
        var imported = await endpoint.Kms.ImportKeyMaterialAsync(new ImportKeyMaterialRequest
        {
            KeyId = key.KeyId,
            ImportToken = new MemoryStream(parameters.ImportToken.ToArray()),
            EncryptedKeyMaterial = new MemoryStream(ImportWrapping.Wrap(algorithm, parameters.PublicKey.ToArray(), material)),
            ExpirationModel = ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE,
            KeyMaterialDescription = "first import",
        });

        var described = await endpoint.Kms.DescribeAsync(key.KeyId);
        Assert.Equal(KeyState.Enabled, described.KeyState);
        Assert.Equal(ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE, described.ExpirationModel);
        Assert.Matches("^[0-9a-f]{64}$", imported.KeyMaterialId);
        Assert.Equal(imported.KeyMaterialId, described.CurrentKeyMaterialId);
        Assert.Equal("imported", await endpoint.Kms.DecryptTextAsync(await endpoint.Kms.EncryptTextAsync(key.KeyId, "imported")));
        var listed = Assert.Single((await endpoint.Kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = key.KeyId, IncludeKeyMaterial = IncludeKeyMaterial.ALL_KEY_MATERIAL })).Rotations);
        Assert.Equal(ImportState.IMPORTED, listed.ImportState);
        Assert.Equal("first import", listed.KeyMaterialDescription);
        Assert.Equal(KeyMaterialState.CURRENT, listed.KeyMaterialState);
    }

    [Fact]
    public async Task Expired_material_puts_the_key_pending_import_until_the_same_material_is_imported_again()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var endpoint = await KmsTestEndpoint.StartAsync(time: time);
        var key = await endpoint.Kms.CreateKeyAsync(origin: OriginType.EXTERNAL);
        var material = RandomNumberGenerator.GetBytes(32);
        var first = await endpoint.Kms.ImportAsync(key.KeyId, material, validTo: time.GetUtcNow().AddDays(10).UtcDateTime, algorithm: "RSAES_OAEP_SHA_1");
        var ciphertext = await endpoint.Kms.EncryptTextAsync(key.KeyId, "survives expiry");
        var expiring = await endpoint.Kms.DescribeAsync(key.KeyId);
        Assert.Equal(ExpirationModelType.KEY_MATERIAL_EXPIRES, expiring.ExpirationModel);
        Assert.Equal(time.GetUtcNow().AddDays(10).UtcDateTime, expiring.ValidTo!.Value, TimeSpan.FromSeconds(1));

        time.Advance(TimeSpan.FromDays(10) + TimeSpan.FromSeconds(1));

        Assert.Equal(KeyState.PendingImport, (await endpoint.Kms.DescribeAsync(key.KeyId)).KeyState);
        var refused = await Assert.ThrowsAsync<KMSInvalidStateException>(() => endpoint.Kms.DecryptTextAsync(ciphertext));
        Assert.Contains("pending import", refused.Message);
        var listed = Assert.Single((await endpoint.Kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = key.KeyId, IncludeKeyMaterial = IncludeKeyMaterial.ALL_KEY_MATERIAL })).Rotations);
        Assert.Equal(ImportState.PENDING_IMPORT, listed.ImportState);

        var again = await endpoint.Kms.ImportAsync(key.KeyId, material, validTo: time.GetUtcNow().AddDays(30).UtcDateTime, importType: ImportType.EXISTING_KEY_MATERIAL, keyMaterialId: first.KeyMaterialId);

        Assert.Equal(first.KeyMaterialId, again.KeyMaterialId);
        Assert.Equal(KeyState.Enabled, (await endpoint.Kms.DescribeAsync(key.KeyId)).KeyState);
        Assert.Equal("survives expiry", await endpoint.Kms.DecryptTextAsync(ciphertext));
    }

    [Fact]
    public async Task Reimporting_different_material_as_existing_is_IncorrectKeyMaterialException()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(origin: OriginType.EXTERNAL);
        await endpoint.Kms.ImportAsync(key.KeyId, RandomNumberGenerator.GetBytes(32));
        var ciphertext = await endpoint.Kms.EncryptTextAsync(key.KeyId, "original material");

        var error = await Assert.ThrowsAsync<IncorrectKeyMaterialException>(() =>
            endpoint.Kms.ImportAsync(key.KeyId, RandomNumberGenerator.GetBytes(32), importType: ImportType.EXISTING_KEY_MATERIAL));
        var defaulted = await Assert.ThrowsAsync<IncorrectKeyMaterialException>(() => endpoint.Kms.ImportAsync(key.KeyId, RandomNumberGenerator.GetBytes(32)));

        Assert.Equal("IncorrectKeyMaterialException", error.ErrorCode);
        Assert.Equal("IncorrectKeyMaterialException", defaulted.ErrorCode);
        Assert.Equal("original material", await endpoint.Kms.DecryptTextAsync(ciphertext));
    }

    [Fact]
    public async Task An_import_token_of_another_key_is_InvalidImportTokenException()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(origin: OriginType.EXTERNAL);
        var other = await endpoint.Kms.CreateKeyAsync(origin: OriginType.EXTERNAL);
        var parameters = await endpoint.Kms.GetParametersForImportAsync(new GetParametersForImportRequest { KeyId = other.KeyId, WrappingAlgorithm = "RSAES_OAEP_SHA_256", WrappingKeySpec = "RSA_2048" });

        var error = await Assert.ThrowsAsync<InvalidImportTokenException>(() => endpoint.Kms.ImportKeyMaterialAsync(new ImportKeyMaterialRequest
        {
            KeyId = key.KeyId,
            ImportToken = new MemoryStream(parameters.ImportToken.ToArray()),
            EncryptedKeyMaterial = new MemoryStream(ImportWrapping.Wrap("RSAES_OAEP_SHA_256", parameters.PublicKey.ToArray(), new byte[32])),
            ExpirationModel = ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE,
        }));
        var garbage = await Assert.ThrowsAsync<InvalidImportTokenException>(() => endpoint.Kms.ImportKeyMaterialAsync(new ImportKeyMaterialRequest
        {
            KeyId = key.KeyId,
            ImportToken = new MemoryStream(RandomNumberGenerator.GetBytes(200)),
            EncryptedKeyMaterial = new MemoryStream(new byte[256]),
            ExpirationModel = ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE,
        }));

        Assert.Equal("InvalidImportTokenException", error.ErrorCode);
        Assert.Equal("InvalidImportTokenException", garbage.ErrorCode);
        Assert.Equal(KeyState.PendingImport, (await endpoint.Kms.DescribeAsync(key.KeyId)).KeyState);
    }

    [Fact]
    public async Task Material_not_wrapped_with_the_tokens_public_key_is_InvalidCiphertextException()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(origin: OriginType.EXTERNAL);
        var parameters = await endpoint.Kms.GetParametersForImportAsync(new GetParametersForImportRequest { KeyId = key.KeyId, WrappingAlgorithm = "RSAES_OAEP_SHA_256", WrappingKeySpec = "RSA_2048" });
        var otherParameters = await endpoint.Kms.GetParametersForImportAsync(new GetParametersForImportRequest { KeyId = key.KeyId, WrappingAlgorithm = "RSAES_OAEP_SHA_256", WrappingKeySpec = "RSA_2048" });

        var error = await Assert.ThrowsAsync<InvalidCiphertextException>(() => endpoint.Kms.ImportKeyMaterialAsync(new ImportKeyMaterialRequest
        {
            KeyId = key.KeyId,
            ImportToken = new MemoryStream(parameters.ImportToken.ToArray()),
            EncryptedKeyMaterial = new MemoryStream(ImportWrapping.Wrap("RSAES_OAEP_SHA_256", otherParameters.PublicKey.ToArray(), new byte[32])),
            ExpirationModel = ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE,
        }));
        var wrongAlgorithm = await Assert.ThrowsAsync<InvalidCiphertextException>(() => endpoint.Kms.ImportKeyMaterialAsync(new ImportKeyMaterialRequest
        {
            KeyId = key.KeyId,
            ImportToken = new MemoryStream(parameters.ImportToken.ToArray()),
            EncryptedKeyMaterial = new MemoryStream(ImportWrapping.Wrap("RSAES_OAEP_SHA_1", parameters.PublicKey.ToArray(), new byte[32])),
            ExpirationModel = ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE,
        }));

        Assert.Equal("InvalidCiphertextException", error.ErrorCode);
        Assert.Equal("InvalidCiphertextException", wrongAlgorithm.ErrorCode);
    }

    [Fact]
    public async Task An_import_token_older_than_24_hours_is_ExpiredImportTokenException()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var endpoint = await KmsTestEndpoint.StartAsync(time: time);
        var key = await endpoint.Kms.CreateKeyAsync(origin: OriginType.EXTERNAL);
        var parameters = await endpoint.Kms.GetParametersForImportAsync(new GetParametersForImportRequest { KeyId = key.KeyId, WrappingAlgorithm = "RSAES_OAEP_SHA_256", WrappingKeySpec = "RSA_2048" });

        time.Advance(TimeSpan.FromHours(24) + TimeSpan.FromSeconds(1));

        var error = await Assert.ThrowsAsync<ExpiredImportTokenException>(() => endpoint.Kms.ImportKeyMaterialAsync(new ImportKeyMaterialRequest
        {
            KeyId = key.KeyId,
            ImportToken = new MemoryStream(parameters.ImportToken.ToArray()),
            EncryptedKeyMaterial = new MemoryStream(ImportWrapping.Wrap("RSAES_OAEP_SHA_256", parameters.PublicKey.ToArray(), new byte[32])),
            ExpirationModel = ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE,
        }));

        Assert.Equal("ExpiredImportTokenException", error.ErrorCode);
    }

    [Fact]
    public async Task ValidTo_must_be_in_the_future_and_go_with_KEY_MATERIAL_EXPIRES()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(origin: OriginType.EXTERNAL);
        var parameters = await endpoint.Kms.GetParametersForImportAsync(new GetParametersForImportRequest { KeyId = key.KeyId, WrappingAlgorithm = "RSAES_OAEP_SHA_256", WrappingKeySpec = "RSA_2048" });
        ImportKeyMaterialRequest Request(ExpirationModelType model, DateTime? validTo) => new()
        {
            KeyId = key.KeyId,
            ImportToken = new MemoryStream(parameters.ImportToken.ToArray()),
            EncryptedKeyMaterial = new MemoryStream(ImportWrapping.Wrap("RSAES_OAEP_SHA_256", parameters.PublicKey.ToArray(), new byte[32])),
            ExpirationModel = model,
            ValidTo = validTo,
        };

        var past = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => endpoint.Kms.ImportKeyMaterialAsync(Request(ExpirationModelType.KEY_MATERIAL_EXPIRES, DateTime.UtcNow.AddHours(-1))));
        var missing = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => endpoint.Kms.ImportKeyMaterialAsync(Request(ExpirationModelType.KEY_MATERIAL_EXPIRES, null)));
        var extra = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => endpoint.Kms.ImportKeyMaterialAsync(Request(ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE, DateTime.UtcNow.AddDays(1))));
        var tooFar = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => endpoint.Kms.ImportKeyMaterialAsync(Request(ExpirationModelType.KEY_MATERIAL_EXPIRES, DateTime.UtcNow.AddDays(366))));

        Assert.Equal("ValidationException", past.ErrorCode);
        Assert.Equal("ValidationException", missing.ErrorCode);
        Assert.Equal("ValidationException", extra.ErrorCode);
        Assert.Equal("ValidationException", tooFar.ErrorCode);
        Assert.Equal(KeyState.PendingImport, (await endpoint.Kms.DescribeAsync(key.KeyId)).KeyState);
    }

    [Fact]
    public async Task DeleteImportedKeyMaterial_puts_the_key_pending_import_and_reimport_restores_it()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(origin: OriginType.EXTERNAL);
        var material = RandomNumberGenerator.GetBytes(32);
        var imported = await endpoint.Kms.ImportAsync(key.KeyId, material, algorithm: "RSA_AES_KEY_WRAP_SHA_256");
        var ciphertext = await endpoint.Kms.EncryptTextAsync(key.KeyId, "kept");

        var deleted = await endpoint.Kms.DeleteImportedKeyMaterialAsync(new DeleteImportedKeyMaterialRequest { KeyId = key.KeyId });

        Assert.Equal(imported.KeyMaterialId, deleted.KeyMaterialId);
        Assert.Equal(KeyState.PendingImport, (await endpoint.Kms.DescribeAsync(key.KeyId)).KeyState);
        await Assert.ThrowsAsync<KMSInvalidStateException>(() => endpoint.Kms.DecryptTextAsync(ciphertext));
        await endpoint.Kms.ImportAsync(key.KeyId, material);
        Assert.Equal("kept", await endpoint.Kms.DecryptTextAsync(ciphertext));
    }

    [Fact]
    public async Task DeleteImportedKeyMaterial_on_a_key_pending_deletion_keeps_it_pending_deletion_and_cancel_leaves_it_pending_import()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(origin: OriginType.EXTERNAL);
        var material = RandomNumberGenerator.GetBytes(32);
        await endpoint.Kms.ImportAsync(key.KeyId, material);
        await endpoint.Kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = key.KeyId, PendingWindowInDays = 7 });

        await endpoint.Kms.DeleteImportedKeyMaterialAsync(new DeleteImportedKeyMaterialRequest { KeyId = key.KeyId });

        Assert.Equal(KeyState.PendingDeletion, (await endpoint.Kms.DescribeAsync(key.KeyId)).KeyState);
        await endpoint.Kms.CancelKeyDeletionAsync(new CancelKeyDeletionRequest { KeyId = key.KeyId });
        Assert.Equal(KeyState.PendingImport, (await endpoint.Kms.DescribeAsync(key.KeyId)).KeyState);
        await endpoint.Kms.ImportAsync(key.KeyId, material);
        Assert.Equal(KeyState.Enabled, (await endpoint.Kms.DescribeAsync(key.KeyId)).KeyState);
    }

    [Fact]
    public async Task The_retired_RSAES_PKCS1_V1_5_wrapping_is_refused_and_no_token_is_issued()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(origin: OriginType.EXTERNAL);

        var error = await Assert.ThrowsAsync<UnsupportedOperationException>(() => endpoint.Kms.GetParametersForImportAsync(new GetParametersForImportRequest
        {
            KeyId = key.KeyId,
            WrappingAlgorithm = AlgorithmSpec.RSAES_PKCS1_V1_5,
            WrappingKeySpec = WrappingKeySpec.RSA_2048,
        }));

        Assert.Contains("RSAES_PKCS1_V1_5", error.Message);
        Assert.Equal(KeyState.PendingImport, (await endpoint.Kms.DescribeAsync(key.KeyId)).KeyState);
    }

    [Fact]
    public async Task New_material_imported_into_the_same_key_becomes_current_on_RotateKeyOnDemand()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(origin: OriginType.EXTERNAL);
        var first = await endpoint.Kms.ImportAsync(key.KeyId, RandomNumberGenerator.GetBytes(32));
        var old = await endpoint.Kms.EncryptTextAsync(key.KeyId, "first material");
        var noPending = await Assert.ThrowsAsync<KMSInvalidStateException>(() => endpoint.Kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = key.KeyId }));
        Assert.Contains("PENDING_ROTATION", noPending.Message);

        var second = await endpoint.Kms.ImportAsync(key.KeyId, RandomNumberGenerator.GetBytes(32), importType: ImportType.NEW_KEY_MATERIAL);
        var pending = await endpoint.Kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = key.KeyId, IncludeKeyMaterial = IncludeKeyMaterial.ALL_KEY_MATERIAL });
        Assert.Equal(KeyMaterialState.PENDING_ROTATION, pending.Rotations.Single(r => r.KeyMaterialId == second.KeyMaterialId).KeyMaterialState);
        Assert.Equal(first.KeyMaterialId, (await endpoint.Kms.DescribeAsync(key.KeyId)).CurrentKeyMaterialId);

        await endpoint.Kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = key.KeyId });

        Assert.Equal(second.KeyMaterialId, (await endpoint.Kms.DescribeAsync(key.KeyId)).CurrentKeyMaterialId);
        var fresh = await endpoint.Kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(await endpoint.Kms.EncryptTextAsync(key.KeyId, "second")) });
        Assert.Equal(second.KeyMaterialId, fresh.KeyMaterialId);
        Assert.Equal("first material", await endpoint.Kms.DecryptTextAsync(old));
        var rotation = Assert.Single((await endpoint.Kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = key.KeyId })).Rotations);
        Assert.Equal(RotationType.ON_DEMAND, rotation.RotationType);
        Assert.Equal(second.KeyMaterialId, rotation.KeyMaterialId);
    }

    [Fact]
    public async Task A_KeyMaterialId_with_NEW_KEY_MATERIAL_is_a_ValidationException()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(origin: OriginType.EXTERNAL);

        var error = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() =>
            endpoint.Kms.ImportAsync(key.KeyId, RandomNumberGenerator.GetBytes(32), importType: ImportType.NEW_KEY_MATERIAL, keyMaterialId: new string('a', 64)));

        Assert.Equal("ValidationException", error.ErrorCode);
    }

    [Fact]
    public async Task Import_operations_on_keys_with_AWS_material_are_UnsupportedOperationException()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();

        await Assert.ThrowsAsync<UnsupportedOperationException>(() => endpoint.Kms.GetParametersForImportAsync(new GetParametersForImportRequest { KeyId = key.KeyId, WrappingAlgorithm = "RSAES_OAEP_SHA_256", WrappingKeySpec = "RSA_2048" }));
        await Assert.ThrowsAsync<UnsupportedOperationException>(() => endpoint.Kms.DeleteImportedKeyMaterialAsync(new DeleteImportedKeyMaterialRequest { KeyId = key.KeyId }));
    }

    [Fact]
    public async Task The_same_material_in_another_key_gets_another_material_id()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var one = await endpoint.Kms.CreateKeyAsync(origin: OriginType.EXTERNAL);
        var two = await endpoint.Kms.CreateKeyAsync(origin: OriginType.EXTERNAL);
        var material = RandomNumberGenerator.GetBytes(32);

        var first = await endpoint.Kms.ImportAsync(one.KeyId, material);
        var second = await endpoint.Kms.ImportAsync(two.KeyId, material);

        Assert.NotEqual(first.KeyMaterialId, second.KeyMaterialId);
    }

    [Fact]
    public async Task Deleting_material_of_a_key_still_waiting_for_its_first_import_has_no_effect()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(origin: OriginType.EXTERNAL);

        var deleted = await endpoint.Kms.DeleteImportedKeyMaterialAsync(new DeleteImportedKeyMaterialRequest { KeyId = key.KeyId });

        Assert.Equal(key.Arn, deleted.KeyId);
        Assert.Equal(KeyState.PendingImport, (await endpoint.Kms.DescribeAsync(key.KeyId)).KeyState);
    }

    [Fact]
    public async Task Deleting_material_pending_rotation_drops_it_and_leaves_the_key_enabled()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(origin: OriginType.EXTERNAL);
        var first = await endpoint.Kms.ImportAsync(key.KeyId, RandomNumberGenerator.GetBytes(32));
        var pending = await endpoint.Kms.ImportAsync(key.KeyId, RandomNumberGenerator.GetBytes(32), importType: ImportType.NEW_KEY_MATERIAL);

        await endpoint.Kms.DeleteImportedKeyMaterialAsync(new DeleteImportedKeyMaterialRequest { KeyId = key.KeyId, KeyMaterialId = pending.KeyMaterialId });

        var materials = (await endpoint.Kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = key.KeyId, IncludeKeyMaterial = IncludeKeyMaterial.ALL_KEY_MATERIAL })).Rotations;
        Assert.Equal(first.KeyMaterialId, Assert.Single(materials).KeyMaterialId);
        Assert.Equal(KeyState.Enabled, (await endpoint.Kms.DescribeAsync(key.KeyId)).KeyState);
        await Assert.ThrowsAsync<KMSInvalidStateException>(() => endpoint.Kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = key.KeyId }));
    }
}
