using KmsConsole.Rotation.Persistence;
using KmsConsole.Rotation.Automation;
using Microsoft.EntityFrameworkCore;

namespace KmsConsole.Rotation;

/// <summary>
/// Makes, lists, checks and revokes personal access tokens. A token acts as the person who made it, never with more
/// than the roles they hold at the time of the call (the caller intersects <see cref="AccessToken.RoleList"/> with
/// them); creation, use from a new address and revocation are audited, never with the secret.
/// </summary>
public sealed class PersonalAccessTokens
{
    /// <summary>The longest a token may live.</summary>
    public const int MaxLifetimeDays = 365;

    public const int MaxNameLength = 100;

    /// <summary>Last use is written at most this often per token, unless the address changes.</summary>
    private static readonly TimeSpan LastUseResolution = TimeSpan.FromMinutes(1);

    private readonly RotationStore _store;

    internal PersonalAccessTokens(RotationStore store) => _store = store;

    /// <summary>
    /// Makes a token for <paramref name="owner"/>, optionally narrowed to some of their roles. <paramref name="madeBy"/>
    /// is who the audit trail names: the owner on their own page, the operator for the bootstrap command.
    /// </summary>
    public async Task<CreatedAccessToken> CreateAsync(Actor owner, string name, int expiresInDays, IReadOnlyCollection<string>? roles,
        string? madeBy = null, CancellationToken cancellationToken = default)
    {
        name = (name ?? "").Trim();
        if (name.Length is 0 or > MaxNameLength)
        {
            throw new RotationRefusedException($"Give the token a name of 1 to {MaxNameLength} characters, saying where it is used.", kind: RefusalKind.Invalid)
                { Field = "name" };
        }

        if (expiresInDays is < 1 or > MaxLifetimeDays)
        {
            throw new RotationRefusedException($"A token expires after 1 to {MaxLifetimeDays} days; {expiresInDays} is outside that.", kind: RefusalKind.Invalid)
                { Field = "expiresInDays" };
        }

        var narrowed = (roles ?? []).Select(r => r.Trim()).Where(r => r.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        var notHeld = narrowed.Where(r => !owner.Roles.Contains(r) && !owner.Roles.Contains(Roles.Admin)).ToList();
        if (notHeld.Count > 0)
        {
            throw new RotationRefusedException(
                $"{owner.DisplayName} does not hold {string.Join(", ", notHeld)}; a token can only narrow its owner's roles.", kind: RefusalKind.Invalid)
                { Field = "roles" };
        }

        var secret = TokenSecret.New();
        var now = _store.Time.GetUtcNow();
        var token = new AccessToken
        {
            Id = Guid.NewGuid(),
            UserId = owner.UserId,
            UserName = owner.DisplayName,
            Name = name,
            SecretHash = TokenSecret.Hash(secret),
            Hint = TokenSecret.Hint(secret),
            Roles = string.Join(',', narrowed),
            CreatedAt = now,
            CreatedBy = madeBy ?? owner.UserId,
            ExpiresAt = now.AddDays(expiresInDays),
        };
        await _store.WriteAsync(async (db, audit) =>
        {
            db.AccessTokens.Add(token);
            await audit.AppendAsync(token.CreatedBy, "token.created", Subject(token),
                $"Personal access token '{token.Name}' ({token.Hint}) for {owner.UserId}, expires {token.ExpiresAt:u}, roles: {Describe(token)}");
        }, cancellationToken);
        return new CreatedAccessToken(token, secret);
    }

    /// <summary>The caller's own tokens, newest first.</summary>
    public async Task<IReadOnlyList<AccessToken>> ListOwnAsync(Actor owner, CancellationToken cancellationToken = default)
    {
        await using var db = await _store.ReadAsync(cancellationToken);
        return await db.AccessTokens.AsNoTracking().Where(t => t.UserId == owner.UserId)
            .OrderByDescending(t => t.CreatedAt).ToListAsync(cancellationToken);
    }

    /// <summary>Everyone's tokens, for an Admin.</summary>
    public async Task<IReadOnlyList<AccessToken>> ListAllAsync(Actor admin, CancellationToken cancellationToken = default)
    {
        admin.Require(Roles.Admin, "list everyone's access tokens");
        return await ListAllAsync(cancellationToken);
    }

    /// <summary>Everyone's tokens, for the operator's bootstrap command (who holds the database already).</summary>
    public async Task<IReadOnlyList<AccessToken>> ListAllAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await _store.ReadAsync(cancellationToken);
        return await db.AccessTokens.AsNoTracking().OrderBy(t => t.UserId).ThenByDescending(t => t.CreatedAt).ToListAsync(cancellationToken);
    }

    /// <summary>Revokes a token of the caller's own, or anyone's for an Admin.</summary>
    public Task<AccessToken> RevokeAsync(Actor actor, Guid tokenId, CancellationToken cancellationToken = default) =>
        RevokeAsync(tokenId, actor.UserId, token =>
        {
            if (token.UserId != actor.UserId && !actor.IsIn(Roles.Admin))
            {
                throw new RotationAuthorizationException($"{actor.DisplayName} may revoke only their own tokens; an Admin may revoke anyone's.");
            }
        }, cancellationToken);

    /// <summary>Revokes any token, for the operator's bootstrap command.</summary>
    public Task<AccessToken> RevokeAsOperatorAsync(Guid tokenId, string operatorName, CancellationToken cancellationToken = default) =>
        RevokeAsync(tokenId, operatorName, _ => { }, cancellationToken);

    private async Task<AccessToken> RevokeAsync(Guid tokenId, string revokedBy, Action<AccessToken> mayRevoke, CancellationToken cancellationToken) =>
        await _store.WriteAsync(async (db, audit) =>
        {
            var token = await db.AccessTokens.FirstOrDefaultAsync(t => t.Id == tokenId, cancellationToken)
                ?? throw new RotationRefusedException($"There is no access token {tokenId}.", kind: RefusalKind.NotFound);
            mayRevoke(token);
            if (token.RevokedAt is not null)
            {
                throw new RotationRefusedException($"Token '{token.Name}' was already revoked on {token.RevokedAt:u} by {token.RevokedBy}.", kind: RefusalKind.Conflict);
            }

            token.RevokedAt = _store.Time.GetUtcNow();
            token.RevokedBy = revokedBy;
            await audit.AppendAsync(revokedBy, "token.revoked", Subject(token), $"Personal access token '{token.Name}' ({token.Hint}) of {token.UserId} revoked");
            return token;
        }, cancellationToken);

    /// <summary>
    /// Checks a presented secret and records its use. The first use and a use from another address than the last are
    /// audited; the time of use is written at most once a minute otherwise, so a busy pipeline does not write on every call.
    /// </summary>
    public async Task<TokenCheck> AuthenticateAsync(string presented, string? address, CancellationToken cancellationToken = default)
    {
        if (!TokenSecret.LooksLikeOne(presented))
        {
            return new TokenCheck(null, TokenRefusal.Unknown);
        }

        var hash = TokenSecret.Hash(presented);
        AccessToken? token;
        await using (var db = await _store.ReadAsync(cancellationToken))
        {
            token = await db.AccessTokens.AsNoTracking().FirstOrDefaultAsync(t => t.SecretHash == hash, cancellationToken);
        }

        var now = _store.Time.GetUtcNow();
        if (token is null)
        {
            return new TokenCheck(null, TokenRefusal.Unknown);
        }

        if (token.RevokedAt is not null)
        {
            return new TokenCheck(token, TokenRefusal.Revoked);
        }

        if (token.ExpiresAt <= now)
        {
            return new TokenCheck(token, TokenRefusal.Expired);
        }

        var newAddress = !string.Equals(token.LastUsedFrom, address, StringComparison.Ordinal);
        if (newAddress || token.LastUsedAt is null || now - token.LastUsedAt >= LastUseResolution)
        {
            await _store.WriteAsync(async (db, audit) =>
            {
                var tracked = await db.AccessTokens.FirstAsync(t => t.Id == token.Id, cancellationToken);
                tracked.LastUsedAt = now;
                tracked.LastUsedFrom = address;
                if (newAddress)
                {
                    await audit.AppendAsync(token.UserId, "token.used-from-new-address", Subject(token),
                        $"Personal access token '{token.Name}' ({token.Hint}) used from {address ?? "an unknown address"}" +
                        (token.LastUsedFrom is null ? " (first use)" : $" (before: {token.LastUsedFrom})"));
                }
            }, cancellationToken);
            token.LastUsedAt = now;
            token.LastUsedFrom = address;
        }

        return new TokenCheck(token, null);
    }

    private static string Subject(AccessToken token) => $"token/{token.Id}";

    private static string Describe(AccessToken token) => token.Roles.Length == 0 ? "all of the owner's" : token.Roles.Replace(",", ", ", StringComparison.Ordinal);
}
