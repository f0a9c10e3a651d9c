using KmsConsole.Rotation.Persistence;
using Microsoft.EntityFrameworkCore;

namespace KmsConsole.Rotation;

/// <summary>
/// The people the console has seen sign in, with the roles and e-mail address their identity provider gave them last.
/// The web console records each sign-in here; tokens are checked against it and notifications are addressed from it.
/// </summary>
public sealed class ConsoleUsers
{
    private readonly RotationStore _store;

    internal ConsoleUsers(RotationStore store) => _store = store;

    /// <summary>
    /// Records what the identity provider says of this person now; writes only when something changed. An address left
    /// out (a provider that does not always send it) keeps the one recorded before.
    /// </summary>
    public async Task RecordAsync(Actor seen, string? email, CancellationToken cancellationToken = default)
    {
        var roles = string.Join(',', seen.Roles.Order(StringComparer.Ordinal));
        await using (var read = await _store.ReadAsync(cancellationToken))
        {
            var known = await read.ConsoleUsers.AsNoTracking().FirstOrDefaultAsync(u => u.UserId == seen.UserId, cancellationToken);
            email ??= known?.Email;
            if (known is not null && known.Roles == roles && known.DisplayName == seen.DisplayName && known.Email == email)
            {
                return;
            }
        }

        await _store.WriteAsync(async (db, _) =>
        {
            var user = await db.ConsoleUsers.FirstOrDefaultAsync(u => u.UserId == seen.UserId, cancellationToken);
            if (user is null)
            {
                user = new ConsoleUser { UserId = seen.UserId };
                db.ConsoleUsers.Add(user);
            }

            user.DisplayName = seen.DisplayName;
            user.Email = email ?? user.Email;
            user.Roles = roles;
            user.SeenAt = _store.Time.GetUtcNow();
        }, cancellationToken);
    }

    public async Task<ConsoleUser?> FindAsync(string userId, CancellationToken cancellationToken = default)
    {
        await using var db = await _store.ReadAsync(cancellationToken);
        return await db.ConsoleUsers.AsNoTracking().FirstOrDefaultAsync(u => u.UserId == userId, cancellationToken);
    }

    public async Task<IReadOnlyList<ConsoleUser>> AllAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await _store.ReadAsync(cancellationToken);
        return await db.ConsoleUsers.AsNoTracking().OrderBy(u => u.UserId).ToListAsync(cancellationToken);
    }
}
