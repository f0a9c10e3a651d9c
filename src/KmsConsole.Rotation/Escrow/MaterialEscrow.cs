using System.Security.Cryptography;
using System.Text;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.Rotation.Persistence;
using KmsConsole.Rotation.Workflows;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Escrow;

/// <summary>
/// Keeps imported key material so a key whose material expired or was deleted can be restored (AWS cannot
/// give imported material back). Envelope encryption: a data key from GenerateDataKey under the escrow KMS
/// key seals the material with AES-GCM; only the wrapped data key and the ciphertext are stored. Plaintext
/// buffers are zeroed as soon as they are used, and nothing here is logged.
/// </summary>
internal sealed class MaterialEscrow(RotationStore store, IOptions<RotationOptions> options)
{
    public const int MaterialBytes = 32;
    private const string EscrowTag = "kmsconsole:escrow-key";

    /// <summary>The escrow key's ARN on the target, created with its alias when absent.</summary>
    public async Task<string> EnsureEscrowKeyAsync(IAmazonKeyManagementService kms, CancellationToken cancellationToken)
    {
        var alias = options.Value.EscrowKeyAlias;
        if (await KmsKeys.FindAsync(kms, alias, cancellationToken) is { } existing)
        {
            return existing.Arn;
        }

        // Check before creating: an earlier attempt may have created the key and failed before its alias.
        var key = await KmsKeys.FindKeyByTagAsync(kms, EscrowTag, alias, cancellationToken)
            ?? (await kms.CreateKeyAsync(new CreateKeyRequest
            {
                Description = "KmsConsole escrow of imported key material",
                Tags = [new Tag { TagKey = EscrowTag, TagValue = alias }],
            }, cancellationToken)).KeyMetadata;
        // The escrow key protects every escrowed material for years: KMS rotates it yearly (idempotent call).
        await KmsKeys.ReadAsync(() => kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = key.KeyId }, cancellationToken), cancellationToken);
        try
        {
            await kms.CreateAliasAsync(new CreateAliasRequest { AliasName = alias, TargetKeyId = key.KeyId }, cancellationToken);
            return key.Arn;
        }
        catch (AlreadyExistsException)
        {
            // Another instance (or a lost answer to our own call) set the alias first; use the key it names.
            return (await KmsKeys.DescribeAsync(kms, alias, cancellationToken)).KeyMetadata.Arn;
        }
    }

    /// <summary>Generates fresh 256-bit material from the CSPRNG and escrows it; returns the escrow row id.</summary>
    public async Task<Guid> GenerateAndSealAsync(IAmazonKeyManagementService kms, Run run, string keyId, CancellationToken cancellationToken)
    {
        var material = new byte[MaterialBytes];
        try
        {
            RandomNumberGenerator.Fill(material);
            return await SealAsync(kms, run, keyId, material, cancellationToken);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
        }
    }

    private async Task<Guid> SealAsync(IAmazonKeyManagementService kms, Run run, string keyId, byte[] material, CancellationToken cancellationToken)
    {
        var escrowKeyArn = await EnsureEscrowKeyAsync(kms, cancellationToken);
        var dataKey = await KmsKeys.ReadAsync(() => kms.GenerateDataKeyAsync(new GenerateDataKeyRequest
        {
            KeyId = escrowKeyArn,
            KeySpec = DataKeySpec.AES_256,
            EncryptionContext = Context(run.Target, keyId),
        }, cancellationToken), cancellationToken);

        var plainKey = dataKey.Plaintext.ToArray();
        ZeroStream(dataKey.Plaintext);
        var row = new EscrowedMaterial
        {
            Id = Guid.NewGuid(),
            RunId = run.Id,
            Target = run.Target,
            KeyId = keyId,
            EscrowKeyArn = escrowKeyArn,
            WrappedDataKey = dataKey.CiphertextBlob.ToArray(),
            Nonce = RandomNumberGenerator.GetBytes(AesGcm.NonceByteSizes.MaxSize),
            Ciphertext = new byte[material.Length],
            Tag = new byte[AesGcm.TagByteSizes.MaxSize],
            CreatedAt = store.Time.GetUtcNow(),
        };
        try
        {
            using var aes = new AesGcm(plainKey, row.Tag.Length);
            aes.Encrypt(row.Nonce, material, row.Ciphertext, row.Tag, AssociatedData(row));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plainKey);
        }

        await store.WriteAsync(async (db, audit) =>
        {
            db.EscrowedMaterials.Add(row);
            await audit.AppendAsync("orchestrator", "material.escrowed", $"{run.Target}:{keyId}",
                $"Imported key material escrowed under {escrowKeyArn}", dataKey.ResponseMetadata?.RequestId, run.Id);
        }, cancellationToken);
        return row.Id;
    }

    /// <summary>Unseals escrowed material into a new buffer; the caller zeroes it.</summary>
    public async Task<byte[]> OpenAsync(IAmazonKeyManagementService kms, Guid escrowId, CancellationToken cancellationToken)
    {
        EscrowedMaterial row;
        await using (var db = await store.ReadAsync(cancellationToken))
        {
            row = await db.EscrowedMaterials.AsNoTracking().SingleAsync(e => e.Id == escrowId, cancellationToken);
        }

        var decrypted = await KmsKeys.ReadAsync(() => kms.DecryptAsync(new DecryptRequest
        {
            CiphertextBlob = new MemoryStream(row.WrappedDataKey),
            KeyId = row.EscrowKeyArn,
            EncryptionContext = Context(row.Target, row.KeyId),
        }, cancellationToken), cancellationToken);
        var plainKey = decrypted.Plaintext.ToArray();
        ZeroStream(decrypted.Plaintext);
        var material = new byte[row.Ciphertext.Length];
        try
        {
            using var aes = new AesGcm(plainKey, row.Tag.Length);
            aes.Decrypt(row.Nonce, row.Ciphertext, row.Tag, material, AssociatedData(row));
            return material;
        }
        catch
        {
            CryptographicOperations.ZeroMemory(material);
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plainKey);
        }
    }

    public async Task<EscrowSummary?> FindForRunAsync(Guid runId, string keyId, CancellationToken cancellationToken)
    {
        await using var db = await store.ReadAsync(cancellationToken);
        return await db.EscrowedMaterials.AsNoTracking().Where(e => e.RunId == runId && e.KeyId == keyId)
            .OrderByDescending(e => e.CreatedAt).Select(e => new EscrowSummary(e.Id, e.KeyId, e.KeyMaterialId, e.CreatedAt))
            .FirstOrDefaultAsync(cancellationToken);
    }

    /// <summary>The latest escrowed material of a key (any run), optionally a given material id.</summary>
    public async Task<EscrowSummary?> FindForKeyAsync(string target, string keyId, string? keyMaterialId, CancellationToken cancellationToken)
    {
        await using var db = await store.ReadAsync(cancellationToken);
        var query = db.EscrowedMaterials.AsNoTracking().Where(e => e.Target == target && e.KeyId == keyId);
        if (keyMaterialId is not null)
        {
            query = query.Where(e => e.KeyMaterialId == keyMaterialId);
        }

        return await query.OrderByDescending(e => e.CreatedAt).Select(e => new EscrowSummary(e.Id, e.KeyId, e.KeyMaterialId, e.CreatedAt))
            .FirstOrDefaultAsync(cancellationToken);
    }

    public Task RecordMaterialIdAsync(Guid escrowId, string keyMaterialId, CancellationToken cancellationToken) =>
        store.WriteAsync(async (db, _) =>
        {
            var row = await db.EscrowedMaterials.SingleAsync(e => e.Id == escrowId, cancellationToken);
            row.KeyMaterialId = keyMaterialId;
        }, cancellationToken);

    private static Dictionary<string, string> Context(string target, string keyId) =>
        new() { ["kmsconsole:purpose"] = "escrow", ["kmsconsole:target"] = target, ["kmsconsole:key-id"] = keyId };

    private static byte[] AssociatedData(EscrowedMaterial row) =>
        Encoding.UTF8.GetBytes($"kmsconsole-escrow|{row.Id:N}|{row.Target}|{row.KeyId}");

    private static void ZeroStream(MemoryStream stream)
    {
        if (stream.TryGetBuffer(out var buffer))
        {
            CryptographicOperations.ZeroMemory(buffer.AsSpan());
        }
        else if (stream.CanWrite)
        {
            stream.Position = 0;
            stream.Write(new byte[stream.Length]);
        }
    }
}

internal sealed record EscrowSummary(Guid Id, string KeyId, string? KeyMaterialId, DateTimeOffset CreatedAt);

/// <summary>Wraps key material for ImportKeyMaterial with the public key from GetParametersForImport, in .NET.</summary>
internal static class ImportWrapping
{
    public static byte[] Wrap(ReadOnlySpan<byte> material, byte[] publicKeyDer, string wrappingAlgorithm)
    {
        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(publicKeyDer, out _);
        var padding = wrappingAlgorithm == RotationParameters.OaepSha256 ? RSAEncryptionPadding.OaepSHA256
            : wrappingAlgorithm == RotationParameters.OaepSha1 ? RSAEncryptionPadding.OaepSHA1
            : throw new RotationRefusedException($"Wrapping algorithm {wrappingAlgorithm} is not supported; use RSAES_OAEP_SHA_256 or RSAES_OAEP_SHA_1.",
                kind: RefusalKind.Invalid) { Field = nameof(RotationParameters.WrappingAlgorithm) };
        return rsa.Encrypt(material, padding);
    }
}
