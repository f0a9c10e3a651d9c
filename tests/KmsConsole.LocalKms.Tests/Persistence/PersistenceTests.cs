using System.Security.Cryptography;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Hosting;
using KmsConsole.LocalKms.Tests.Support;

namespace KmsConsole.LocalKms.Tests.Persistence;

public class PersistenceTests
{
    [Fact]
    public async Task After_a_restart_keys_aliases_tags_rotations_and_material_are_all_there_and_old_ciphertexts_decrypt()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync(seed: true);
        var key = await endpoint.Kms.CreateKeyAsync("survivor");
        await endpoint.Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = "alias/survivor", TargetKeyId = key.KeyId });
        await endpoint.Kms.TagResourceAsync(new TagResourceRequest { KeyId = key.KeyId, Tags = [new Tag { TagKey = "owner", TagValue = "ops" }] });
        await endpoint.Kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = key.KeyId, RotationPeriodInDays = 180 });
        var beforeRotation = await endpoint.Kms.EncryptTextAsync(key.KeyId, "before rotation", new Dictionary<string, string> { ["a"] = "b" });
        await endpoint.Kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = key.KeyId });
        var afterRotation = await endpoint.Kms.EncryptTextAsync("alias/survivor", "after rotation");
        var external = await endpoint.Kms.CreateKeyAsync(origin: OriginType.EXTERNAL);
        await endpoint.Kms.ImportAsync(external.KeyId, RandomNumberGenerator.GetBytes(32), validTo: DateTime.UtcNow.AddDays(30));
        var externalCiphertext = await endpoint.Kms.EncryptTextAsync(external.KeyId, "imported material");
        var seededCiphertext = await endpoint.Kms.EncryptTextAsync("alias/ImportedCMK", "seeded");
        var keysBefore = (await endpoint.Kms.ListKeysAsync(new ListKeysRequest())).Keys.Select(k => k.KeyId).Order().ToList();

        await endpoint.RestartAsync();

        Assert.Equal(keysBefore, (await endpoint.Kms.ListKeysAsync(new ListKeysRequest())).Keys.Select(k => k.KeyId).Order());
        Assert.Equal(key.KeyId, (await endpoint.Kms.DescribeAsync("alias/survivor")).KeyId);
        Assert.Equal("ops", Assert.Single((await endpoint.Kms.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = key.KeyId })).Tags).TagValue);
        var status = await endpoint.Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key.KeyId });
        Assert.True(status.KeyRotationEnabled);
        Assert.Equal(180, status.RotationPeriodInDays);
        Assert.Single((await endpoint.Kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = key.KeyId })).Rotations);
        Assert.Equal("before rotation", await endpoint.Kms.DecryptTextAsync(beforeRotation, new Dictionary<string, string> { ["a"] = "b" }));
        Assert.Equal("after rotation", await endpoint.Kms.DecryptTextAsync(afterRotation));
        Assert.Equal("imported material", await endpoint.Kms.DecryptTextAsync(externalCiphertext));
        Assert.Equal(ExpirationModelType.KEY_MATERIAL_EXPIRES, (await endpoint.Kms.DescribeAsync(external.KeyId)).ExpirationModel);
        Assert.Equal("seeded", await endpoint.Kms.DecryptTextAsync(seededCiphertext));
    }

    [Fact]
    public async Task An_import_token_issued_before_a_restart_still_imports_after_it()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(origin: OriginType.EXTERNAL);
        var parameters = await endpoint.Kms.GetParametersForImportAsync(new GetParametersForImportRequest { KeyId = key.KeyId, WrappingAlgorithm = "RSAES_OAEP_SHA_1", WrappingKeySpec = "RSA_2048" });

        await endpoint.RestartAsync();
        await endpoint.Kms.ImportKeyMaterialAsync(new ImportKeyMaterialRequest
        {
            KeyId = key.KeyId,
            ImportToken = new MemoryStream(parameters.ImportToken.ToArray()),
            EncryptedKeyMaterial = new MemoryStream(ImportWrapping.Wrap("RSAES_OAEP_SHA_1", parameters.PublicKey.ToArray(), RandomNumberGenerator.GetBytes(32))),
            ExpirationModel = ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE,
        });

        Assert.Equal(KeyState.Enabled, (await endpoint.Kms.DescribeAsync(key.KeyId)).KeyState);
    }

    [Fact]
    public async Task A_restart_does_not_seed_again()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync(seed: true);
        await endpoint.Kms.DeleteAliasAsync(new DeleteAliasRequest { AliasName = "alias/FirstCMK" });

        await endpoint.RestartAsync();

        await Assert.ThrowsAsync<NotFoundException>(() => endpoint.Kms.DescribeAsync("alias/FirstCMK"));
        Assert.Equal(2, (await endpoint.Kms.ListKeysAsync(new ListKeysRequest())).Keys.Count);
    }

    [Fact]
    public async Task Key_material_never_appears_in_plaintext_in_the_data_folder()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(origin: OriginType.EXTERNAL);
        var material = RandomNumberGenerator.GetBytes(32);
        await endpoint.Kms.ImportAsync(key.KeyId, material);
        await endpoint.Kms.EncryptTextAsync(key.KeyId, "flush");
        var dataKey = await endpoint.Kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = key.KeyId, KeySpec = DataKeySpec.AES_256 });

        await endpoint.Server.StopAsync();

        var files = Directory.GetFiles(endpoint.DataDirectory);
        Assert.Contains(files, f => f.EndsWith("localkms.db", StringComparison.Ordinal));
        foreach (var file in files.Where(f => !f.EndsWith(MasterKeyFileName, StringComparison.Ordinal)))
        {
            var bytes = await File.ReadAllBytesAsync(file);
            Assert.Equal(-1, bytes.AsSpan().IndexOf(material));
            Assert.Equal(-1, bytes.AsSpan().IndexOf(material.AsSpan(0, 16)));
            Assert.Equal(-1, bytes.AsSpan().IndexOf(dataKey.Plaintext.ToArray()));
            Assert.Equal(-1, bytes.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(material))));
        }
    }

    [Fact]
    public async Task Imported_private_keys_and_HMAC_keys_and_data_key_pairs_never_appear_in_plaintext_in_the_data_folder()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var ecc = await endpoint.Kms.CreateKeyAsync(origin: OriginType.EXTERNAL, keySpec: KeySpec.ECC_NIST_P256, keyUsage: KeyUsageType.SIGN_VERIFY);
        var hmac = await endpoint.Kms.CreateKeyAsync(origin: OriginType.EXTERNAL, keySpec: KeySpec.HMAC_256, keyUsage: KeyUsageType.GENERATE_VERIFY_MAC);
        using var privateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var scalar = privateKey.ExportParameters(includePrivateParameters: true).D!;
        var hmacKey = RandomNumberGenerator.GetBytes(32);
        await endpoint.Kms.ImportAsync(ecc.KeyId, privateKey.ExportPkcs8PrivateKey());
        await endpoint.Kms.ImportAsync(hmac.KeyId, hmacKey);
        var symmetric = await endpoint.Kms.CreateKeyAsync();
        var pair = await endpoint.Kms.GenerateDataKeyPairAsync(new GenerateDataKeyPairRequest { KeyId = symmetric.KeyId, KeyPairSpec = DataKeyPairSpec.RSA_2048 });

        await endpoint.Server.StopAsync();

        foreach (var file in Directory.GetFiles(endpoint.DataDirectory).Where(f => !f.EndsWith(MasterKeyFileName, StringComparison.Ordinal)))
        {
            var bytes = await File.ReadAllBytesAsync(file);
            Assert.Equal(-1, bytes.AsSpan().IndexOf(scalar));
            Assert.Equal(-1, bytes.AsSpan().IndexOf(hmacKey.AsSpan(0, 16)));
            Assert.Equal(-1, bytes.AsSpan().IndexOf(pair.PrivateKeyPlaintext.ToArray().AsSpan(0, 64)));
        }
    }

    [SkippableFact]
    public async Task The_master_key_file_is_readable_by_its_owner_only()
    {
        Skip.If(OperatingSystem.IsWindows(), "Unix file modes only");
        await using var endpoint = await KmsTestEndpoint.StartAsync();

        var mode = OperatingSystem.IsWindows() ? default : File.GetUnixFileMode(Path.Combine(endpoint.DataDirectory, MasterKeyFileName));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
        Assert.Equal(32, new FileInfo(Path.Combine(endpoint.DataDirectory, MasterKeyFileName)).Length);
    }

    [Fact]
    public async Task A_database_without_its_master_key_refuses_to_start()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync(seed: true);
        await endpoint.Server.StopAsync();
        File.Delete(Path.Combine(endpoint.DataDirectory, MasterKeyFileName));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            LocalKmsServer.StartAsync(new LocalKmsOptions { DataDirectory = endpoint.DataDirectory }));

        Assert.Contains("master.key", error.Message);
    }

    private const string MasterKeyFileName = "master.key";
}
