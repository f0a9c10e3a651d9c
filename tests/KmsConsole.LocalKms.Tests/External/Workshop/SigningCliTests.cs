using KmsConsole.LocalKms.Tests.External.Endpoints;
using KmsConsole.Testing;
using Xunit.Abstractions;

namespace KmsConsole.LocalKms.Tests.External.Workshop;

/// <summary>
/// Signatures, MACs and shared secrets of the local endpoint checked the way an operator checks them by hand:
/// the AWS CLI against the endpoint, openssl on the files it writes (public keys as DER, signatures as raw bytes).
/// </summary>
[Collection(ExternalEndpointsCollection.Name)]
public sealed class SigningCliTests(ITestOutputHelper output)
{
    private static readonly Lazy<string?> Aws = new(() => ExternalTool.Find("aws"));
    private static readonly Lazy<string?> OpenSsl = new(() => ExternalTool.Find("openssl"));

    [SkippableTheory]
    [InlineData("ECC_NIST_P256", "ECDSA_SHA_256", new string[0])]
    [InlineData("ECC_SECG_P256K1", "ECDSA_SHA_256", new string[0])]
    [InlineData("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256", new string[0])]
    [InlineData("RSA_2048", "RSASSA_PSS_SHA_256", new[] { "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32" })]
    public async Task A_signature_from_aws_kms_sign_verifies_with_openssl_dgst(string keySpec, string algorithm, string[] sigopts)
    {
        await InFolderAsync(async (aws, folder) =>
        {
            var key = await aws.KmsAsync("create-key", "--key-spec", keySpec, "--key-usage", "SIGN_VERIFY");
            var keyId = key!.Value.GetProperty("KeyMetadata").GetProperty("KeyId").GetString()!;
            await File.WriteAllTextAsync(Path.Combine(folder, "message.txt"), "release 4.2 approved");

            var signed = await aws.KmsAsync("sign", "--key-id", keyId, "--message", "fileb://message.txt", "--message-type", "RAW", "--signing-algorithm", algorithm);
            await File.WriteAllBytesAsync(Path.Combine(folder, "signature.bin"), Convert.FromBase64String(signed!.Value.GetProperty("Signature").GetString()!));
            await SavePublicKeyAsync(aws, folder, keyId);

            var verified = await OpenSslAsync(folder, ["dgst", "-sha256", .. sigopts, "-verify", "public.pem", "-signature", "signature.bin", "message.txt"]);
            Assert.Contains("Verified OK", verified.StandardOutput);

            await File.WriteAllTextAsync(Path.Combine(folder, "message.txt"), "release 4.3 approved");
            var tampered = await ExternalTool.RunAsync(OpenSsl.Value!, ["dgst", "-sha256", .. sigopts, "-verify", "public.pem", "-signature", "signature.bin", "message.txt"], folder);
            Assert.False(tampered.Succeeded);
        });
    }

    [SkippableFact]
    public async Task A_mac_of_material_made_by_openssl_and_imported_equals_openssl_s_HMAC()
    {
        await InFolderAsync(async (aws, folder) =>
        {
            var key = await aws.KmsAsync("create-key", "--key-spec", "HMAC_256", "--key-usage", "GENERATE_VERIFY_MAC", "--origin", "EXTERNAL");
            var keyId = key!.Value.GetProperty("KeyMetadata").GetProperty("KeyId").GetString()!;
            var parameters = await aws.KmsAsync("get-parameters-for-import", "--key-id", keyId, "--wrapping-algorithm", "RSAES_OAEP_SHA_256", "--wrapping-key-spec", "RSA_2048");
            await File.WriteAllBytesAsync(Path.Combine(folder, "wrapping.der"), Convert.FromBase64String(parameters!.Value.GetProperty("PublicKey").GetString()!));
            await File.WriteAllBytesAsync(Path.Combine(folder, "token.bin"), Convert.FromBase64String(parameters.Value.GetProperty("ImportToken").GetString()!));
            await OpenSslAsync(folder, "rand", "-out", "hmac.bin", "32");
            await OpenSslAsync(folder, "pkeyutl", "-encrypt", "-pubin", "-keyform", "DER", "-inkey", "wrapping.der", "-in", "hmac.bin", "-out", "wrapped.bin",
                "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256");
            await aws.KmsAsync("import-key-material", "--key-id", keyId, "--encrypted-key-material", "fileb://wrapped.bin", "--import-token", "fileb://token.bin",
                "--expiration-model", "KEY_MATERIAL_DOES_NOT_EXPIRE");
            await File.WriteAllTextAsync(Path.Combine(folder, "message.txt"), "invoice 118");

            var mac = await aws.KmsAsync("generate-mac", "--key-id", keyId, "--mac-algorithm", "HMAC_SHA_256", "--message", "fileb://message.txt");
            var hexKey = Convert.ToHexStringLower(await File.ReadAllBytesAsync(Path.Combine(folder, "hmac.bin")));
            await OpenSslAsync(folder, "dgst", "-sha256", "-mac", "HMAC", "-macopt", $"hexkey:{hexKey}", "-binary", "-out", "mac.bin", "message.txt");

            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(folder, "mac.bin")), Convert.FromBase64String(mac!.Value.GetProperty("Mac").GetString()!));
        });
    }

    [SkippableFact]
    public async Task A_shared_secret_from_aws_kms_derive_shared_secret_equals_openssl_s_derivation()
    {
        await InFolderAsync(async (aws, folder) =>
        {
            var key = await aws.KmsAsync("create-key", "--key-spec", "ECC_NIST_P256", "--key-usage", "KEY_AGREEMENT");
            var keyId = key!.Value.GetProperty("KeyMetadata").GetProperty("KeyId").GetString()!;
            await SavePublicKeyAsync(aws, folder, keyId);
            await OpenSslAsync(folder, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "peer.pem");
            await OpenSslAsync(folder, "pkey", "-in", "peer.pem", "-pubout", "-outform", "DER", "-out", "peer-public.der");

            var derived = await aws.KmsAsync("derive-shared-secret", "--key-id", keyId, "--key-agreement-algorithm", "ECDH", "--public-key", "fileb://peer-public.der");
            await OpenSslAsync(folder, "pkeyutl", "-derive", "-inkey", "peer.pem", "-peerkey", "public.pem", "-out", "secret.bin");

            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(folder, "secret.bin")), Convert.FromBase64String(derived!.Value.GetProperty("SharedSecret").GetString()!));
        });
    }

    private async Task InFolderAsync(Func<AwsCli, string, Task> steps)
    {
        Skip.If(Aws.Value is null, "The AWS CLI (aws) is not installed; these checks run the aws commands an operator would (.ci/run installs awscli).");
        Skip.If(OpenSsl.Value is null, "openssl is not installed; these checks verify with openssl (.ci/run installs it).");
        await using var endpoint = await LocalKmsEndpoint.StartAsync(seed: false);
        var folder = Directory.CreateTempSubdirectory("kms-signing-");
        try
        {
            await steps(new AwsCli(Aws.Value!, endpoint.Endpoint, folder.FullName, output.WriteLine), folder.FullName);
        }
        finally
        {
            // The folder may hold key material (hmac.bin, peer.pem): never leave it behind.
            folder.Delete(recursive: true);
        }
    }

    private async Task SavePublicKeyAsync(AwsCli aws, string folder, string keyId)
    {
        var publicKey = await aws.KmsAsync("get-public-key", "--key-id", keyId);
        await File.WriteAllBytesAsync(Path.Combine(folder, "public.der"), Convert.FromBase64String(publicKey!.Value.GetProperty("PublicKey").GetString()!));
        await OpenSslAsync(folder, "pkey", "-pubin", "-inform", "DER", "-in", "public.der", "-out", "public.pem");
    }

    private async Task<ToolResult> OpenSslAsync(string folder, params string[] arguments)
    {
        var result = await ExternalTool.RunAsync(OpenSsl.Value!, arguments, folder);
        output.WriteLine($"$ openssl {string.Join(' ', arguments)}  → exit {result.ExitCode}");
        Assert.True(result.Succeeded, $"the openssl step failed:\n{result}");
        return result;
    }
}
