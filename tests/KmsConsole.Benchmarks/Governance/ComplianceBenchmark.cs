using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Amazon.KeyManagementService;
using KmsConsole.Rotation;
using KmsConsole.Rotation.Governance;
using KmsConsole.Rotation.Persistence;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace KmsConsole.Benchmarks.Governance;

/// <summary>
/// Compliance of --keys keys under five policies (one of each rule kind): the evaluation in memory, and the whole pass
/// the console makes after a sync (read snapshots, policies, exemptions and previous answers from SQLite, judge, write
/// what changed, today's counts) — the first pass (every answer new), an unchanged fleet, and one tenth of it changed.
/// </summary>
internal static class ComplianceBenchmark
{
    private const int Repeats = 5;

    public static async Task<int> RunAsync(int keyCount, string? markdownPath, string[] args)
    {
        var now = DateTimeOffset.UtcNow;
        var keys = Fleet(keyCount, now);
        var policies = Policies(now);

        var evaluator = new ComplianceEvaluator([], new HashSet<(string, string)>(), now);
        var inMemory = Measure(() =>
        {
            var answers = 0;
            foreach (var key in keys)
            {
                foreach (var policy in policies)
                {
                    answers += evaluator.Evaluate(policy, key, null).Status == ComplianceStatus.NonCompliant ? 1 : 0;
                }
            }

            return answers;
        });

        var directory = Directory.CreateTempSubdirectory("kmsconsole-bench-compliance-").FullName;
        try
        {
            var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Rotation:Database:Provider"] = DatabaseOptions.Sqlite,
                ["Rotation:Database:ConnectionString"] = $"Data Source={Path.Combine(directory, "kmsconsole.db")}",
                ["Rotation:Orchestrator:Enabled"] = "false",
            });
            builder.AddRotation();
            using var host = builder.Build();
            await host.Services.GetRequiredService<RotationDatabase>().EnsureMigratedAsync();
            var contexts = host.Services.GetRequiredService<IDbContextFactory<RotationDbContext>>();
            await using (var db = await contexts.CreateDbContextAsync())
            {
                db.KeySnapshots.AddRange(keys);
                db.RotationPolicies.AddRange(policies);
                await db.SaveChangesAsync();
            }

            var evaluation = host.Services.GetRequiredService<ComplianceEvaluation>();
            var first = await TimeAsync(() => evaluation.EvaluateAsync(CancellationToken.None));
            var unchanged = new List<TimeSpan>();
            for (var i = 0; i < Repeats; i++)
            {
                unchanged.Add(await TimeAsync(() => evaluation.EvaluateAsync(CancellationToken.None)));
            }

            var tenth = new List<TimeSpan>();
            for (var i = 0; i < Repeats; i++)
            {
                await using (var db = await contexts.CreateDbContextAsync())
                {
                    var enabled = i % 2 == 0;
                    await db.KeySnapshots.Where(k => k.KeyId.EndsWith("7")).ExecuteUpdateAsync(s => s.SetProperty(k => k.RotationEnabled, enabled));
                }

                tenth.Add(await TimeAsync(() => evaluation.EvaluateAsync(CancellationToken.None)));
            }

            var report = Report(keyCount, policies.Count, inMemory, first, Median(unchanged), Median(tenth), args);
            Console.WriteLine(report);
            if (markdownPath is not null)
            {
                await File.WriteAllTextAsync(markdownPath, report);
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }

        return 0;
    }

    private static TimeSpan Measure(Func<int> work)
    {
        work(); // JIT and caches
        var times = new List<TimeSpan>();
        for (var i = 0; i < Repeats; i++)
        {
            var watch = Stopwatch.StartNew();
            work();
            times.Add(watch.Elapsed);
        }

        return Median(times);
    }

    private static async Task<TimeSpan> TimeAsync(Func<Task> work)
    {
        var watch = Stopwatch.StartNew();
        await work();
        return watch.Elapsed;
    }

    private static TimeSpan Median(List<TimeSpan> times) => times.Order().ElementAt(times.Count / 2);

    private static string Report(int keys, int policies, TimeSpan inMemory, TimeSpan first, TimeSpan unchanged, TimeSpan tenth, string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(inv, $"Machine: {Environment.ProcessorCount} logical cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.");
        text.AppendLine(inv, $"{keys} keys x {policies} policies = {keys * policies} answers; median of {Repeats} where repeated.");
        text.AppendLine();
        text.AppendLine("| pass | time |");
        text.AppendLine("|---|---:|");
        text.AppendLine(inv, $"| evaluation in memory | {inMemory.TotalMilliseconds:F0} ms |");
        text.AppendLine(inv, $"| whole pass over SQLite, first (every answer written) | {first.TotalMilliseconds:F0} ms |");
        text.AppendLine(inv, $"| whole pass over SQLite, fleet unchanged | {unchanged.TotalMilliseconds:F0} ms |");
        text.AppendLine(inv, $"| whole pass over SQLite, a tenth of the keys changed | {tenth.TotalMilliseconds:F0} ms |");
        text.AppendLine();
        text.AppendLine(inv, $"Reproduce: `dotnet run -c Release --project tests/KmsConsole.Benchmarks -- {string.Join(' ', args)}`");
        return text.ToString();
    }

    /// <summary>A fleet like a large account's: mostly KMS keys (some rotating, some not), imported keys with expiring material, a few disabled or asymmetric.</summary>
    private static List<KeySnapshot> Fleet(int count, DateTimeOffset now) => Enumerable.Range(0, count).Select(i =>
    {
        var imported = i % 10 == 0;
        var id = $"{Guid.NewGuid():N}"[..31] + (i % 10).ToString(CultureInfo.InvariantCulture);
        return new KeySnapshot
        {
            Target = "bench",
            KeyId = id,
            Arn = $"arn:aws:kms:{(i % 3 == 0 ? "eu-west-1" : "us-east-1")}:111122223333:key/{id}",
            Aliases = $"alias/service-{i % 500:D3}-{i:D6}",
            Origin = imported ? OriginType.EXTERNAL.Value : OriginType.AWS_KMS.Value,
            KeySpec = i % 25 == 1 ? KeySpec.ECC_NIST_P256.Value : KeySpec.SYMMETRIC_DEFAULT.Value,
            KeyUsage = KeyUsageType.ENCRYPT_DECRYPT.Value,
            KeyState = i % 40 == 3 ? KeyState.Disabled.Value : KeyState.Enabled.Value,
            KeyManager = KeyManagerType.CUSTOMER.Value,
            Description = $"service {i % 500} data key",
            RotationEnabled = !imported && i % 3 != 0,
            RotationPeriodInDays = !imported && i % 3 != 0 ? (i % 7 == 0 ? 730 : 365) : null,
            NextRotationDate = !imported && i % 3 != 0 ? now.AddDays(i % 365) : null,
            ValidTo = imported && i % 20 == 0 ? now.AddDays(i % 90) : null,
            ExpirationModel = imported ? (i % 20 == 0 ? ExpirationModelType.KEY_MATERIAL_EXPIRES.Value : ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE.Value) : null,
            CreationDate = now.AddDays(-(i % 1500)),
            Tags = new Dictionary<string, string> { ["team"] = i % 4 == 0 ? "payments" : "platform" },
            SyncedAt = now,
            DetailsReadAt = now,
        };
    }).ToList();

    private static List<RotationPolicy> Policies(DateTimeOffset now)
    {
        RotationPolicy Policy(string name, PolicyScope scope, PolicyRule rule) => new()
        {
            Id = Guid.NewGuid(), PolicyId = Guid.NewGuid(), Version = 1, Name = name, Scope = scope, Rule = rule, State = PolicyState.Active,
            ProposedBy = "bench", ProposedByName = "bench", ProposedAt = now, Justification = "benchmark", DecidedAt = now, DecidedByName = "bench",
        };

        return
        [
            Policy("KMS.4", new PolicyScope { Origins = [OriginType.AWS_KMS.Value] },
                new PolicyRule { Kind = PolicyRuleKind.AutomaticRotation, Days = 365, Remedy = WorkflowKind.EnableAutomaticRotation }),
            Policy("Expiry", new PolicyScope { Origins = [OriginType.EXTERNAL.Value] },
                new PolicyRule { Kind = PolicyRuleKind.MaterialExpiry, Days = 30, Remedy = WorkflowKind.ReimportBeforeExpiry }),
            Policy("Material age", new PolicyScope { Origins = [OriginType.EXTERNAL.Value], Regions = ["us-east-1"] },
                new PolicyRule { Kind = PolicyRuleKind.MaterialAge, Days = 365, Remedy = WorkflowKind.NewMaterialInPlace }),
            Policy("Key age", new PolicyScope { Tags = ["team=payments"], AliasPrefix = "alias/service-" },
                new PolicyRule { Kind = PolicyRuleKind.KeyAge, Days = 1095, Remedy = WorkflowKind.AliasSwapNewKey }),
            Policy("Review", new PolicyScope(), new PolicyRule { Kind = PolicyRuleKind.KeyStateReview }),
        ];
    }
}
