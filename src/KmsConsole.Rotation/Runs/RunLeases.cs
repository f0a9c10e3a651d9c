using KmsConsole.Rotation.Persistence;
using Microsoft.EntityFrameworkCore;

namespace KmsConsole.Rotation.Runs;

/// <summary>
/// A run is worked on by the instance that holds its lease. Claiming is one conditional UPDATE, so when two
/// console instances share a database exactly one of them changes the row and gets the run.
/// </summary>
internal static class RunLeases
{
    /// <summary>
    /// Runs <paramref name="owner"/> may claim now: unleased, their lease run out, or leased to <paramref name="owner"/>
    /// itself, which is an instance restarting with the same InstanceId and taking its own runs back at once (its earlier
    /// process is gone, since an instance works on its runs in one loop whose pass never takes a run it already took).
    /// </summary>
    public static IQueryable<Run> Runnable(this IQueryable<Run> runs, DateTimeOffset now, string owner) =>
        runs.Where(r => (r.State == RunState.Queued || r.State == RunState.Running) && (r.LeaseOwner == null || r.LeaseUntil < now || r.LeaseOwner == owner));

    /// <summary>
    /// Hands back every lease <paramref name="owner"/> holds (an instance stopping), so other instances take its runs at
    /// once instead of after the lease runs out; a step left Running is checked for its effect by whoever continues it.
    /// </summary>
    public static Task<int> ReleaseAllAsync(RotationDbContext db, string owner, CancellationToken cancellationToken)
    {
        var version = Guid.NewGuid();
        return db.Runs
            .Where(r => r.LeaseOwner == owner && (r.State == RunState.Queued || r.State == RunState.Running))
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.LeaseOwner, (string?)null)
                .SetProperty(r => r.LeaseUntil, (DateTimeOffset?)null)
                .SetProperty(r => r.Version, version), cancellationToken);
    }

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

    /// <summary>
    /// Extends the lease of a run this instance still holds; false when it no longer does (another instance claimed it,
    /// or the run ended or was handed back). The version is left alone on purpose: renewing is no change to the run
    /// itself, and a new version would make the engine's own next save look like someone else's change. Anything that
    /// revokes the lease (a claim, an end, a resume) changes the owner or the state, which this update checks.
    /// </summary>
    public static async Task<bool> TryRenewAsync(RotationDbContext db, Guid runId, string owner, DateTimeOffset now, TimeSpan duration,
        CancellationToken cancellationToken)
    {
        var until = now + duration;
        var changed = await db.Runs
            .Where(r => r.Id == runId && r.LeaseOwner == owner && (r.State == RunState.Queued || r.State == RunState.Running))
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseUntil, until), cancellationToken);
        return changed == 1;
    }
}
