using System.Text.RegularExpressions;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using KmsConsole.LocalKms.Iam;
using KmsConsole.Rotation.Iam;
using KmsConsole.Rotation.Runs;
using IamPolicyDocument = KmsConsole.Rotation.Iam.IamPolicyDocument;
using Microsoft.Extensions.DependencyInjection;

namespace KmsConsole.Rotation.Tests.Iam;

/// <summary>
/// Every workflow, run by a role that holds only the generated least-privilege policy for it, against the local
/// endpoint with KMS permission enforcement on and every IAM check of a KMS call recorded: the request, the run and
/// the key list's refresh when it ends complete, every call they made is covered by the workflow's own
/// <see cref="KmsPermissionRequirements.For(string, KmsRunResources, bool, string?)"/> (not by the key list's
/// account-wide reads, which would hide a gap), every requirement was called, and without any single required
/// action the request is refused naming it.
/// </summary>
public sealed class PermissionCoverageTests
{
    private const string Role = "KmsConsole-CoverageRunner";
    private const string PolicyName = "UnderTest";
    private const string Region = "us-east-1";
    private const string Account = "111122223333";
    private const string EscrowAlias = "alias/kmsconsole-escrow";

    public static TheoryData<WorkflowKind, bool, OldKeyFate> Cases
    {
        get
        {
            var cases = new TheoryData<WorkflowKind, bool, OldKeyFate>
            {
                { WorkflowKind.EnableAutomaticRotation, false, OldKeyFate.Keep },
                { WorkflowKind.EnableAutomaticRotation, true, OldKeyFate.Keep },
                { WorkflowKind.NewMaterialInPlace, false, OldKeyFate.Keep },
                { WorkflowKind.ReimportBeforeExpiry, false, OldKeyFate.Keep },
                { WorkflowKind.RollBack, false, OldKeyFate.Keep },
            };
            foreach (var fate in new[] { OldKeyFate.Keep, OldKeyFate.Disable, OldKeyFate.ScheduleDeletion })
            {
                cases.Add(WorkflowKind.AliasSwapNewKey, false, fate);
            }

            // A staged retirement waits days at its watch (tested in Safety/StagedRetirementTests), which driving the run here cannot pass.
            foreach (var fate in Enum.GetValues<OldKeyFate>().Where(f => f != OldKeyFate.StagedRetirement))
            {
                cases.Add(WorkflowKind.AliasSwapImportedKey, false, fate);
            }

            return cases;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_role_with_only_the_generated_policy_completes_the_run_and_every_call_is_a_listed_requirement(WorkflowKind workflow, bool rotateNow, OldKeyFate fate)
    {
        await using var world = await RotationWorld.StartAsync(configure: o => o.Targets[0].AccessKeyId = Role);
        var iam = world.Server.Services.GetRequiredService<IamStore>();
        var settings = world.Server.Services.GetRequiredService<LocalIamOptions>();
        var recorder = world.Server.Services.GetRequiredService<KmsCallRecorder>();
        await iam.CreateRoleAsync(Role, "/", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}""", "runs rotations in this test", 3600);

        // The state each workflow starts from, made by the console itself with every KMS permission.
        await PutPolicyAsync(iam, """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}""");
        settings.EnforceKmsPermissions = true;
        var situation = await PrepareAsync(world, workflow);
        var parameters = ParametersFor(world, workflow, rotateNow, fate, situation.SwapRun);
        var resources = await ResourcesAsync(world, situation);
        var required = KmsPermissionRequirements.For(workflow, resources, rotateNow,
            workflow is WorkflowKind.AliasSwapNewKey or WorkflowKind.AliasSwapImportedKey ? fate : null);
        var runsBefore = (await world.Runs.ListAsync(new RunFilter(), 0, 100)).TotalCount;

        foreach (var action in required.Select(p => p.Action).Distinct(StringComparer.Ordinal))
        {
            await PutPolicyAsync(iam, LeastPrivilegePolicy.ForPermissions(required.Where(p => p.Action != action), resources, PolicyScope.NamedResources));

            var refused = await Assert.ThrowsAnyAsync<Exception>(() => RequestAsync(world, workflow, situation, parameters));

            Assert.True(refused is RotationRefusedException or AmazonServiceException { ErrorCode: "AccessDeniedException" }, $"Without {action}: {refused}");
            Assert.Contains(action, refused.Message, StringComparison.Ordinal);
        }

        Assert.Equal(runsBefore, (await world.Runs.ListAsync(new RunFilter(), 0, 100)).TotalCount);

        await PutPolicyAsync(iam, LeastPrivilegePolicy.ForWorkflow(workflow, resources, PolicyScope.NamedResources, rotateNow,
            workflow is WorkflowKind.AliasSwapNewKey or WorkflowKind.AliasSwapImportedKey ? fate : null));
        recorder.Clear();
        recorder.Recording = true;

        var run = await RequestAsync(world, workflow, situation, parameters);
        var finished = await world.DriveAsync(run.Id);
        recorder.Recording = false;

        Assert.True(finished.State == RunState.Succeeded, $"{finished.State}: {finished.Error} {string.Join(" | ", finished.Steps.Select(s => s.ErrorMessage))}");
        Assert.Equal(PermissionSource.SimulatePrincipalPolicy, run.PermissionCheck!.Source);
        Assert.Equal(run.PermissionCheck.Permissions.Count, run.PermissionCheck.AllowedCount);
        Assert.DoesNotContain("refreshing its keys in the inventory failed", world.Logs.AllText, StringComparison.Ordinal);

        var calls = recorder.CallsBy(Role);
        Assert.NotEmpty(calls);
        Assert.All(calls, c => Assert.True(c.Allowed, $"{c.Action} on {c.Resource} was denied"));
        var uncovered = calls.Where(c => !required.Any(p => p.Action == c.Action && Covers(p.Resource, c.Resource)))
            .Select(c => $"{c.Action} on {c.Resource}").Distinct().ToList();
        Assert.True(uncovered.Count == 0, "Called but not a requirement: " + string.Join(", ", uncovered));
        var unused = required.Where(p => !p.RecoveryOnly && !calls.Any(c => c.Action == p.Action && Covers(p.Resource, c.Resource)))
            .Select(p => $"{p.Action} on {p.Resource}").ToList();
        Assert.True(unused.Count == 0, "Required but never called: " + string.Join(", ", unused));
        // Recovery-only requirements are called only when a run recovers (checked below), never by a run like this one.
        var recoveryCalls = calls.Where(c => required.Where(p => p.Action == c.Action && Covers(p.Resource, c.Resource)).All(p => p.RecoveryOnly))
            .Select(c => $"{c.Action} on {c.Resource}").Distinct().ToList();
        Assert.True(recoveryCalls.Count == 0, "An uninterrupted run called what only recovery should: " + string.Join(", ", recoveryCalls));
    }

    [Theory]
    [InlineData(WorkflowKind.AliasSwapNewKey)]
    [InlineData(WorkflowKind.AliasSwapImportedKey)]
    public async Task A_run_whose_CreateKey_answer_was_lost_recovers_with_only_the_generated_policy_using_its_recovery_only_permissions(WorkflowKind workflow)
    {
        var clock = new ShiftableClock();
        await using var world = await RotationWorld.StartAsync(clock, configure: o => o.Targets[0].AccessKeyId = Role);
        var iam = world.Server.Services.GetRequiredService<IamStore>();
        var settings = world.Server.Services.GetRequiredService<LocalIamOptions>();
        var recorder = world.Server.Services.GetRequiredService<KmsCallRecorder>();
        await iam.CreateRoleAsync(Role, "/", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}""", "runs rotations in this test", 3600);
        await PutPolicyAsync(iam, """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}""");
        settings.EnforceKmsPermissions = true;
        var situation = await PrepareAsync(world, workflow);
        if (workflow == WorkflowKind.AliasSwapImportedKey)
        {
            // With an escrow key in place, the tag search is the lost CreateKey's alone (the first import also searches for an escrow key).
            var (first, _) = await world.NewImportedKeyAsync();
            Assert.Equal(RunState.Succeeded, (await world.DriveAsync((await world.SubmitAsync(first, WorkflowKind.NewMaterialInPlace)).Id)).State);
        }

        var resources = await ResourcesAsync(world, situation);
        var required = KmsPermissionRequirements.For(workflow, resources, oldKeyFate: OldKeyFate.Keep);
        var recoveryOnly = required.Where(p => p.RecoveryOnly).ToList();
        Assert.Equal(["kms:ListKeys", "kms:ListResourceTags"], recoveryOnly.Select(p => p.Action).Order(StringComparer.Ordinal));
        Assert.All(recoveryOnly, p => Assert.EndsWith(KmsPermissionRequirements.RecoveryOnlyNote, p.Reason, StringComparison.Ordinal));
        var policy = LeastPrivilegePolicy.ForWorkflow(workflow, resources, PolicyScope.NamedResources, oldKeyFate: OldKeyFate.Keep);
        Assert.All(recoveryOnly, p => Assert.Contains(IamPolicyDocument.Parse(policy).Statements, st => st.Actions.Contains(p.Action) && st.Resources.Contains(p.Resource)));
        await PutPolicyAsync(iam, policy);

        var run = await RequestAsync(world, workflow, situation, ParametersFor(world, workflow, false, OldKeyFate.Keep, null));
        var createStep = run.Steps.FindIndex(s => s.Name.StartsWith("Create the new", StringComparison.Ordinal));
        await Assert.ThrowsAsync<SimulatedCrashException>(() => world.DriveAsync(run.Id, world.NewOrchestrator(new CrashBeforeRecording(createStep))));
        var created = Assert.Single(await world.KeysTaggedWithAsync(run.Id));
        Assert.Null((await world.Runs.GetAsync(run.Id))!.NewKeyId);

        clock.Advance(world.Options.Orchestrator.LeaseDuration + TimeSpan.FromSeconds(1));
        recorder.Clear();
        recorder.Recording = true;
        var finished = await world.DriveAsync(run.Id, world.NewOrchestrator());
        recorder.Recording = false;

        Assert.True(finished.State == RunState.Succeeded, $"{finished.State}: {finished.Error} {string.Join(" | ", finished.Steps.Select(s => s.ErrorMessage))}");
        Assert.Equal(created, finished.NewKeyId);
        Assert.Equal(created, Assert.Single(await world.KeysTaggedWithAsync(run.Id)));
        Assert.Contains("found by its", finished.Steps[createStep].Output, StringComparison.Ordinal);
        var calls = recorder.CallsBy(Role);
        Assert.All(calls, c => Assert.True(c.Allowed, $"{c.Action} on {c.Resource} was denied"));
        var uncovered = calls.Where(c => !required.Any(p => p.Action == c.Action && Covers(p.Resource, c.Resource)))
            .Select(c => $"{c.Action} on {c.Resource}").Distinct().ToList();
        Assert.True(uncovered.Count == 0, "Called but not a requirement: " + string.Join(", ", uncovered));
        Assert.All(recoveryOnly, p => Assert.True(calls.Any(c => c.Action == p.Action && Covers(p.Resource, c.Resource)), $"Recovery never called {p.Action} on {p.Resource}"));
        // The search read the tags of keys other than the run's own: exactly what the account-wide grant is for.
        Assert.Contains(calls, c => c.Action == "kms:ListResourceTags" && c.Resource != situation.KeyArn && !c.Resource.EndsWith(created, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_first_import_needs_permission_to_create_the_escrow_key_and_a_later_one_does_not()
    {
        await using var world = await RotationWorld.StartAsync();
        var (keyId, alias) = await world.NewImportedKeyAsync();
        var key = await world.DescribeAsync(keyId);
        var before = KmsPermissionRequirements.For(WorkflowKind.NewMaterialInPlace, new KmsRunResources(Region, Account, key.Arn, alias));

        Assert.Contains(before, p => p.Action == "kms:CreateKey");
        Assert.Contains(before, p => p.Action == "kms:CreateAlias" && p.Resource == KmsArns.Alias(Region, Account, EscrowAlias));
        Assert.Contains(before, p => p.Action == "kms:TagResource" && p.Resource == KmsArns.AnyKey(Region, Account));

        var run = await world.SubmitAsync(keyId, WorkflowKind.NewMaterialInPlace);
        Assert.Equal(RunState.Succeeded, (await world.DriveAsync(run.Id)).State);
        var escrow = (await world.DescribeAsync(EscrowAlias)).Arn;
        var after = KmsPermissionRequirements.For(WorkflowKind.NewMaterialInPlace, new KmsRunResources(Region, Account, key.Arn, alias, escrow));

        Assert.DoesNotContain(after, p => p.Action is "kms:CreateKey" or "kms:CreateAlias" or "kms:TagResource");
        Assert.Contains(after, p => p.Action == "kms:GenerateDataKey" && p.Resource == escrow);
        Assert.Contains(after, p => p.Action == "kms:Decrypt" && p.Resource == escrow);
    }

    [Fact]
    public async Task A_grant_is_applied_with_the_targets_grant_credentials_and_attached_to_the_executing_role()
    {
        const string Admin = "KmsConsole-GrantAdmin";
        await using var world = await RotationWorld.StartAsync(configure: o =>
        {
            o.Targets[0].AccessKeyId = IamSeed.RoleName;
            o.Targets[0].GrantAccessKeyId = Admin;
            o.Targets[0].GrantSecretAccessKey = "local-endpoint";
        });
        var iam = world.Server.Services.GetRequiredService<IamStore>();
        world.Server.Services.GetRequiredService<LocalIamOptions>().EnforceKmsPermissions = true;
        await iam.CreateRoleAsync(Admin, "/", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}""", "applies KmsConsole's grants", 3600);
        // The local IAM endpoint does not evaluate IAM actions; in AWS this is what the grant role needs.
        await iam.PutRolePolicyAsync(Admin, "ApplyGrants",
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetRole","iam:CreatePolicy","iam:GetPolicy","iam:GetPolicyVersion","iam:CreatePolicyVersion","iam:ListAttachedRolePolicies","iam:AttachRolePolicy"],"Resource":"*"}]}""");
        var clients = world.Get<IIamClientFactory>();
        var adminSession = IamPolicyEnforcer.SessionArn(Account, Admin, Admin);
        var runnerSession = IamPolicyEnforcer.SessionArn(Account, IamSeed.RoleName, IamSeed.RoleName);
        Assert.Equal(adminSession, (await clients.CreateForGrants(RotationWorld.Target).GetCallerIdentityAsync()).Arn);
        Assert.Equal(runnerSession, (await clients.Create(RotationWorld.Target).GetCallerIdentityAsync()).Arn);

        var grants = world.Get<PolicyGrants>();
        var request = new PolicyGrantRequest(RotationWorld.Target, [WorkflowKind.AliasSwapNewKey], PolicyScope.Account);
        var preview = await grants.PreviewAsync(new Actor("adam", "Adam Admin", new HashSet<string> { Roles.Admin }), request);

        Assert.Equal($"arn:aws:iam::{Account}:role/{IamSeed.RoleName}", preview.RoleArn);
        Assert.Equal(adminSession, preview.AppliedBy);
        Assert.True(preview.AppliedWithGrantCredentials);
        var grant = await grants.RequestAsync(new Actor("adam", "Adam Admin", new HashSet<string> { Roles.Admin }), request, "the workshop's IAM step");
        var applied = await grants.ApproveAsync(RotationWorld.Bob, grant.Id, null);

        Assert.Equal(PolicyGrantState.Applied, applied.State);
        Assert.Contains(await iam.ListAttachedRolePoliciesAsync(IamSeed.RoleName), p => p.PolicyArn == applied.PolicyArn);
        Assert.Empty(await iam.ListAttachedRolePoliciesAsync(Admin));
        var audit = (await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { Subject = PolicyGrants.Subject(grant.Id), Action = "grant.applied" }, 0, 10)).Items.Single();
        Assert.EndsWith($"applied by {adminSession}", audit.Details, StringComparison.Ordinal);
        Assert.True((await world.Requests.PreflightAsync(new RotationRequest(RotationWorld.Target, "alias/FirstCMK", WorkflowKind.AliasSwapNewKey, new RotationParameters(), "j"))).Allowed);

        // The key list's reads ride along unless the Admin leaves them out.
        var rotation = new PolicyGrantRequest(RotationWorld.Target, [WorkflowKind.EnableAutomaticRotation], PolicyScope.NamedResources, ["alias/FirstCMK"]);
        var adam = new Actor("adam", "Adam Admin", new HashSet<string> { Roles.Admin });
        var withReads = IamPolicyDocument.Parse((await grants.PreviewAsync(adam, rotation)).PolicyDocument);
        var withoutReads = IamPolicyDocument.Parse((await grants.PreviewAsync(adam, rotation with { IncludeInventoryReads = false })).PolicyDocument);
        Assert.Contains(withReads.Statements, st => st.Actions.Contains("kms:ListKeys") && st.Resources.SequenceEqual(["*"]));
        Assert.Contains(withReads.Statements, st => st.Actions.Contains("kms:ListResourceTags") && st.Resources.Contains(KmsArns.AnyKey(Region, Account)));
        Assert.DoesNotContain(withoutReads.Statements, st => st.Actions.Contains("kms:ListKeys") || st.Actions.Contains("kms:ListResourceTags"));
        Assert.DoesNotContain(withoutReads.Statements, st => st.Resources.Contains(KmsArns.AnyKey(Region, Account)));
    }

    [Fact]
    public void Grant_credentials_assume_the_grant_role_from_the_grant_keys_else_fall_back_to_the_targets_credentials()
    {
        var plain = new KmsTarget { Name = "aws", AccessKeyId = "AKIDRUNNER", SecretAccessKey = "s", RoleArn = "arn:aws:iam::111122223333:role/Runner" };
        var runner = Assert.IsType<AssumeRoleAWSCredentials>(new Targets.TargetCredentials().ForGrants(plain));
        Assert.Equal(plain.RoleArn, runner.RoleArn);

        var withRole = new KmsTarget { Name = "aws", AccessKeyId = "AKIDRUNNER", SecretAccessKey = "s", RoleArn = plain.RoleArn, GrantRoleArn = "arn:aws:iam::111122223333:role/GrantAdmin" };
        var admin = Assert.IsType<AssumeRoleAWSCredentials>(Targets.TargetCredentials.BuildForGrants(withRole));
        Assert.Equal(withRole.GrantRoleArn, admin.RoleArn);
        Assert.Equal("AKIDRUNNER", Assert.IsType<BasicAWSCredentials>(admin.SourceCredentials).GetCredentials().AccessKey);

        var withKeys = new KmsTarget { Name = "local", AccessKeyId = "AKIDRUNNER", SecretAccessKey = "s", GrantAccessKeyId = "AKIDADMIN", GrantSecretAccessKey = "t" };
        Assert.Equal("AKIDADMIN", Targets.TargetCredentials.BuildForGrants(withKeys).GetCredentials().AccessKey);
        Assert.Equal("AKIDRUNNER", Targets.TargetCredentials.Build(withKeys).GetCredentials().AccessKey);
    }

    [Fact]
    public void A_targets_KMS_and_IAM_clients_share_one_credentials_object_so_its_role_is_assumed_once()
    {
        var credentials = new Targets.TargetCredentials();
        var plain = new KmsTarget { Name = "aws", AccessKeyId = "AKIDRUNNER", SecretAccessKey = "s", RoleArn = "arn:aws:iam::111122223333:role/Runner" };
        var withGrantRole = new KmsTarget { Name = "other", AccessKeyId = "AKIDRUNNER", SecretAccessKey = "s", RoleArn = plain.RoleArn, GrantRoleArn = "arn:aws:iam::111122223333:role/GrantAdmin" };

        Assert.Same(credentials.For(plain), credentials.For(plain));
        Assert.Same(credentials.For(plain), credentials.ForGrants(plain));
        Assert.Same(credentials.ForGrants(withGrantRole), credentials.ForGrants(withGrantRole));
        Assert.NotSame(credentials.For(withGrantRole), credentials.ForGrants(withGrantRole));
    }

    /// <summary>Stops the orchestrator after a step's effect and before it is recorded, as a crash would.</summary>
    private sealed class CrashBeforeRecording(int stepIndex) : RunEngineHooks
    {
        public override void AfterStepEffect(Run run, int index)
        {
            if (index == stepIndex)
            {
                throw new SimulatedCrashException($"crash after step {index}'s effect");
            }
        }
    }

    private sealed record Situation(string KeyArn, string Subject, string? Alias, Run? SwapRun);

    private static Task PutPolicyAsync(IamStore iam, string document) => iam.PutRolePolicyAsync(Role, PolicyName, document);

    private static async Task<Situation> PrepareAsync(RotationWorld world, WorkflowKind workflow)
    {
        switch (workflow)
        {
            case WorkflowKind.EnableAutomaticRotation:
            case WorkflowKind.AliasSwapNewKey:
            {
                var (keyId, alias) = await world.NewAwsKeyAsync();
                await GrantToAppAsync(world, workflow, keyId);
                return new Situation((await world.DescribeAsync(keyId)).Arn, alias, alias, null);
            }

            case WorkflowKind.AliasSwapImportedKey or WorkflowKind.NewMaterialInPlace:
            {
                var (keyId, alias) = await world.NewImportedKeyAsync();
                await GrantToAppAsync(world, workflow, keyId);
                return new Situation((await world.DescribeAsync(keyId)).Arn, alias, alias, null);
            }

            case WorkflowKind.ReimportBeforeExpiry:
            {
                // Only material KmsConsole imported (and escrowed) can be re-imported.
                var (keyId, alias) = await world.NewImportedKeyAsync();
                var imported = await world.SubmitAsync(keyId, WorkflowKind.NewMaterialInPlace);
                Assert.Equal(RunState.Succeeded, (await world.DriveAsync(imported.Id)).State);
                return new Situation((await world.DescribeAsync(keyId)).Arn, keyId, alias, null);
            }

            default:
            {
                var (keyId, alias) = await world.NewAwsKeyAsync();
                var swap = await world.SubmitAsync(alias, WorkflowKind.AliasSwapNewKey);
                var swapped = await world.DriveAsync(swap.Id);
                Assert.Equal(RunState.Succeeded, swapped.State);
                return new Situation((await world.DescribeAsync(keyId)).Arn, alias, alias, swapped);
            }
        }
    }

    /// <summary>The alias swaps copy the old key's grants: a grant on the old key makes the run call CreateGrant.</summary>
    private static async Task GrantToAppAsync(RotationWorld world, WorkflowKind workflow, string keyId)
    {
        if (workflow is WorkflowKind.AliasSwapNewKey or WorkflowKind.AliasSwapImportedKey)
        {
            // Made by the key's administrator, not by the workshop role the test's own client acts as.
            var settings = world.Server.Services.GetRequiredService<LocalIamOptions>();
            var enforced = settings.EnforceKmsPermissions;
            settings.EnforceKmsPermissions = false;
            await world.Kms.CreateGrantAsync(new CreateGrantRequest
            {
                KeyId = keyId, GranteePrincipal = "arn:aws:iam::111122223333:role/AppRole", Operations = [GrantOperation.Decrypt],
            });
            settings.EnforceKmsPermissions = enforced;
        }
    }

    private static RotationParameters ParametersFor(RotationWorld world, WorkflowKind workflow, bool rotateNow, OldKeyFate fate, Run? swap) => workflow switch
    {
        WorkflowKind.EnableAutomaticRotation => new RotationParameters { RotateNow = rotateNow, RotationPeriodInDays = 180 },
        WorkflowKind.ReimportBeforeExpiry => new RotationParameters { ExpirationModel = RotationParameters.KeyMaterialExpires, ValidTo = world.Time.GetUtcNow().AddDays(200) },
        WorkflowKind.RollBack => new RotationParameters { RollBackOf = swap!.Id },
        _ => new RotationParameters { OldKeyFate = fate, PendingWindowInDays = fate == OldKeyFate.ScheduleDeletion ? 7 : null },
    };

    /// <summary>The run's resources as the test knows them, independently of the console's own lookup.</summary>
    private static async Task<KmsRunResources> ResourcesAsync(RotationWorld world, Situation situation)
    {
        string? escrow = null;
        try
        {
            escrow = (await world.DescribeAsync(EscrowAlias)).Arn;
        }
        catch (Amazon.KeyManagementService.Model.NotFoundException)
        {
        }

        var swappedTo = situation.SwapRun is { NewKeyId: { } created } ? KmsArns.Key(Region, Account, created) : null;
        return new KmsRunResources(Region, Account, situation.KeyArn, situation.Alias, escrow, swappedTo, EscrowAlias);
    }

    private static Task<Run> RequestAsync(RotationWorld world, WorkflowKind workflow, Situation situation, RotationParameters parameters) =>
        workflow == WorkflowKind.RollBack
            ? world.Requests.RequestRollBackAsync(RotationWorld.Alice, situation.SwapRun!.Id, "the new key breaks a consumer")
            : world.Requests.SubmitAsync(RotationWorld.Alice, new RotationRequest(RotationWorld.Target, situation.Subject, workflow, parameters, "coverage"));

    /// <summary>IAM's Resource matching for the patterns requirements use: "*", an exact ARN, or an ARN ending in a wildcard.</summary>
    private static bool Covers(string pattern, string resource) =>
        Regex.IsMatch(resource, "^" + Regex.Escape(pattern).Replace(@"\*", ".*", StringComparison.Ordinal) + "$", RegexOptions.None, TimeSpan.FromSeconds(1));
}
