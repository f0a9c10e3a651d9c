using System.Text.Json.Nodes;
using KmsConsole.LocalKms.Keys;
using KmsConsole.LocalKms.Protocol;

namespace KmsConsole.LocalKms.Operations;

/// <summary>
/// GetKeyLastUsage: the last successful cryptographic operation of a key (operation, time, KMS request id and a
/// CloudTrail-style event id), tracked from the later of the key's creation and the day this data folder began
/// tracking. Each key of a multi-Region set tracks its own use, as AWS tracks it per Region.
/// </summary>
public static class KeyUsageOperations
{
    /// <summary>The operations AWS tracks (the model's KeyLastUsageTrackingOperation enum); only successful calls count.</summary>
    public static readonly IReadOnlySet<string> Tracked = new HashSet<string>(StringComparer.Ordinal)
    {
        "Decrypt", "DeriveSharedSecret", "Encrypt", "GenerateDataKey", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext",
        "GenerateDataKeyWithoutPlaintext", "GenerateMac", "ReEncrypt", "Sign", "Verify", "VerifyMac",
        "Encapsulate", "Decapsulate",
    };

    public static void Register(OperationCatalog catalog) => catalog.Add("GetKeyLastUsage", GetKeyLastUsage);

    public static JsonObject GetKeyLastUsage(KmsRequest request, OperationContext context)
    {
        var key = context.Ring.Resolve(request.RequiredString("KeyId", 1, 2048), context.Now, aliasesAccepted: false);
        var trackingStart = context.Ring.Database.TrackingStartDate;
        var response = new JsonObject
        {
            ["KeyId"] = key.KeyId,
            ["TrackingStartDate"] = AwsJson.Timestamp(key.CreationDate > trackingStart ? key.CreationDate : trackingStart),
            ["KeyCreationDate"] = AwsJson.Timestamp(key.CreationDate),
        };

        // "If the key has not been used since tracking began, this response element is empty."
        var usage = key.LastUsage;
        response["KeyLastUsage"] = usage is null ? new JsonObject() : new JsonObject
        {
            ["Operation"] = usage.Operation,
            ["Timestamp"] = AwsJson.Timestamp(usage.Timestamp),
            ["CloudTrailEventId"] = usage.CloudTrailEventId,
            ["KmsRequestId"] = usage.KmsRequestId,
        };
        return response;
    }

    /// <summary>
    /// Records a successful tracked operation on every key its answer names (ReEncrypt: source and destination).
    /// Reading the key ids from the answer keeps every cryptographic operation tracked without each one opting in.
    /// Call under the ring's gate.
    /// </summary>
    public static void RecordSuccess(KeyRing ring, string operation, JsonObject response, string requestId, DateTimeOffset now)
    {
        if (!Tracked.Contains(operation))
        {
            return;
        }

        var usage = new KeyLastUsage(operation, now, Guid.NewGuid().ToString(), requestId);
        Record(ring, response["KeyId"], usage);
        if (operation == "ReEncrypt")
        {
            Record(ring, response["SourceKeyId"], usage);
        }
    }

    private static void Record(KeyRing ring, JsonNode? keyArn, KeyLastUsage usage)
    {
        if (keyArn?.GetValue<string>() is not { } arn)
        {
            return;
        }

        var keyId = arn[(arn.LastIndexOf('/') + 1)..];
        if (ring.Find(keyId, usage.Timestamp) is { } key)
        {
            ring.RecordUsage(key, usage);
        }
    }
}
