using System.Globalization;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;

namespace KmsConsole.Rotation.Safety;

/// <summary>
/// A key's last successful cryptographic use as GetKeyLastUsage reports it, or why it could not be read. KMS records
/// only successful operations and only since its TrackingStartDate: an empty answer for a key created before that date
/// means "no use recorded", not "unused" (AWS: examine past CloudTrail logs for use before tracking began).
/// </summary>
/// <param name="Operation">The last tracked operation (Decrypt, Encrypt, GenerateDataKey, ...); null when none is recorded.</param>
/// <param name="UsedAt">When it ran; null when no use is recorded.</param>
/// <param name="TrackingStartDate">From when KMS recorded this key's use.</param>
/// <param name="KeyCreationDate">The key's creation, as GetKeyLastUsage answers it.</param>
/// <param name="ErrorCode">AWS's error code when the usage could not be read (AccessDeniedException, ...); null when read.</param>
/// <param name="KmsRequestId">The request id of that use (tells the console's own calls from a caller's).</param>
public sealed record KeyLastUse(
    string? Operation,
    DateTimeOffset? UsedAt,
    DateTimeOffset? TrackingStartDate,
    DateTimeOffset? KeyCreationDate,
    string? ErrorCode = null,
    string? ErrorMessage = null,
    string? KmsRequestId = null)
{
    public bool Readable => ErrorCode is null;

    /// <summary>No use recorded, and the key is older than tracking: use before <see cref="TrackingStartDate"/> cannot be known.</summary>
    public bool UnknownBeforeTracking => Readable && UsedAt is null && KeyCreationDate < TrackingStartDate;

    /// <summary>A recorded use at or after <paramref name="since"/>.</summary>
    public bool UsedSince(DateTimeOffset since) => UsedAt is { } used && used >= since;

    /// <summary>"Decrypt at 2026-12-03 12:00:00 UTC", "not used since tracking began ...", "unknown before ...", or why it is unknown.</summary>
    public string Describe()
    {
        if (!Readable)
        {
            return $"last use unknown: GetKeyLastUsage failed with {ErrorCode}: {ErrorMessage}";
        }

        if (UsedAt is { } used)
        {
            return $"{Operation} at {Format(used)}";
        }

        return UnknownBeforeTracking
            ? $"not used since tracking began {Format(TrackingStartDate)}; unknown before {Format(TrackingStartDate)}"
            : $"not used since tracking began {Format(TrackingStartDate)}";
    }

    public static string Format(DateTimeOffset? time) =>
        time is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) : "(unknown)";

    /// <summary>
    /// Reads GetKeyLastUsage (the key id or ARN: KMS takes no alias here). A refusal (access denied, not found) is the
    /// answer's error, not an exception; transient failures are left to the caller's retries.
    /// </summary>
    public static async Task<KeyLastUse> ReadAsync(IAmazonKeyManagementService kms, string keyIdOrArn, Func<Exception, bool> isTransient,
        CancellationToken cancellationToken)
    {
        try
        {
            var answer = await kms.GetKeyLastUsageAsync(new GetKeyLastUsageRequest { KeyId = keyIdOrArn }, cancellationToken);
            return From(answer);
        }
        catch (AmazonServiceException e) when (!isTransient(e))
        {
            return new KeyLastUse(null, null, null, null, e.ErrorCode ?? e.GetType().Name, e.Message);
        }
    }

    public static KeyLastUse From(GetKeyLastUsageResponse answer)
    {
        var usage = answer.KeyLastUsage;
        return new KeyLastUse(usage?.Operation?.Value, Utc(usage?.Timestamp), Utc(answer.TrackingStartDate), Utc(answer.KeyCreationDate),
            KmsRequestId: usage?.KmsRequestId);
    }

    private static DateTimeOffset? Utc(DateTime? value) => value is { } v ? new DateTimeOffset(DateTime.SpecifyKind(v, DateTimeKind.Utc)) : null;
}
