using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using KmsConsole.LocalKms.Keys;
using KmsConsole.LocalKms.Protocol;

namespace KmsConsole.LocalKms.Operations;

/// <summary>Aliases: friendly names that point at one key and can be moved to another of the same type and usage.</summary>
public static partial class AliasOperations
{
    public static void Register(OperationCatalog catalog)
    {
        catalog.Add("CreateAlias", CreateAlias);
        catalog.Add("UpdateAlias", UpdateAlias);
        catalog.Add("DeleteAlias", DeleteAlias);
        catalog.Add("ListAliases", ListAliases);
    }

    public static JsonObject CreateAlias(KmsRequest request, OperationContext context)
    {
        var aliasName = ValidAliasName(request);
        var target = TargetKey(request, context, "CreateAlias");
        if (context.Ring.FindAlias(aliasName) is not null)
        {
            throw KmsErrors.AlreadyExists($"An alias with the name {context.Ring.AliasArn(aliasName)} already exists");
        }

        context.Ring.SaveAlias(new KmsAlias
        {
            AliasName = aliasName,
            TargetKeyId = target.KeyId,
            CreationDate = context.Now,
            LastUpdatedDate = context.Now,
        });
        return [];
    }

    public static JsonObject UpdateAlias(KmsRequest request, OperationContext context)
    {
        var aliasName = ValidAliasName(request);
        var target = TargetKey(request, context, "UpdateAlias");
        var alias = context.Ring.FindAlias(aliasName) ?? throw KmsErrors.NotFound($"Alias {context.Ring.AliasArn(aliasName)} is not found.");
        var current = context.Ring.Find(alias.TargetKeyId, context.Now);

        // KMS only moves an alias between keys of the same type and key usage, so code using the alias keeps working.
        if (current is not null && (KeyType(current) != KeyType(target) || current.KeyUsage != target.KeyUsage))
        {
            throw KmsErrors.Validation(
                $"Alias {aliasName} cannot be updated from a key of type {current.KeySpec} and usage {current.KeyUsage} to a key of type {target.KeySpec} and usage {target.KeyUsage}; the keys must have the same type and key usage.");
        }

        alias.TargetKeyId = target.KeyId;
        alias.LastUpdatedDate = context.Now;
        context.Ring.SaveAlias(alias);
        return [];
    }

    public static JsonObject DeleteAlias(KmsRequest request, OperationContext context)
    {
        var aliasName = request.RequiredString("AliasName", 1, 256);
        if (!aliasName.StartsWith("alias/", StringComparison.Ordinal))
        {
            throw KmsErrors.Validation("Alias must start with the prefix \"alias/\".");
        }

        if (aliasName.StartsWith("alias/aws/", StringComparison.Ordinal))
        {
            throw new KmsException("NotAuthorizedException", $"The alias prefix alias/aws/ is reserved for AWS managed keys; {aliasName} cannot be deleted.");
        }

        if (context.Ring.FindAlias(aliasName) is null)
        {
            throw KmsErrors.NotFound($"Alias {context.Ring.AliasArn(aliasName)} is not found.");
        }

        context.Ring.RemoveAlias(aliasName);
        return [];
    }

    public static JsonObject ListAliases(KmsRequest request, OperationContext context)
    {
        context.Ring.Sweep(context.Now);
        var keyId = request.OptionalString("KeyId", 1, 2048);
        var aliases = context.Ring.Aliases;
        if (keyId is not null)
        {
            var key = context.Ring.Resolve(keyId, context.Now, aliasesAccepted: false);
            aliases = aliases.Where(a => a.TargetKeyId == key.KeyId);
        }

        return Paging.Page(request, aliases.ToList(), "Aliases", alias => new JsonObject
        {
            ["AliasName"] = alias.AliasName,
            ["AliasArn"] = context.Ring.AliasArn(alias.AliasName),
            ["TargetKeyId"] = alias.TargetKeyId,
            ["CreationDate"] = AwsJson.Timestamp(alias.CreationDate),
            ["LastUpdatedDate"] = AwsJson.Timestamp(alias.LastUpdatedDate),
        });
    }

    private static string ValidAliasName(KmsRequest request)
    {
        var aliasName = request.RequiredString("AliasName", 1, 256);
        if (!aliasName.StartsWith("alias/", StringComparison.Ordinal))
        {
            throw KmsErrors.Validation("Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html");
        }

        if (aliasName.StartsWith("alias/aws/", StringComparison.Ordinal))
        {
            // The alias/aws/ prefix belongs to AWS managed keys; customers are not authorized to use it.
            throw new KmsException("NotAuthorizedException", $"The alias prefix alias/aws/ is reserved for AWS managed keys; {aliasName} cannot be used.");
        }

        KmsRequest.RequirePattern("AliasName", aliasName, AliasPattern());
        if (aliasName.Contains(':', StringComparison.Ordinal))
        {
            // The model's pattern allows ':', but an alias name may not contain one.
            throw KmsErrors.Validation($"{aliasName} contains invalid characters for an alias");
        }

        if (aliasName.Length == "alias/".Length)
        {
            throw KmsErrors.InvalidAliasName($"{aliasName} is not a valid alias name: after alias/ it needs a name of letters, digits, /, _ and -.");
        }

        return aliasName;
    }

    private static KmsKey TargetKey(KmsRequest request, OperationContext context, string operation)
    {
        var targetKeyId = request.RequiredString("TargetKeyId", 1, 2048);
        if (targetKeyId.StartsWith("alias/", StringComparison.Ordinal) || targetKeyId.Contains(":alias/", StringComparison.Ordinal))
        {
            throw KmsErrors.Validation("Aliases must refer to keys. Not aliases");
        }

        var key = context.Ring.Resolve(targetKeyId, context.Now, aliasesAccepted: false);
        KeyStateRules.Require(key, operation, context.Ring.KeyArn(key.KeyId));
        return key;
    }

    private static string KeyType(KmsKey key) => key.IsSymmetric ? "SYMMETRIC" : KeySpecs.IsAsymmetric(key.KeySpec) ? "ASYMMETRIC" : "HMAC";

    [GeneratedRegex("^[a-zA-Z0-9:/_-]+$")]
    private static partial Regex AliasPattern();
}
