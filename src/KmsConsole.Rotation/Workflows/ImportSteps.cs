using System.Globalization;
using System.Security.Cryptography;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.Rotation.Escrow;
using KmsConsole.Rotation.Runs;

namespace KmsConsole.Rotation.Workflows;

internal static class RunValues
{
    public const string RunKey = "KeyId";
    public const string EscrowId = "EscrowId";
    public const string PublicKey = "ImportPublicKey";
    public const string ImportToken = "ImportToken";
    public const string ParametersValidTo = "ImportParametersValidTo";
    public const string MaterialsBefore = "MaterialsBefore";

    public static string KeyOf(StepContext context, string valueName) =>
        valueName == RunKey ? context.Run.KeyId : context.Require(valueName);
}

/// <summary>GetParametersForImport: an RSA_2048 wrapping public key and an import token (valid 24 hours); neither is secret.</summary>
internal sealed class GetImportParametersStep(IAmazonKeyManagementService kms, string keyValueName) : WorkflowStep
{
    public override string Key => StepKey.GetImportParameters;
    public override string Name => "Get import parameters";
    public override string Description => "GetParametersForImport with the chosen wrapping algorithm (RSA_2048 wrapping key).";

    public override async Task<StepResult> ExecuteAsync(StepContext context) => await FetchAsync(kms, context, keyValueName);

    public static async Task<StepResult> FetchAsync(IAmazonKeyManagementService kms, StepContext context, string keyValueName)
    {
        var keyId = RunValues.KeyOf(context, keyValueName);
        var response = await kms.GetParametersForImportAsync(new GetParametersForImportRequest
        {
            KeyId = keyId,
            WrappingAlgorithm = context.Parameters.WrappingAlgorithm,
            WrappingKeySpec = WrappingKeySpec.RSA_2048,
        }, context.CancellationToken);
        context.Set(RunValues.PublicKey, Convert.ToBase64String(response.PublicKey.ToArray()));
        context.Set(RunValues.ImportToken, Convert.ToBase64String(response.ImportToken.ToArray()));
        var validTo = response.ParametersValidTo ?? context.Time.GetUtcNow().UtcDateTime.AddHours(24);
        context.Set(RunValues.ParametersValidTo, new DateTimeOffset(DateTime.SpecifyKind(validTo, DateTimeKind.Utc)).ToString("O", CultureInfo.InvariantCulture));
        return new StepResult($"Wrapping key and import token for {keyId} ({context.Parameters.WrappingAlgorithm}), valid until {validTo:u}",
            response.RequestId());
    }
}

/// <summary>Generates 256-bit material from the CSPRNG and escrows it before it is ever imported.</summary>
internal sealed class GenerateAndEscrowStep(IAmazonKeyManagementService kms, MaterialEscrow escrow, string keyValueName) : WorkflowStep
{
    public override string Key => StepKey.GenerateAndEscrow;
    public override string Name => "Generate and escrow key material";
    public override string Description => "256-bit material from the CSPRNG, sealed under the escrow KMS key (GenerateDataKey + AES-GCM).";

    public override async Task<StepResult?> FindDoneAsync(StepContext context)
    {
        var existing = await escrow.FindForRunAsync(context.Run.Id, RunValues.KeyOf(context, keyValueName), context.CancellationToken);
        if (existing is null)
        {
            return null;
        }

        context.Set(RunValues.EscrowId, existing.Id.ToString());
        return new StepResult($"Material escrowed ({existing.Id})");
    }

    public override async Task<StepResult> ExecuteAsync(StepContext context)
    {
        var id = await escrow.GenerateAndSealAsync(kms, context.Run, RunValues.KeyOf(context, keyValueName), context.CancellationToken);
        context.Set(RunValues.EscrowId, id.ToString());
        return new StepResult($"Material generated and escrowed ({id})");
    }
}

/// <summary>Wraps the escrowed material with the import public key, in .NET, and calls ImportKeyMaterial.</summary>
/// <param name="addsToCurrentMaterial">The key already has material (new material in place): the import adds one more, counted before it.</param>
internal sealed class ImportMaterialStep(IAmazonKeyManagementService kms, MaterialEscrow escrow, string keyValueName, ImportType importType,
    bool addsToCurrentMaterial = false) : WorkflowStep
{
    public override string Key => StepKey.ImportMaterial;
    public override string Name => importType == ImportType.NEW_KEY_MATERIAL ? "Wrap and import new key material" : "Wrap and re-import the escrowed material";

    public override string Description => $"Wrap the material with the import public key (RSA OAEP, in .NET) and ImportKeyMaterial ({importType}), " +
        "expiring with ValidTo or not expiring, as chosen.";

    public override async Task<StepResult?> FindDoneAsync(StepContext context)
    {
        var keyId = RunValues.KeyOf(context, keyValueName);
        var metadata = (await KmsKeys.DescribeAsync(kms, keyId, context.CancellationToken)).KeyMetadata;
        if (context.Get(RunValues.MaterialsBefore) is { } before)
        {
            // Adding material to a key that already has some: done when the key has one more material than before.
            var materials = await KmsKeys.RotationsAsync(kms, keyId, includeMaterial: true, context.CancellationToken);
            return materials.Count > int.Parse(before, CultureInfo.InvariantCulture)
                ? new StepResult($"New material already imported into {keyId}")
                : null;
        }

        if (metadata.KeyState != KeyState.Enabled)
        {
            return null;
        }

        if (importType == ImportType.NEW_KEY_MATERIAL && addsToCurrentMaterial)
        {
            return null;
        }

        if (importType == ImportType.EXISTING_KEY_MATERIAL && !ExpiryMatches(metadata, context.Parameters))
        {
            return null;
        }

        return new StepResult($"{keyId} already has its material ({metadata.ExpirationModel}{(metadata.ValidTo is { } v ? $", valid to {v:u}" : "")})");
    }

    public override async Task<StepResult> ExecuteAsync(StepContext context)
    {
        var keyId = RunValues.KeyOf(context, keyValueName);
        if (addsToCurrentMaterial)
        {
            var materials = await KmsKeys.RotationsAsync(kms, keyId, includeMaterial: true, context.CancellationToken);
            context.Set(RunValues.MaterialsBefore, materials.Count.ToString(CultureInfo.InvariantCulture));
            await context.CheckpointAsync();
        }

        if (context.Get(RunValues.ParametersValidTo) is not { } validTo
            || DateTimeOffset.Parse(validTo, CultureInfo.InvariantCulture) < context.Time.GetUtcNow().AddMinutes(5))
        {
            // The import token lasts 24 hours; a run resumed later asks for fresh parameters.
            await GetImportParametersStep.FetchAsync(kms, context, keyValueName);
        }

        var escrowId = Guid.Parse(context.Require(RunValues.EscrowId));
        var material = await escrow.OpenAsync(kms, escrowId, context.CancellationToken);
        byte[] wrapped;
        try
        {
            wrapped = ImportWrapping.Wrap(material, Convert.FromBase64String(context.Require(RunValues.PublicKey)), context.Parameters.WrappingAlgorithm);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
        }

        var request = new ImportKeyMaterialRequest
        {
            KeyId = keyId,
            ImportToken = new MemoryStream(Convert.FromBase64String(context.Require(RunValues.ImportToken))),
            EncryptedKeyMaterial = new MemoryStream(wrapped),
            ExpirationModel = context.Parameters.ExpirationModel,
            ImportType = importType,
        };
        if (context.Parameters.ExpirationModel == RotationParameters.KeyMaterialExpires)
        {
            request.ValidTo = context.Parameters.ValidTo?.UtcDateTime;
        }

        if (importType == ImportType.EXISTING_KEY_MATERIAL && context.Get("KeyMaterialId") is { } materialId)
        {
            request.KeyMaterialId = materialId;
        }

        var response = await kms.ImportKeyMaterialAsync(request, context.CancellationToken);
        CryptographicOperations.ZeroMemory(wrapped);
        if (response.KeyMaterialId is { Length: > 0 } importedId)
        {
            await escrow.RecordMaterialIdAsync(escrowId, importedId, context.CancellationToken);
        }

        return new StepResult($"Material imported into {keyId} ({importType}, {context.Parameters.ExpirationModel}" +
            $"{(context.Parameters.ValidTo is { } v && context.Parameters.ExpirationModel == RotationParameters.KeyMaterialExpires ? $", valid to {v:u}" : "")})" +
            $"{(response.KeyMaterialId is { Length: > 0 } id ? $", material {id}" : "")}", response.RequestId());
    }

    internal static bool ExpiryMatches(KeyMetadata metadata, RotationParameters parameters)
    {
        if (parameters.ExpirationModel != RotationParameters.KeyMaterialExpires)
        {
            return metadata.ExpirationModel == ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE;
        }

        return metadata.ExpirationModel == ExpirationModelType.KEY_MATERIAL_EXPIRES && metadata.ValidTo is { } validTo && parameters.ValidTo is { } wanted
            && Math.Abs((new DateTimeOffset(DateTime.SpecifyKind(validTo, DateTimeKind.Utc)) - wanted).TotalSeconds) < 2;
    }
}

/// <summary>Workflow 5: finds the escrowed copy of the key's material.</summary>
internal sealed class FindEscrowedMaterialStep(IAmazonKeyManagementService kms, MaterialEscrow escrow) : WorkflowStep
{
    public override string Key => StepKey.FindEscrowedMaterial;
    public override string Name => "Find the escrowed material";
    public override string Description => "The key's material as KmsConsole escrowed it when it was imported.";

    public override async Task<StepResult> ExecuteAsync(StepContext context)
    {
        var materials = await KmsKeys.RotationsAsync(kms, context.Run.KeyId, includeMaterial: true, context.CancellationToken);
        var current = materials.FirstOrDefault(m => m.KeyMaterialState == KeyMaterialState.CURRENT) ?? materials.LastOrDefault();
        var found = (current?.KeyMaterialId is { } id ? await escrow.FindForKeyAsync(context.Run.Target, context.Run.KeyId, id, context.CancellationToken) : null)
            ?? await escrow.FindForKeyAsync(context.Run.Target, context.Run.KeyId, null, context.CancellationToken)
            ?? throw new StepCheckFailedException($"No escrowed material exists for {context.Run.KeyId}; only material KmsConsole imported can be re-imported.");
        context.Set(RunValues.EscrowId, found.Id.ToString());
        if (found.KeyMaterialId is { } materialId)
        {
            context.Set("KeyMaterialId", materialId);
        }

        return new StepResult($"Escrowed material {found.Id} from {found.CreatedAt:u}{(found.KeyMaterialId is { } m ? $" (material {m})" : "")}");
    }
}

/// <summary>Verifies an EXTERNAL key after an import: Enabled, the chosen expiry, a round trip, old data still decrypting.</summary>
internal sealed class VerifyImportedKeyStep(IAmazonKeyManagementService kms, string keyValueName, bool checkSample) : WorkflowStep
{
    public override string Key => StepKey.VerifyImportedKey;
    public override string Name => "Verify the key";
    public override string Description => "DescribeKey shows the key Enabled with the chosen expiry; a round trip works" + (checkSample ? "; the sample still decrypts." : ".");

    public override async Task<StepResult> ExecuteAsync(StepContext context)
    {
        var keyId = RunValues.KeyOf(context, keyValueName);
        var metadata = await KmsKeys.DescribeAsync(kms, keyId, context.CancellationToken);
        if (metadata.KeyMetadata.KeyState != KeyState.Enabled)
        {
            throw new StepCheckFailedException($"{keyId} is {metadata.KeyMetadata.KeyState}, not Enabled.", metadata.RequestId());
        }

        var requestId = await KmsKeys.RoundTripAsync(kms, keyId, context.CancellationToken);
        if (checkSample)
        {
            requestId = await EncryptSampleStep.DecryptSampleAsync(kms, context) ?? requestId;
        }

        return new StepResult($"{keyId} is Enabled ({metadata.KeyMetadata.ExpirationModel}" +
            $"{(metadata.KeyMetadata.ValidTo is { } v ? $", valid to {v:u}" : "")}); round trip succeeded" + (checkSample ? "; old data decrypts" : ""), requestId);
    }
}
