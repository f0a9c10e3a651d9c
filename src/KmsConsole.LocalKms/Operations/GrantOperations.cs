using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using KmsConsole.LocalKms.Keys;
using KmsConsole.LocalKms.Protocol;

namespace KmsConsole.LocalKms.Operations;

/// <summary>
/// Grants: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant, and the grant tokens every operation
/// of the model that takes GrantTokens accepts. Grants take effect at once here (AWS: within about five minutes, at
/// once with the grant token), so a token only needs to be one this endpoint issued.
/// </summary>
public static partial class GrantOperations
{
    /// <summary>"Grants per KMS key: 50,000" (AWS KMS resource quotas).</summary>
    public const int GrantsPerKeyLimit = 50_000;

    /// <summary>The model's GrantOperation enum.</summary>
    public static readonly string[] GrantableOperations =
        ["Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo", "Sign", "Verify", "GetPublicKey",
         "CreateGrant", "RetireGrant", "DescribeKey", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "GenerateMac", "VerifyMac", "DeriveSharedSecret",
         "Encapsulate", "Decapsulate"];

    /// <summary>Operations of the model whose request has a GrantTokens member.</summary>
    public static readonly IReadOnlySet<string> TakeGrantTokens = new HashSet<string>(StringComparer.Ordinal)
    {
        "CreateGrant", "Decrypt", "DeriveSharedSecret", "DescribeKey", "Encrypt", "GenerateDataKey", "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext", "GenerateDataKeyWithoutPlaintext", "GenerateMac", "GetPublicKey", "ReEncrypt", "Sign", "Verify", "VerifyMac",
        "Encapsulate", "Decapsulate",
    };

    private static readonly string[] AnyKey = ["CreateGrant", "RetireGrant", "DescribeKey"];
    private static readonly string[] SymmetricEncryption =
        ["Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext"];
    private static readonly string[] AsymmetricEncryption = ["Decrypt", "Encrypt", "ReEncryptFrom", "ReEncryptTo", "GetPublicKey"];
    private static readonly string[] Signing = ["Sign", "Verify", "GetPublicKey"];
    private static readonly string[] Mac = ["GenerateMac", "VerifyMac"];
    private static readonly string[] KeyAgreement = ["DeriveSharedSecret", "GetPublicKey"];
    private static readonly string[] KeyEncapsulation = ["Encapsulate", "Decapsulate", "GetPublicKey"];

    private static readonly byte[] TokenAssociatedData = Encoding.ASCII.GetBytes("kms-grant-token");

    [GeneratedRegex(@"^[\w+=,.@:/-]+$")]
    private static partial Regex PrincipalPattern();

    [GeneratedRegex(@"^[a-zA-Z0-9:/_-]+$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex GrantIdPattern();

    public static void Register(OperationCatalog catalog)
    {
        catalog.Add("CreateGrant", CreateGrant);
        catalog.Add("ListGrants", ListGrants);
        catalog.Add("ListRetirableGrants", ListRetirableGrants);
        catalog.Add("RetireGrant", RetireGrant);
        catalog.Add("RevokeGrant", RevokeGrant);
    }

    public static JsonObject CreateGrant(KmsRequest request, OperationContext context)
    {
        var keyIdentifier = request.RequiredString("KeyId", 1, 2048);
        var grantee = Principal(request, "GranteePrincipal") ?? throw KmsRequest.MissingMember("GranteePrincipal");
        var retiring = Principal(request, "RetiringPrincipal");
        var operations = request.RequiredStringList("Operations");
        foreach (var operation in operations)
        {
            if (Array.IndexOf(GrantableOperations, operation) < 0)
            {
                throw KmsErrors.Validation(
                    $"1 validation error detected: Value '[{string.Join(", ", operations)}]' at 'operations' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [{string.Join(", ", GrantableOperations)}]]");
            }
        }

        var constraints = request.OptionalStructure("Constraints");
        var subset = constraints?.OptionalStringMap("EncryptionContextSubset");
        var equals = constraints?.OptionalStringMap("EncryptionContextEquals");
        var name = request.OptionalString("Name", 1, 256);
        if (name is not null)
        {
            KmsRequest.RequirePattern("Name", name, NamePattern());
        }

        var key = context.Ring.Resolve(keyIdentifier, context.Now, aliasesAccepted: false);
        KeyStateRules.Require(key, "CreateGrant", context.Ring.KeyArn(key.KeyId));
        var allowed = AllowedOperations(key);
        var unfit = operations.Where(o => Array.IndexOf(allowed, o) < 0).ToList();
        if (unfit.Count > 0)
        {
            throw KmsErrors.Validation($"Grant operations {string.Join(", ", unfit)} are not supported for a KMS key with key spec {key.KeySpec} and key usage {key.KeyUsage}.");
        }

        var constrained = subset is { Count: > 0 } || equals is { Count: > 0 };
        if (constrained && !key.IsSymmetric)
        {
            throw KmsErrors.Validation("Encryption context grant constraints are supported only on symmetric encryption KMS keys.");
        }

        DryRun(request);
        var grant = new KmsGrant
        {
            GrantId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)),
            Name = name,
            CreationDate = context.Now,
            GranteePrincipal = grantee,
            RetiringPrincipal = retiring,
            IssuingAccount = $"arn:aws:iam::{context.Ring.AccountId}:root",
            Operations = [.. operations.Distinct(StringComparer.Ordinal)],
            EncryptionContextSubset = subset is { Count: > 0 } ? new(subset) : null,
            EncryptionContextEquals = equals is { Count: > 0 } ? new(equals) : null,
        };

        // A retry with the same name and parameters answers the grant made before (with a fresh token); names are not unique otherwise.
        var existing = name is null ? null : key.Grants.FirstOrDefault(g => g.SameAs(grant));
        if (existing is null)
        {
            if (key.Grants.Count >= GrantsPerKeyLimit)
            {
                throw KmsErrors.LimitExceeded($"Grants per KMS key limit of {GrantsPerKeyLimit} exceeded for {context.Ring.KeyArn(key.KeyId)}.");
            }

            key.Grants.Add(grant);
            context.Ring.Save(key);
        }

        var issued = existing ?? grant;
        return new JsonObject { ["GrantToken"] = Token(context, key, issued), ["GrantId"] = issued.GrantId };
    }

    public static JsonObject ListGrants(KmsRequest request, OperationContext context)
    {
        var grantId = request.OptionalString("GrantId", 1, 128);
        var grantee = Principal(request, "GranteePrincipal");
        var key = context.Ring.Resolve(request.RequiredString("KeyId", 1, 2048), context.Now, aliasesAccepted: false);
        if (grantId is not null && !GrantIdPattern().IsMatch(grantId))
        {
            throw new KmsException("InvalidGrantIdException", $"Invalid grant ID {grantId}");
        }

        var grants = key.Grants
            .Where(g => grantId is null || g.GrantId == grantId)
            .Where(g => grantee is null || g.GranteePrincipal == grantee)
            .Select(g => (Key: key, Grant: g))
            .ToList();
        return Paging.Page(request, grants, "Grants", entry => Entry(context, entry.Key, entry.Grant), defaultLimit: 50);
    }

    public static JsonObject ListRetirableGrants(KmsRequest request, OperationContext context)
    {
        var retiring = Principal(request, "RetiringPrincipal") ?? throw KmsRequest.MissingMember("RetiringPrincipal");
        context.Ring.Sweep(context.Now);
        var grants = context.Ring.Keys
            .SelectMany(key => key.Grants.Where(g => g.RetiringPrincipal == retiring).Select(g => (Key: key, Grant: g)))
            .ToList();
        return Paging.Page(request, grants, "Grants", entry => Entry(context, entry.Key, entry.Grant), defaultLimit: 50);
    }

    public static JsonObject RetireGrant(KmsRequest request, OperationContext context)
    {
        var token = request.OptionalString("GrantToken", 1, 8192);
        var keyIdentifier = request.OptionalString("KeyId", 1, 2048);
        var grantId = request.OptionalString("GrantId", 1, 128);
        KmsKey key;
        string id;
        if (token is not null)
        {
            (key, id) = Redeem(context, token);
        }
        else if (keyIdentifier is not null && grantId is not null)
        {
            key = context.Ring.Resolve(keyIdentifier, context.Now, aliasesAccepted: false);
            id = grantId;
        }
        else
        {
            throw KmsErrors.Validation("Either GrantToken, or both KeyId and GrantId, must be specified.");
        }

        Remove(request, context, key, id);
        return [];
    }

    public static JsonObject RevokeGrant(KmsRequest request, OperationContext context)
    {
        var grantId = request.RequiredString("GrantId", 1, 128);
        var key = context.Ring.Resolve(request.RequiredString("KeyId", 1, 2048), context.Now, aliasesAccepted: false);
        Remove(request, context, key, grantId);
        return [];
    }

    /// <summary>
    /// Checks the GrantTokens member of any operation that takes one: at most 10 tokens of 1 to 8192 characters, each
    /// issued by this endpoint (InvalidGrantTokenException otherwise). Run before the operation, so a bad token changes nothing.
    /// </summary>
    public static void CheckGrantTokens(string operation, JsonElement body, KeyRing ring)
    {
        if (!TakeGrantTokens.Contains(operation) || !body.TryGetProperty("GrantTokens", out var tokens) || tokens.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        var list = new KmsRequest(body, "").OptionalStringList("GrantTokens")!;
        if (list.Count > 10)
        {
            throw KmsErrors.Validation(
                $"1 validation error detected: Value '[{string.Join(", ", list)}]' at 'grantTokens' failed to satisfy constraint: Member must have length less than or equal to 10");
        }

        foreach (var token in list)
        {
            if (token.Length is < 1 or > 8192 || Open(ring, token) is null)
            {
                throw InvalidToken();
            }
        }
    }

    /// <summary>The grant a token names, if this endpoint issued it; the grant itself may have been retired since.</summary>
    public static (string Region, string KeyId, string GrantId)? Open(KeyRing ring, string token)
    {
        byte[] sealedBytes;
        try
        {
            sealedBytes = Convert.FromBase64String(token.Replace('-', '+').Replace('_', '/') + new string('=', (4 - (token.Length % 4)) % 4));
        }
        catch (FormatException)
        {
            return null;
        }

        var opened = ring.Database.MasterKey.Open(sealedBytes, TokenAssociatedData);
        var parts = opened is null ? [] : Encoding.UTF8.GetString(opened).Split('|');
        return parts.Length == 3 ? (parts[0], parts[1], parts[2]) : null;
    }

    /// <summary>The operations a grant may allow on <paramref name="key"/> ("Grant operations", AWS KMS Developer Guide).</summary>
    public static string[] AllowedOperations(KmsKey key)
    {
        string[] fitting = key.KeyUsage switch
        {
            "ENCRYPT_DECRYPT" => key.IsSymmetric ? SymmetricEncryption : AsymmetricEncryption,
            "SIGN_VERIFY" => Signing,
            "GENERATE_VERIFY_MAC" => Mac,
            "KEY_AGREEMENT" => KeyAgreement,
            "ENCAPSULATE_DECAPSULATE" => KeyEncapsulation,
            _ => [],
        };
        return [.. AnyKey, .. fitting];
    }

    private static void Remove(KmsRequest request, OperationContext context, KmsKey key, string grantId)
    {
        if (!GrantIdPattern().IsMatch(grantId))
        {
            throw new KmsException("InvalidGrantIdException", $"Invalid grant ID {grantId}");
        }

        var grant = key.Grants.FirstOrDefault(g => g.GrantId == grantId)
            ?? throw KmsErrors.NotFound($"Grant ID {grantId} not found for key {context.Ring.KeyArn(key.KeyId)}");
        DryRun(request);
        key.Grants.Remove(grant);
        context.Ring.Save(key);
    }

    private static (KmsKey Key, string GrantId) Redeem(OperationContext context, string token)
    {
        var named = Open(context.Ring, token) ?? throw InvalidToken();
        var key = named.Region == context.Ring.Region ? context.Ring.Find(named.KeyId, context.Now) : null;
        return key is null ? throw KmsErrors.NotFound($"Key '{context.Ring.KeyArn(named.KeyId)}' does not exist") : (key, named.GrantId);
    }

    private static string Token(OperationContext context, KmsKey key, KmsGrant grant)
    {
        // A fresh nonce per call: every CreateGrant answers a new token, and all tokens of one grant are interchangeable.
        var sealedBytes = context.Ring.Database.MasterKey.Seal(Encoding.UTF8.GetBytes($"{context.Ring.Region}|{key.KeyId}|{grant.GrantId}"), TokenAssociatedData);
        return Convert.ToBase64String(sealedBytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private static JsonObject Entry(OperationContext context, KmsKey key, KmsGrant grant)
    {
        var entry = new JsonObject
        {
            ["KeyId"] = context.Ring.KeyArn(key.KeyId),
            ["GrantId"] = grant.GrantId,
            ["CreationDate"] = AwsJson.Timestamp(grant.CreationDate),
            ["GranteePrincipal"] = grant.GranteePrincipal,
            ["IssuingAccount"] = grant.IssuingAccount,
            ["Operations"] = new JsonArray([.. grant.Operations.Select(o => JsonValue.Create(o))]),
        };
        if (grant.Name is not null)
        {
            entry["Name"] = grant.Name;
        }

        if (grant.RetiringPrincipal is not null)
        {
            entry["RetiringPrincipal"] = grant.RetiringPrincipal;
        }

        if (grant.EncryptionContextSubset is not null || grant.EncryptionContextEquals is not null)
        {
            var constraints = new JsonObject();
            if (grant.EncryptionContextSubset is { } subset)
            {
                constraints["EncryptionContextSubset"] = Map(subset);
            }

            if (grant.EncryptionContextEquals is { } equals)
            {
                constraints["EncryptionContextEquals"] = Map(equals);
            }

            entry["Constraints"] = constraints;
        }

        return entry;
    }

    private static JsonObject Map(Dictionary<string, string> map)
    {
        var json = new JsonObject();
        foreach (var (name, value) in map)
        {
            json[name] = value;
        }

        return json;
    }

    private static string? Principal(KmsRequest request, string member)
    {
        var principal = request.OptionalString(member, 1, 256);
        if (principal is not null)
        {
            KmsRequest.RequirePattern(member, principal, PrincipalPattern());
        }

        return principal;
    }

    private static void DryRun(KmsRequest request)
    {
        if (request.OptionalBool("DryRun"))
        {
            throw KmsErrors.DryRun("The request would have succeeded, but the DryRun option is set.");
        }
    }

    private static KmsException InvalidToken() => new("InvalidGrantTokenException", "The request was rejected because the specified grant token is not valid.");
}
