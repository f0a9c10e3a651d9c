using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.Benchmarks.Targets;

namespace KmsConsole.Benchmarks.Load;

/// <summary>The calls the benchmark measures, each one request through the AWS SDK client.</summary>
public enum KmsOperation
{
    DescribeKey,
    Encrypt,
    Decrypt,

    /// <summary>ECDSA_SHA_256 over the 32-byte plaintext with an ECC_NIST_P256 key.</summary>
    Sign,

    /// <summary>HMAC_SHA_256 over the 32-byte plaintext with an HMAC_256 key.</summary>
    GenerateMac,
}

public static class KmsCalls
{
    public static async Task CallAsync(IAmazonKeyManagementService client, BenchmarkTarget target, KmsOperation operation, CancellationToken cancellationToken)
    {
        switch (operation)
        {
            case KmsOperation.DescribeKey:
                var described = await client.DescribeKeyAsync(new DescribeKeyRequest { KeyId = target.KeyId }, cancellationToken);
                if (described.KeyMetadata.KeyId != target.KeyId)
                {
                    throw new InvalidOperationException("DescribeKey answered for another key");
                }

                break;
            case KmsOperation.Encrypt:
                var encrypted = await client.EncryptAsync(
                    new EncryptRequest { KeyId = target.KeyId, Plaintext = new MemoryStream(BenchmarkTarget.Plaintext, writable: false) },
                    cancellationToken);
                if (encrypted.CiphertextBlob.Length <= BenchmarkTarget.Plaintext.Length)
                {
                    throw new InvalidOperationException("Encrypt answered with a short ciphertext");
                }

                break;
            case KmsOperation.Decrypt:
                var decrypted = await client.DecryptAsync(
                    new DecryptRequest { CiphertextBlob = new MemoryStream(target.Ciphertext, writable: false) },
                    cancellationToken);
                if (!decrypted.Plaintext.ToArray().AsSpan().SequenceEqual(BenchmarkTarget.Plaintext))
                {
                    throw new InvalidOperationException("Decrypt answered with other plaintext");
                }

                break;
            case KmsOperation.Sign:
                var signed = await client.SignAsync(
                    new SignRequest
                    {
                        KeyId = target.SigningKeyId,
                        Message = new MemoryStream(BenchmarkTarget.Plaintext, writable: false),
                        SigningAlgorithm = SigningAlgorithmSpec.ECDSA_SHA_256,
                    },
                    cancellationToken);
                if (signed.Signature.Length < 64)
                {
                    throw new InvalidOperationException("Sign answered with a short signature");
                }

                break;
            case KmsOperation.GenerateMac:
                var mac = await client.GenerateMacAsync(
                    new GenerateMacRequest
                    {
                        KeyId = target.MacKeyId,
                        Message = new MemoryStream(BenchmarkTarget.Plaintext, writable: false),
                        MacAlgorithm = MacAlgorithmSpec.HMAC_SHA_256,
                    },
                    cancellationToken);
                if (mac.Mac.Length != 32)
                {
                    throw new InvalidOperationException("GenerateMac answered with a MAC that is not 32 bytes");
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(operation), operation, null);
        }
    }
}
