using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.Benchmarks.Targets;

namespace KmsConsole.Benchmarks.Load;

/// <summary>The three calls the benchmark measures, each one request through the AWS SDK client.</summary>
public enum KmsOperation
{
    DescribeKey,
    Encrypt,
    Decrypt,
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
            default:
                throw new ArgumentOutOfRangeException(nameof(operation), operation, null);
        }
    }
}
