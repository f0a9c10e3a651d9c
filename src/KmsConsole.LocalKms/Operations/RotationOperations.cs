using System.Text.Json.Nodes;
using KmsConsole.LocalKms.Keys;
using KmsConsole.LocalKms.Protocol;

namespace KmsConsole.LocalKms.Operations;

/// <summary>Automatic and on-demand rotation of key material, and the list of a key's materials.</summary>
public static class RotationOperations
{
    /// <summary>AWS allows 25 on-demand rotations per key (a resource quota that cannot be raised).</summary>
    public const int OnDemandRotationLimit = 25;
    public const int DefaultRotationPeriodInDays = 365;

    public static void Register(OperationCatalog catalog)
    {
        catalog.Add("EnableKeyRotation", EnableKeyRotation);
        catalog.Add("DisableKeyRotation", DisableKeyRotation);
        catalog.Add("GetKeyRotationStatus", GetKeyRotationStatus);
        catalog.Add("RotateKeyOnDemand", RotateKeyOnDemand);
        catalog.Add("ListKeyRotations", ListKeyRotations);
    }

    public static JsonObject EnableKeyRotation(KmsRequest request, OperationContext context)
    {
        var period = request.OptionalInt("RotationPeriodInDays", 90, 2560) ?? DefaultRotationPeriodInDays;
        var key = AutomaticRotationKey(request, context, "EnableKeyRotation");
        if (key.RotationEnabled && key.NextRotationDate is { } next && key.RotationPeriodInDays is { } oldPeriod)
        {
            // A new period counts from the last rotation (or from when rotation was enabled).
            var anchor = next.AddDays(-oldPeriod);
            var rescheduled = anchor.AddDays(period);
            key.NextRotationDate = rescheduled < context.Now ? context.Now : rescheduled;
        }
        else
        {
            key.NextRotationDate = context.Now.AddDays(period);
        }

        key.RotationEnabled = true;
        key.RotationPeriodInDays = period;
        context.Ring.Save(key);
        return [];
    }

    public static JsonObject DisableKeyRotation(KmsRequest request, OperationContext context)
    {
        var key = AutomaticRotationKey(request, context, "DisableKeyRotation");
        key.RotationEnabled = false;
        key.NextRotationDate = null;
        key.RotationPeriodInDays = null;
        context.Ring.Save(key);
        return [];
    }

    public static JsonObject GetKeyRotationStatus(KmsRequest request, OperationContext context)
    {
        var key = KeyLifecycleOperations.Target(request, context, "GetKeyRotationStatus");

        // The model's text: the rotation status of asymmetric keys and keys with imported material is always false.
        // While a key is pending deletion its rotation status reads false; cancelling the deletion restores it.
        var enabled = key.RotationEnabled && key.State != KeyStates.PendingDeletion;
        var response = new JsonObject
        {
            ["KeyRotationEnabled"] = enabled,
            ["KeyId"] = context.Ring.KeyArn(key.KeyId),
        };
        if (enabled)
        {
            response["RotationPeriodInDays"] = key.RotationPeriodInDays;
            response["NextRotationDate"] = AwsJson.Timestamp(key.NextRotationDate!.Value);
        }

        return response;
    }

    public static JsonObject RotateKeyOnDemand(KmsRequest request, OperationContext context)
    {
        var key = KeyLifecycleOperations.Target(request, context, "RotateKeyOnDemand");
        var arn = context.Ring.KeyArn(key.KeyId);
        MultiRegionOperations.RequireNotReplica(key, context);
        if (!key.IsSymmetric)
        {
            throw KmsErrors.Unsupported($"{arn} has key spec {key.KeySpec}; on-demand rotation is supported only on symmetric encryption KMS keys.");
        }

        if (key.OnDemandRotationCount >= OnDemandRotationLimit)
        {
            throw KmsErrors.LimitExceeded($"{arn} has reached the limit of {OnDemandRotationLimit} on-demand rotations.");
        }

        if (key.IsExternal)
        {
            // Keys with imported material rotate to material that was imported beforehand as NEW_KEY_MATERIAL.
            var pending = key.Materials.FirstOrDefault(m => m.State == KeyMaterialStates.PendingRotation && m.ImportState == ImportStates.Imported)
                ?? throw KmsErrors.InvalidState($"{arn} has no imported key material in PENDING_ROTATION state; import new key material (ImportType NEW_KEY_MATERIAL) before rotating on demand.");
            pending.RotationDate = context.Now;
            pending.RotationType = RotationTypes.OnDemand;
            KeyRing.MakeCurrent(key, pending);
        }
        else
        {
            context.Ring.RotateToGeneratedMaterial(key, context.Now, RotationTypes.OnDemand);
        }

        key.OnDemandRotationCount++;
        context.Ring.Save(key);

        // AWS answers the key ARN (LocalStack's AWS-recorded test_rotate_on_demand_returns_arn_for_key_id).
        return new JsonObject { ["KeyId"] = arn };
    }

    public static JsonObject ListKeyRotations(KmsRequest request, OperationContext context)
    {
        var include = request.OptionalEnum("IncludeKeyMaterial", "ALL_KEY_MATERIAL", "ROTATIONS_ONLY") ?? "ROTATIONS_ONLY";
        var key = KeyLifecycleOperations.Target(request, context, "ListKeyRotations");
        if (!key.IsSymmetric)
        {
            throw KmsErrors.Unsupported($"{context.Ring.KeyArn(key.KeyId)} has key spec {key.KeySpec}; it does not support key rotation.");
        }

        var materials = include == "ALL_KEY_MATERIAL"
            ? key.Materials
            : key.Materials.Where(m => m.RotationDate is not null).ToList();
        return Paging.Page(request, materials, "Rotations", material =>
        {
            var entry = new JsonObject
            {
                ["KeyId"] = key.KeyId,
                ["KeyMaterialId"] = material.MaterialId,
                ["KeyMaterialState"] = material.State,
            };
            if (material.RotationDate is { } rotationDate)
            {
                entry["RotationDate"] = AwsJson.Timestamp(rotationDate);
                entry["RotationType"] = material.RotationType;
            }

            if (key.IsExternal)
            {
                entry["ImportState"] = material.ImportState;
                if (material.Description is not null)
                {
                    entry["KeyMaterialDescription"] = material.Description;
                }

                if (material.ExpirationModel is not null)
                {
                    entry["ExpirationModel"] = material.ExpirationModel;
                }

                if (material.ValidTo is { } validTo)
                {
                    entry["ValidTo"] = AwsJson.Timestamp(validTo);
                }
            }

            return entry;
        });
    }

    /// <summary>Automatic rotation exists only for symmetric keys with KMS-generated material; that check comes before the key state's.</summary>
    private static KmsKey AutomaticRotationKey(KmsRequest request, OperationContext context, string operation)
    {
        var key = context.Ring.Resolve(request.RequiredString("KeyId", 1, 2048), context.Now, aliasesAccepted: false);
        var arn = context.Ring.KeyArn(key.KeyId);
        if (key.IsExternal)
        {
            throw KmsErrors.Unsupported($"{arn} origin is EXTERNAL which is not valid for this operation.");
        }

        if (!key.IsSymmetric)
        {
            throw KmsErrors.Unsupported($"{arn} has key spec {key.KeySpec}; automatic rotation is supported only on symmetric encryption KMS keys.");
        }

        MultiRegionOperations.RequireNotReplica(key, context);
        KeyStateRules.Require(key, operation, arn);
        return key;
    }
}
