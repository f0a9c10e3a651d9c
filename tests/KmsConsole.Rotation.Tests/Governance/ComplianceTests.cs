using System.Text.Json;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.Rotation.Changes;
using KmsConsole.Rotation.Governance;
using KmsConsole.Rotation.Persistence;
using Microsoft.EntityFrameworkCore;
using static KmsConsole.Rotation.Tests.Governance.GovernanceFixtures;

namespace KmsConsole.Rotation.Tests.Governance;

public sealed class ComplianceTests
{
    [Fact]
    public async Task A_KMS4_policy_finds_the_keys_of_a_seeded_fleet_that_do_not_rotate_or_rotate_too_slowly()
    {
        await using var world = await RotationWorld.StartAsync();
        var (fast, _) = await world.NewAwsKeyAsync("fast");
        var (slow, _) = await world.NewAwsKeyAsync("slow");
        var (off, _) = await world.NewAwsKeyAsync("off");
        await world.Kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = fast, RotationPeriodInDays = 180 });
        await world.Kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = slow, RotationPeriodInDays = 400 });
        var signing = (await world.Kms.CreateKeyAsync(new CreateKeyRequest { KeySpec = KeySpec.ECC_NIST_P256, KeyUsage = KeyUsageType.SIGN_VERIFY })).KeyMetadata.KeyId;
        var policy = await world.ActivateAsync(Kms4(days: 365));

        await world.Inventory.SyncAsync(null);

        var answers = (await world.AnswersAsync(policy.PolicyId)).ToDictionary(a => a.KeyId);
        Assert.Equal(ComplianceStatus.Compliant, answers[fast].Status);
        Assert.Equal("rotates every 180 days", answers[fast].Reason);
        Assert.Equal((ComplianceStatus.NonCompliant, "rotates every 400 days; the policy asks every 365 days or less"), (answers[slow].Status, answers[slow].Reason));
        Assert.Equal((ComplianceStatus.NonCompliant, "automatic rotation is off"), (answers[off].Status, answers[off].Reason));
        Assert.Equal(WorkflowKind.EnableAutomaticRotation, answers[off].Remedy);
        Assert.NotNull(answers[off].NonCompliantSince);
        Assert.Equal(ComplianceStatus.NotApplicable, answers[signing].Status);
        var firstCmk = Assert.Single(answers.Values, a => a.Aliases == "alias/FirstCMK");
        Assert.Equal(ComplianceStatus.NonCompliant, firstCmk.Status);
        var imported = Assert.Single(answers.Values, a => a.Aliases == "alias/ImportedCMK");
        Assert.Equal((ComplianceStatus.NotApplicable, "origin EXTERNAL is not in the scope"), (imported.Status, imported.Reason));

        var overview = Assert.Single((await world.Compliance().GetOverviewAsync()).Policies);
        Assert.Equal(answers.Values.Count(a => a.Status == ComplianceStatus.NonCompliant), overview.NonCompliant);
        Assert.Equal(answers.Count, overview.Compliant + overview.NonCompliant + overview.NotApplicable + overview.Exempt + overview.CouldNotRead);
        Assert.NotNull(overview.EvaluatedAt);
        var day = Assert.Single((await world.Compliance().GetOverviewAsync()).Trend);
        Assert.Equal((overview.Compliant, overview.NonCompliant), (day.Compliant, day.NonCompliant));
    }

    [Fact]
    public async Task A_key_stays_non_compliant_since_the_first_evaluation_that_saw_it_and_becomes_compliant_once_remedied()
    {
        await using var world = await RotationWorld.StartAsync();
        var (keyId, alias) = await world.NewAwsKeyAsync("late");
        var policy = await world.ActivateAsync(Kms4(scope: new PolicyScope { AliasPrefix = "alias/late" }));
        await world.Inventory.SyncAsync(null);
        var first = Assert.Single(await world.AnswersAsync(policy.PolicyId, ComplianceStatus.NonCompliant));
        Assert.Equal(keyId, first.KeyId);
        ((ShiftableClock)world.Time).Advance(TimeSpan.FromDays(3));

        await world.Inventory.SyncAsync(null);
        var again = Assert.Single(await world.AnswersAsync(policy.PolicyId, ComplianceStatus.NonCompliant));
        Assert.Equal(first.NonCompliantSince, again.NonCompliantSince);
        // Due from the moment it was first seen broken: the answer is the same on every pass, so no pass rewrites it.
        Assert.Equal((first.NonCompliantSince, first.NonCompliantSince), (first.DueAt, again.DueAt));
        Assert.True(again.EvaluatedAt > first.EvaluatedAt);

        var run = await world.DriveAsync((await world.SubmitAsync(alias, WorkflowKind.EnableAutomaticRotation, new RotationParameters { RotationPeriodInDays = 365 })).Id);
        Assert.Equal(RunState.Succeeded, run.State);

        // The run's refresh of the key re-evaluates it: no full sync needed.
        var after = (await world.AnswersAsync(policy.PolicyId)).Single(a => a.KeyId == keyId);
        Assert.Equal((keyId, ComplianceStatus.Compliant, (DateTimeOffset?)null), (after.KeyId, after.Status, after.NonCompliantSince));
    }

    [Fact]
    public async Task Imported_material_expiring_within_the_window_is_due_at_its_expiry_and_without_escrow_gets_new_material_in_place()
    {
        await using var world = await RotationWorld.StartAsync();
        var (keyId, alias) = await world.NewImportedKeyAsync("expiring");
        var swap = await world.DriveAsync((await world.SubmitAsync(alias, WorkflowKind.AliasSwapImportedKey, new RotationParameters
        {
            ExpirationModel = RotationParameters.KeyMaterialExpires,
            ValidTo = world.Time.GetUtcNow().AddDays(10),
        })).Id);
        Assert.Equal(RunState.Succeeded, swap.State);
        var policy = await world.ActivateAsync(new PolicyProposal("No expiry unnoticed", new PolicyScope { Origins = [OriginType.EXTERNAL.Value] },
            new PolicyRule { Kind = PolicyRuleKind.MaterialExpiry, Days = 30, Remedy = WorkflowKind.ReimportBeforeExpiry }, "audit finding 7"));

        await world.Inventory.SyncAsync(null);

        var answers = (await world.AnswersAsync(policy.PolicyId)).ToDictionary(a => a.KeyId);
        var escrowed = answers[swap.NewKeyId!];
        Assert.Equal(ComplianceStatus.NonCompliant, escrowed.Status);
        Assert.StartsWith("the material expires on ", escrowed.Reason);
        Assert.EndsWith(", within 30 days", escrowed.Reason);
        Assert.InRange(escrowed.DueInDays(world.Time.GetUtcNow())!.Value, 9, 10);
        Assert.Equal(WorkflowKind.ReimportBeforeExpiry, escrowed.Remedy); // the swap escrowed the new key's material
        Assert.Equal((ComplianceStatus.Compliant, "the material does not expire"), (answers[keyId].Status, answers[keyId].Reason));
        var workshop = Assert.Single(answers.Values, a => a.Aliases == "alias/ImportedCMK");
        Assert.NotEqual(ComplianceStatus.NotApplicable, workshop.Status);

        // The same key without its escrowed copy: only new material remedies it.
        await world.ExecuteSqlAsync($"DELETE FROM EscrowedMaterial WHERE KeyId = '{swap.NewKeyId}'");
        await world.Compliance().EvaluateAsync(RotationWorld.Alice);
        Assert.Equal(WorkflowKind.NewMaterialInPlace, (await world.AnswersAsync(policy.PolicyId)).Single(a => a.KeyId == swap.NewKeyId).Remedy);
    }

    [Fact]
    public async Task Key_age_and_state_review_rules_judge_by_creation_date_and_key_state_and_scope_by_tag_and_exclusion()
    {
        await using var world = await RotationWorld.StartAsync();
        var (payments, _) = await world.NewAwsKeyAsync("pay"); // tagged team=payments
        var (excluded, excludedAlias) = await world.NewAwsKeyAsync("skip");
        var (disabled, _) = await world.NewAwsKeyAsync("off");
        await world.Kms.DisableKeyAsync(new DisableKeyRequest { KeyId = disabled });
        var age = await world.ActivateAsync(new PolicyProposal("Two-year keys", new PolicyScope { Tags = ["team=payments"], Exclusions = [excludedAlias] },
            new PolicyRule { Kind = PolicyRuleKind.KeyAge, Days = 730, Remedy = WorkflowKind.AliasSwapNewKey }, "key age standard"));
        var review = await world.ActivateAsync(new PolicyProposal("Review idle keys", new PolicyScope(),
            new PolicyRule { Kind = PolicyRuleKind.KeyStateReview }, "clean up"));
        await world.Inventory.SyncAsync(null);
        Assert.Equal(ComplianceStatus.Compliant, (await world.AnswersAsync(age.PolicyId)).Single(a => a.KeyId == payments).Status);

        ((ShiftableClock)world.Time).Advance(TimeSpan.FromDays(731));
        await world.Compliance().EvaluateAsync(RotationWorld.Alice);

        var ages = (await world.AnswersAsync(age.PolicyId)).ToDictionary(a => a.KeyId);
        Assert.Equal(ComplianceStatus.NonCompliant, ages[payments].Status);
        Assert.Contains("the policy replaces keys older than 730 days", ages[payments].Reason);
        Assert.Equal(WorkflowKind.AliasSwapNewKey, ages[payments].Remedy);
        Assert.Equal((ComplianceStatus.NotApplicable, "the key is excluded by the policy"), (ages[excluded].Status, ages[excluded].Reason));
        Assert.Equal((ComplianceStatus.NotApplicable, "the key is not tagged team=payments"),
            (ages.Values.Single(a => a.Aliases == "alias/FirstCMK").Status, ages.Values.Single(a => a.Aliases == "alias/FirstCMK").Reason));
        var flagged = Assert.Single(await world.AnswersAsync(review.PolicyId, ComplianceStatus.NonCompliant));
        Assert.Equal((disabled, "the key is Disabled: review whether it is still needed", (WorkflowKind?)null), (flagged.KeyId, flagged.Reason, flagged.Remedy));
    }

    [Fact]
    public async Task The_report_exports_one_row_per_key_and_policy_with_version_and_evaluation_time_as_CSV_and_JSON_and_is_audited()
    {
        await using var world = await RotationWorld.StartAsync();
        await world.NewAwsKeyAsync("report");
        var kms4 = await world.ActivateAsync(Kms4());
        var review = await world.ActivateAsync(new PolicyProposal("Review", new PolicyScope(), new PolicyRule { Kind = PolicyRuleKind.KeyStateReview }, "hygiene"));
        await world.Inventory.SyncAsync(null);
        var keys = (await world.Inventory.QueryAsync(new KeyQuery { PageSize = 500 })).TotalCount;

        using var csv = new MemoryStream();
        await world.Compliance().ExportCsvAsync(RotationWorld.Erin, csv, new ComplianceQuery());
        using var json = new MemoryStream();
        await world.Compliance().ExportJsonAsync(RotationWorld.Erin, json, new ComplianceQuery { PolicyId = kms4.PolicyId });

        var lines = System.Text.Encoding.UTF8.GetString(csv.ToArray()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("policyId,policy,policyVersion,target,keyId,arn,aliases,status,reason,nonCompliantSince,dueAt,remedy,evaluatedAt", lines[0]);
        Assert.Equal(2 * keys, lines.Length - 1);
        Assert.Contains(lines, l => l.StartsWith($"{review.PolicyId},Review,1,local,", StringComparison.Ordinal));
        using var document = JsonDocument.Parse(json.ToArray());
        var rows = document.RootElement.EnumerateArray().ToList();
        Assert.Equal(keys, rows.Count);
        Assert.All(rows, r =>
        {
            Assert.Equal(1, r.GetProperty("policyVersion").GetInt32());
            Assert.Equal("KMS.4", r.GetProperty("policy").GetString());
            Assert.True(DateTimeOffset.TryParse(r.GetProperty("evaluatedAt").GetString(), out _));
        });
        var audit = await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { Action = "compliance.exported" }, 0, 10);
        Assert.Equal(2, audit.TotalCount);
    }

    [Fact]
    public async Task An_instance_reads_the_answers_again_when_another_instance_evaluated_after_its_own_last_pass()
    {
        await using var world = await RotationWorld.StartAsync();
        var (keyId, _) = await world.NewAwsKeyAsync("shared");
        var policy = await world.ActivateAsync(Kms4(scope: new PolicyScope { AliasPrefix = "alias/shared" }));
        var clock = (ShiftableClock)world.Time;
        var instanceA = world.Get<ComplianceEvaluation>();
        var instanceB = new ComplianceEvaluation(world.Get<RotationStore>(), world.Get<IChangeFeed>());
        await world.Inventory.SyncAsync(null);
        await instanceA.EvaluateAsync(CancellationToken.None);
        var first = Assert.Single(await world.AnswersAsync(policy.PolicyId, ComplianceStatus.NonCompliant));

        clock.Advance(TimeSpan.FromHours(1));
        await SetRotationAsync(world, keyId, enabled: true);
        await instanceB.EvaluateAsync(CancellationToken.None);
        Assert.Equal(ComplianceStatus.Compliant, (await world.AnswersAsync(policy.PolicyId)).Single(a => a.KeyId == keyId).Status);

        clock.Advance(TimeSpan.FromHours(1));
        await SetRotationAsync(world, keyId, enabled: false);
        await instanceA.EvaluateAsync(CancellationToken.None);

        var again = Assert.Single(await world.AnswersAsync(policy.PolicyId, ComplianceStatus.NonCompliant));
        Assert.Equal(keyId, again.KeyId);
        Assert.True(again.NonCompliantSince > first.NonCompliantSince, "the key broke the policy again, so it is non-compliant since the last pass");
    }

    private static async Task SetRotationAsync(RotationWorld world, string keyId, bool enabled)
    {
        await using var db = await world.Get<IDbContextFactory<RotationDbContext>>().CreateDbContextAsync();
        await db.KeySnapshots.Where(k => k.KeyId == keyId).ExecuteUpdateAsync(s => s
            .SetProperty(k => k.RotationEnabled, enabled).SetProperty(k => k.RotationPeriodInDays, enabled ? 365 : null));
    }
}
