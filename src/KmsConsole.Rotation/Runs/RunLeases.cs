using KmsConsole.Rotation.Persistence;
using Microsoft.EntityFrameworkCore;

namespace KmsConsole.Rotation.Runs;

/// <summary>
/// A run is worked on by the instance that holds its lease. Claiming is one conditional UPDATE, so when two
/// console instances share a database exactly one of them changes the row and gets the run.
/// </summary>
internal static class RunLeases
{
    public static IQueryable<Run> Runnable(this IQueryable<Run> runs, DateTimeOffset now) =>
        runs.Where(r => (r.State == RunState.Queued || r.State == RunState.Running) && (r.LeaseOwner == null || r.LeaseUntil < now));

    public static async Task<bool> TryClaimAsync(RotationDbContext db, Guid runId, string owner, DateTimeOffset now, TimeSpan duration,
        CancellationToken cancellationToken)
    {
        var until = now + duration;
        var version = Guid.NewGuid();
        var changed = await db.Runs
            .Where(r => r.Id == runId && (r.State == RunState.Queued || r.State == RunState.Running)
                        && (r.LeaseOwner == null || r.LeaseUntil < now || r.LeaseOwner == owner))
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.LeaseOwner, owner)
                .SetProperty(r => r.LeaseUntil, until)
                .SetProperty(r => r.Version, version), cancellationToken);
        return changed == 1;
    }
}
