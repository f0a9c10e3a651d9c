using BenchmarkDotNet.Attributes;
using KmsConsole.Rotation;

namespace KmsConsole.Benchmarks.Queries;

/// <summary>
/// The Audit page's queries (50 rows a page, newest first) through <see cref="AuditTrail.QueryAsync"/> over the
/// seeded chain, and the CSV export streamed to <see cref="Stream.Null"/>.
/// </summary>
[MemoryDiagnoser]
public class AuditTrailBenchmarks
{
    private const int PageSize = 50;
    private static readonly Actor Auditor = new("auditor", "Benchmark Auditor", new HashSet<string> { Roles.Auditor });

    private AuditTrail _trail = null!;
    private AuditFilter _oneDay = new();
    private AuditFilter _stepsInAWeek = new();
    private Guid _runId;
    private Rotation.Audit.AuditAnchor _tenBack = null!;

    [GlobalSetup]
    public void Setup()
    {
        var database = QueryDatabase.Instance;
        _trail = database.Audit;
        _runId = database.SampleRunId;
        var middle = database.TrailStart + QueryDatabase.TrailSpan / 2;
        _oneDay = new AuditFilter { From = middle, To = middle.AddDays(1) };
        _stepsInAWeek = new AuditFilter { Action = "step.succeeded", From = middle, To = middle.AddDays(7) };
        var tenth = _trail.QueryAsync(Auditor, new AuditFilter(), 0, PageSize).GetAwaiter().GetResult().Items[10];
        _tenBack = new Rotation.Audit.AuditAnchor(tenth.Sequence, tenth.Hash);
    }

    [Benchmark(Description = "no filter, first page")]
    public Task<PagedResult<AuditEvent>> FirstPage() => _trail.QueryAsync(Auditor, new AuditFilter(), 0, PageSize);

    [Benchmark(Description = "no filter, page 10,000")]
    public Task<PagedResult<AuditEvent>> DeepPage() => _trail.QueryAsync(Auditor, new AuditFilter(), 10_000, PageSize);

    [Benchmark(Description = "actor user-042, first page")]
    public Task<PagedResult<AuditEvent>> ByActor() => _trail.QueryAsync(Auditor, new AuditFilter { Actor = "user-042" }, 0, PageSize);

    [Benchmark(Description = "action run.failed, page 100")]
    public Task<PagedResult<AuditEvent>> ByActionDeep() => _trail.QueryAsync(Auditor, new AuditFilter { Action = "run.failed" }, 100, PageSize);

    [Benchmark(Description = "subject contains 'service-042', first page")]
    public Task<PagedResult<AuditEvent>> BySubject() => _trail.QueryAsync(Auditor, new AuditFilter { Subject = "service-042" }, 0, PageSize);

    [Benchmark(Description = "subject contains 'service-042', page 20")]
    public Task<PagedResult<AuditEvent>> BySubjectDeep() => _trail.QueryAsync(Auditor, new AuditFilter { Subject = "service-042" }, 20, PageSize);

    [Benchmark(Description = "subject contains 'alias/service-4' (a tenth of all), first page")]
    public Task<PagedResult<AuditEvent>> BySubjectBroad() => _trail.QueryAsync(Auditor, new AuditFilter { Subject = "alias/service-4" }, 0, PageSize);

    [Benchmark(Description = "subject contains 'se' (under a trigram), first page")]
    public Task<PagedResult<AuditEvent>> BySubjectShort() => _trail.QueryAsync(Auditor, new AuditFilter { Subject = "se" }, 0, PageSize);

    [Benchmark(Description = "page open: verify from the last verified head (10 new events)")]
    public Task<AuditChainVerification> VerifyOnOpen() => _trail.VerifyFromAsync(Auditor, _tenBack, CancellationToken.None);

    [Benchmark(Description = "one run")]
    public Task<PagedResult<AuditEvent>> ByRun() => _trail.QueryAsync(Auditor, new AuditFilter { RunId = _runId }, 0, PageSize);

    [Benchmark(Description = "one day, first page")]
    public Task<PagedResult<AuditEvent>> ByDay() => _trail.QueryAsync(Auditor, _oneDay, 0, PageSize);

    [Benchmark(Description = "step.succeeded in one week, page 20")]
    public Task<PagedResult<AuditEvent>> ActionInWeek() => _trail.QueryAsync(Auditor, _stepsInAWeek, 20, PageSize);

    [Benchmark(Description = "CSV export, one day")]
    public Task ExportDay() => _trail.ExportCsvAsync(Auditor, Stream.Null, _oneDay);

    [Benchmark(Description = "CSV export, whole trail")]
    public Task ExportAll() => _trail.ExportCsvAsync(Auditor, Stream.Null, new AuditFilter());
}
