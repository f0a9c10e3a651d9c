using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using KmsConsole.Rotation.Persistence;
using Microsoft.EntityFrameworkCore;

namespace KmsConsole.Rotation.Automation;

/// <summary>An <c>Idempotency-Key</c> a caller sent with a run request, and the run it made.</summary>
public sealed class IdempotencyKey
{
    public string UserId { get; set; } = "";

    public string Key { get; set; } = "";

    /// <summary>SHA-256 of the request, so the same key with another request is refused instead of answered with the first run.</summary>
    public string RequestHash { get; set; } = "";

    /// <summary>Null while the first request with this key is being handled.</summary>
    public Guid? RunId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>What a request with an idempotency key led to: the run, and whether this call made it.</summary>
public sealed record IdempotentSubmission(Guid RunId, bool Created);

/// <summary>
/// Makes a retried run request (same caller, same <c>Idempotency-Key</c>) answer with the run the first one made instead
/// of requesting a second. The key is claimed in the database before the run is requested, so two requests racing with
/// one key (two console instances too) make one run: the loser's insert fails on the primary key.
/// </summary>
public sealed class IdempotentRunRequests
{
    public const int MaxKeyLength = 200;

    private readonly RotationStore _store;
    private readonly RotationRequests _requests;

    internal IdempotentRunRequests(RotationStore store, RotationRequests requests)
    {
        _store = store;
        _requests = requests;
    }

    public async Task<IdempotentSubmission> SubmitAsync(Actor requester, RotationRequest request, string key, CancellationToken cancellationToken = default)
    {
        key = key.Trim();
        if (key.Length is 0 or > MaxKeyLength)
        {
            throw new RotationRefusedException($"An Idempotency-Key has 1 to {MaxKeyLength} characters.", kind: RefusalKind.Invalid) { Field = "Idempotency-Key" };
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(request))));
        if (!await TryClaimAsync(requester.UserId, key, hash, cancellationToken))
        {
            return await EarlierAsync(requester.UserId, key, hash, cancellationToken);
        }

        Run run;
        try
        {
            run = await _requests.SubmitAsync(requester, request, cancellationToken);
        }
        catch
        {
            // Nothing was made, so a retry with the same key may try again.
            await ForgetAsync(requester.UserId, key);
            throw;
        }

        await _store.WriteAsync(async (db, _) =>
        {
            var claim = await db.IdempotencyKeys.FirstAsync(k => k.UserId == requester.UserId && k.Key == key, cancellationToken);
            claim.RunId = run.Id;
        }, CancellationToken.None);
        return new IdempotentSubmission(run.Id, true);
    }

    private async Task<bool> TryClaimAsync(string userId, string key, string hash, CancellationToken cancellationToken)
    {
        try
        {
            await _store.WriteAsync(async (db, _) =>
            {
                db.IdempotencyKeys.Add(new IdempotencyKey { UserId = userId, Key = key, RequestHash = hash, CreatedAt = _store.Time.GetUtcNow() });
                await Task.CompletedTask;
            }, cancellationToken);
            return true;
        }
        catch (DbUpdateException)
        {
            return false;
        }
    }

    private async Task<IdempotentSubmission> EarlierAsync(string userId, string key, string hash, CancellationToken cancellationToken)
    {
        await using var db = await _store.ReadAsync(cancellationToken);
        var earlier = await db.IdempotencyKeys.AsNoTracking().FirstOrDefaultAsync(k => k.UserId == userId && k.Key == key, cancellationToken)
            ?? throw new RotationRefusedException("The request with this Idempotency-Key just failed; send it again.", kind: RefusalKind.Conflict);
        if (earlier.RequestHash != hash)
        {
            throw new RotationRefusedException("This Idempotency-Key was used for a different request; use a new key for a new request.",
                kind: RefusalKind.Invalid) { Field = "Idempotency-Key" };
        }

        return earlier.RunId is { } runId
            ? new IdempotentSubmission(runId, false)
            : throw new RotationRefusedException("The first request with this Idempotency-Key is still being handled; ask again in a moment.",
                kind: RefusalKind.Conflict);
    }

    private async Task ForgetAsync(string userId, string key)
    {
        await _store.WriteAsync(async (db, _) =>
        {
            await db.IdempotencyKeys.Where(k => k.UserId == userId && k.Key == key && k.RunId == null).ExecuteDeleteAsync();
        }, CancellationToken.None);
    }
}
