using System.Globalization;
using System.Text.Json;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Tests.External.Endpoints;
using KmsConsole.Testing;
using Xunit.Abstractions;

namespace KmsConsole.LocalKms.Tests.External.Workshop;

/// <summary>
/// Runs the seed workshop's own commands (shared/reference/seed-rotating-kms-cmks.txt) with the
/// machine's aws CLI and openssl against a freshly seeded local endpoint, then checks the outcome
/// through the CLI and through the AWS SDK.
/// </summary>
[Collection(ExternalEndpointsCollection.Name)]
public sealed class SeedWorkshopCliTests(ITestOutputHelper output)
{
    private static readonly Lazy<string?> Aws = new(() => ExternalTool.Find("aws"));
    private static readonly Lazy<string?> OpenSsl = new(() => ExternalTool.Find("openssl"));

    [SkippableFact]
    public async Task The_workshop_rotations_run_with_the_aws_cli_and_openssl()
    {
        Skip.If(Aws.Value is null, "The AWS CLI (aws) is not installed; the workshop test runs the workshop's own aws commands (.ci/run installs awscli).");
        Skip.If(OpenSsl.Value is null, "openssl is not installed; the workshop wraps the imported key material with openssl (.ci/run installs it).");

        await using var endpoint = await LocalKmsEndpoint.StartAsync(seed: true);
        var folder = Directory.CreateTempSubdirectory("kms-workshop-");
        try
        {
            await RunWorkshopAndCheckAsync(endpoint.Endpoint, folder.FullName);
        }
        finally
        {
            // genkey.bin is plaintext key material: never leave it behind.
            folder.Delete(recursive: true);
        }
    }

    private async Task RunWorkshopAndCheckAsync(Uri endpoint, string folder)
    {
        var aws = new AwsCli(Aws.Value!, endpoint, folder, output.WriteLine);
        using var kms = KmsTarget.CreateClient(endpoint, accessKeyId: "AKIDWORKSHOP");

        // The seeded world the workshop starts from.
        var firstCmk = (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = "alias/FirstCMK" })).KeyMetadata;
        var importedCmk = (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = "alias/ImportedCMK" })).KeyMetadata;
        Assert.Equal(OriginType.AWS_KMS, firstCmk.Origin);
        Assert.Equal(OriginType.EXTERNAL, importedCmk.Origin);
        Assert.Equal(KeyState.Enabled, importedCmk.KeyState);
        var beforeFirst = await EncryptAsync(kms, "alias/FirstCMK", "made under the first FirstCMK");
        var beforeImported = await EncryptAsync(kms, "alias/ImportedCMK", "made under the first ImportedCMK");

        // 1. Automatic rotation of the AWS_KMS key.
        await aws.KmsAsync("enable-key-rotation", "--key-id", firstCmk.KeyId);

        // 2. New key, then move the alias.
        var created = await aws.KmsAsync("create-key");
        var newKeyId = created!.Value.GetProperty("KeyMetadata").GetProperty("KeyId").GetString()!;
        await aws.KmsAsync("update-alias", "--alias", "alias/FirstCMK", "--target-key-id", newKeyId);

        // 3. New EXTERNAL key with imported material, then move the alias.
        var external = await aws.KmsAsync("create-key", "--origin=EXTERNAL");
        var externalMetadata = external!.Value.GetProperty("KeyMetadata");
        var externalKeyId = externalMetadata.GetProperty("KeyId").GetString()!;
        Assert.Equal("PendingImport", externalMetadata.GetProperty("KeyState").GetString());
        var parameters = await aws.KmsAsync(
            "get-parameters-for-import", "--key-id", externalKeyId,
            "--wrapping-algorithm", "RSAES_OAEP_SHA_1", "--wrapping-key-spec", "RSA_2048");
        // The workshop pastes PublicKey and ImportToken into files with vi (which ends the line).
        await File.WriteAllTextAsync(Path.Combine(folder, "pkey.b64"), parameters!.Value.GetProperty("PublicKey").GetString() + "\n");
        await File.WriteAllTextAsync(Path.Combine(folder, "token.b64"), parameters.Value.GetProperty("ImportToken").GetString() + "\n");
        await OpenSslAsync(folder, "enc", "-d", "-base64", "-A", "-in", "pkey.b64", "-out", "pkey.bin");
        await OpenSslAsync(folder, "enc", "-d", "-base64", "-A", "-in", "token.b64", "-out", "token.bin");
        await OpenSslAsync(folder, "rand", "-out", "genkey.bin", "32");
        Assert.Equal(32, new FileInfo(Path.Combine(folder, "genkey.bin")).Length);
        await WrapKeyMaterialAsync(folder);

        var validTo = DateTimeOffset.UtcNow.AddDays(30);
        validTo = new DateTimeOffset(validTo.Year, validTo.Month, validTo.Day, 12, 0, 0, TimeSpan.FromHours(-8));
        // The workshop's form: 2022-06-02T12:00:00-08:00, moved into the future.
        var validToText = validTo.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
        await aws.KmsAsync(
            "import-key-material", "--key-id", externalKeyId,
            "--encrypted-key-material", "fileb://WrappedKeyMaterial.bin",
            "--import-token", "fileb://token.bin",
            "--expiration-model", "KEY_MATERIAL_EXPIRES", "--valid-to", validToText);
        await aws.KmsAsync("update-alias", "--alias", "alias/ImportedCMK", "--target-key-id", externalKeyId);

        // Outcome, through the CLI.
        var rotation = await aws.KmsAsync("get-key-rotation-status", "--key-id", firstCmk.KeyId);
        Assert.True(rotation!.Value.GetProperty("KeyRotationEnabled").GetBoolean());
        var aliases = (await aws.KmsAsync("list-aliases"))!.Value.GetProperty("Aliases").EnumerateArray()
            .Where(a => a.TryGetProperty("TargetKeyId", out _))
            .ToDictionary(a => a.GetProperty("AliasName").GetString()!, a => a.GetProperty("TargetKeyId").GetString()!);
        Assert.Equal(newKeyId, aliases["alias/FirstCMK"]);
        Assert.Equal(externalKeyId, aliases["alias/ImportedCMK"]);
        var imported = (await aws.KmsAsync("describe-key", "--key-id", "alias/ImportedCMK"))!.Value.GetProperty("KeyMetadata");
        Assert.Equal(externalKeyId, imported.GetProperty("KeyId").GetString());
        Assert.Equal("Enabled", imported.GetProperty("KeyState").GetString());
        Assert.Equal("EXTERNAL", imported.GetProperty("Origin").GetString());
        Assert.Equal("KEY_MATERIAL_EXPIRES", imported.GetProperty("ExpirationModel").GetString());
        Assert.Equal(validTo, AwsCli.Timestamp(imported.GetProperty("ValidTo")));
        foreach (var alias in new[] { "alias/FirstCMK", "alias/ImportedCMK" })
        {
            await CliRoundTripAsync(aws, folder, alias, alias == "alias/FirstCMK" ? newKeyId : externalKeyId);
        }

        // Outcome, through the SDK.
        var status = await kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = firstCmk.KeyId });
        Assert.True(status.KeyRotationEnabled);
        Assert.Equal(365, status.RotationPeriodInDays);
        Assert.NotNull(status.NextRotationDate);
        var first = (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = "alias/FirstCMK" })).KeyMetadata;
        Assert.Equal(newKeyId, first.KeyId);
        Assert.Equal(KeyState.Enabled, first.KeyState);
        var importedKey = (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = "alias/ImportedCMK" })).KeyMetadata;
        Assert.Equal(externalKeyId, importedKey.KeyId);
        Assert.Equal(KeyState.Enabled, importedKey.KeyState);
        Assert.True(importedKey.Enabled);
        Assert.Equal(ExpirationModelType.KEY_MATERIAL_EXPIRES, importedKey.ExpirationModel);
        Assert.Equal(validTo.UtcDateTime, importedKey.ValidTo!.Value.ToUniversalTime());
        foreach (var (alias, keyId) in new[] { ("alias/FirstCMK", newKeyId), ("alias/ImportedCMK", externalKeyId) })
        {
            var ciphertext = await EncryptAsync(kms, alias, $"through {alias}");
            var decrypted = await kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(ciphertext) });
            Assert.EndsWith(keyId, decrypted.KeyId, StringComparison.Ordinal);
            Assert.Equal($"through {alias}", System.Text.Encoding.UTF8.GetString(decrypted.Plaintext.ToArray()));
        }

        // What the old keys encrypted before the rotations still decrypts, under the old keys.
        var oldFirst = await kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(beforeFirst) });
        Assert.Equal(firstCmk.Arn, oldFirst.KeyId);
        Assert.Equal("made under the first FirstCMK", System.Text.Encoding.UTF8.GetString(oldFirst.Plaintext.ToArray()));
        var oldImported = await kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(beforeImported) });
        Assert.Equal(importedCmk.Arn, oldImported.KeyId);
    }

    // The workshop wraps with `openssl rsautl ... -oaep`. OpenSSL 3 deprecates rsautl; it still
    // runs it, and only if it fails do we use pkeyutl with the same OAEP (SHA-1) padding.
    private async Task WrapKeyMaterialAsync(string folder)
    {
        var rsautl = await ExternalTool.RunAsync(
            OpenSsl.Value!,
            ["rsautl", "-encrypt", "-in", "genkey.bin", "-oaep", "-inkey", "pkey.bin", "-keyform", "DER", "-pubin", "-out", "WrappedKeyMaterial.bin"],
            folder);
        output.WriteLine($"$ {rsautl.Command}  → exit {rsautl.ExitCode} {rsautl.StandardError.Trim()}");
        if (!rsautl.Succeeded)
        {
            output.WriteLine("openssl rsautl failed on this machine; falling back to openssl pkeyutl with OAEP padding (same wrapping).");
            await OpenSslAsync(
                folder, "pkeyutl", "-encrypt", "-pubin", "-keyform", "DER", "-inkey", "pkey.bin",
                "-pkeyopt", "rsa_padding_mode:oaep", "-in", "genkey.bin", "-out", "WrappedKeyMaterial.bin");
        }

        Assert.Equal(256, new FileInfo(Path.Combine(folder, "WrappedKeyMaterial.bin")).Length);
    }

    private async Task OpenSslAsync(string folder, params string[] arguments)
    {
        var result = await ExternalTool.RunAsync(OpenSsl.Value!, arguments, folder);
        output.WriteLine($"$ {result.Command}  → exit {result.ExitCode}");
        Assert.True(result.Succeeded, $"the workshop's openssl step failed:\n{result}");
    }

    private static async Task CliRoundTripAsync(AwsCli aws, string folder, string alias, string expectedKeyId)
    {
        var plainFile = Path.Combine(folder, "plain.txt");
        var cipherFile = Path.Combine(folder, "cipher.bin");
        var plaintext = $"cli round trip through {alias}";
        await File.WriteAllTextAsync(plainFile, plaintext);

        var encrypted = await aws.KmsAsync("encrypt", "--key-id", alias, "--plaintext", "fileb://plain.txt");
        Assert.EndsWith(expectedKeyId, encrypted!.Value.GetProperty("KeyId").GetString(), StringComparison.Ordinal);
        await File.WriteAllBytesAsync(cipherFile, Convert.FromBase64String(encrypted.Value.GetProperty("CiphertextBlob").GetString()!));
        var decrypted = await aws.KmsAsync("decrypt", "--ciphertext-blob", "fileb://cipher.bin");

        Assert.EndsWith(expectedKeyId, decrypted!.Value.GetProperty("KeyId").GetString(), StringComparison.Ordinal);
        Assert.Equal(plaintext, System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(decrypted.Value.GetProperty("Plaintext").GetString()!)));
    }

    private static async Task<byte[]> EncryptAsync(IAmazonKeyManagementService kms, string keyId, string text)
    {
        var response = await kms.EncryptAsync(new EncryptRequest
        {
            KeyId = keyId,
            Plaintext = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)),
        });
        return response.CiphertextBlob.ToArray();
    }
}
