using KmsConsole.Iam.Tests.Endpoints;
using KmsConsole.Rotation.Iam;

namespace KmsConsole.Iam.Tests;

/// <summary>
/// Preflight over HTTP: the generated least-privilege policy passes preflight for its workflow, and a role
/// lacking kms:UpdateAlias is reported with that action named. Runs through SimulatePrincipalPolicy on the
/// local endpoint, through the policy documents on the local endpoint, and through the documents on moto
/// (which has no SimulatePrincipalPolicy, so preflight must fall back by itself).
/// </summary>
[Collection(IamEndpointsCollection.Name)]
public sealed class PreflightTests(IamEndpointsFixture endpoints)
{
    private const string Region = "us-east-1";

    public static TheoryData<string, string, bool> WorkflowsOnEveryPath()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (var workflow in KmsPermissionRequirements.Workflows)
        {
            data.Add(workflow, IamTarget.Local, true);
            data.Add(workflow, IamTarget.Local, false);
            data.Add(workflow, IamTarget.Moto, true);
        }

        return data;
    }

    public static TheoryData<string, bool> Paths => new() { { IamTarget.Local, true }, { IamTarget.Local, false }, { IamTarget.Moto, true } };

    private static KmsRunResources ResourcesFor(IamTarget target) => new(
        Region, target.AccountId,
        KmsArns.Key(Region, target.AccountId, "1234abcd-12ab-34cd-56ef-1234567890ab"),
        "alias/FirstCMK",
        KmsArns.Key(Region, target.AccountId, "0987dcba-09fe-87dc-65ba-ab0987654321"));

    [SkippableTheory]
    [MemberData(nameof(WorkflowsOnEveryPath))]
    public async Task The_generated_policy_passes_preflight_for_its_workflow(string workflow, string targetName, bool useSimulation)
    {
        var target = endpoints.Get(targetName);
        var resources = ResourcesFor(target);
        var role = IamTarget.Unique("runner");
        var roleArn = await target.CreateRoleAsync(role);
        var preflight = new PermissionPreflight(target.Client, useSimulation);
        var before = await preflight.CheckWorkflowAsync(roleArn, workflow, resources, rotateNow: true);

        var policy = await target.Client.CreatePolicyAsync(IamTarget.Unique(LeastPrivilegePolicy.PolicyNameFor(workflow)), LeastPrivilegePolicy.ForWorkflow(workflow, resources, PolicyScope.Account, rotateNow: true));
        await target.Client.AttachRolePolicyAsync(role, policy.Arn);
        var after = await preflight.CheckWorkflowAsync(roleArn, workflow, resources, rotateNow: true);

        Assert.False(before.Allowed);
        Assert.True(after.Allowed, string.Join("\n", after.Refusals));
        Assert.Empty(after.MissingActions);
        Assert.All(after.Checks, c => Assert.Equal(policy.PolicyName, c.DecidingPolicy));
        var expectedSource = useSimulation && !target.IsMoto ? PermissionSource.SimulatePrincipalPolicy : PermissionSource.PolicyDocuments;
        Assert.Equal(expectedSource, after.Source);
        if (target.IsMoto)
        {
            Assert.NotNull(after.SimulationUnavailableReason);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public async Task A_policy_scoped_to_the_named_key_and_alias_passes_for_that_run_only(string targetName, bool useSimulation)
    {
        var target = endpoints.Get(targetName);
        var resources = ResourcesFor(target);
        var role = IamTarget.Unique("named-runner");
        var roleArn = await target.CreateRoleAsync(role);
        var policy = await target.Client.CreatePolicyAsync(IamTarget.Unique("Named"), LeastPrivilegePolicy.ForWorkflow("AliasSwapNewKey", resources, PolicyScope.NamedResources, oldKeyFate: "Disable"));
        await target.Client.AttachRolePolicyAsync(role, policy.Arn);
        var preflight = new PermissionPreflight(target.Client, useSimulation);

        var same = await preflight.CheckWorkflowAsync(roleArn, "AliasSwapNewKey", resources, oldKeyFate: "Disable");
        var otherAlias = await preflight.CheckWorkflowAsync(roleArn, "AliasSwapNewKey", resources with { AliasName = "alias/ImportedCMK" }, oldKeyFate: "Disable");

        Assert.True(same.Allowed, string.Join("\n", same.Refusals));
        Assert.False(otherAlias.Allowed);
        Assert.Equal(["kms:UpdateAlias"], otherAlias.MissingActions);
    }

    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public async Task A_role_lacking_UpdateAlias_is_reported_with_that_action_named(string targetName, bool useSimulation)
    {
        var target = endpoints.Get(targetName);
        var resources = ResourcesFor(target);
        var role = IamTarget.Unique("no-update-alias");
        var roleArn = await target.CreateRoleAsync(role);
        var everythingButUpdateAlias = KmsPermissionRequirements.For("AliasSwapNewKey", resources, oldKeyFate: "Disable")
            .Where(p => p.Action != "kms:UpdateAlias").ToList();
        var policy = await target.Client.CreatePolicyAsync(IamTarget.Unique("NoUpdateAlias"), LeastPrivilegePolicy.ForPermissions(everythingButUpdateAlias, resources, PolicyScope.Account));
        await target.Client.AttachRolePolicyAsync(role, policy.Arn);

        var report = await new PermissionPreflight(target.Client, useSimulation).CheckWorkflowAsync(roleArn, "AliasSwapNewKey", resources, oldKeyFate: "Disable");

        Assert.False(report.Allowed);
        Assert.Equal(["kms:UpdateAlias"], report.MissingActions);
        var denied = report.Checks.Where(c => !c.IsAllowed).ToList();
        Assert.Equal(3, denied.Count); // on the alias, the current key and the new key
        Assert.All(denied, c => Assert.Equal(PermissionDecision.ImplicitDeny, c.Decision));
        Assert.Contains(denied, c => c.Permission.Resource == resources.AliasArn);
        Assert.All(report.Refusals, r => Assert.Contains("kms:UpdateAlias", r, StringComparison.Ordinal));
        Assert.StartsWith($"The role {roleArn} lacks kms:UpdateAlias.", report.Summary, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public async Task An_inline_deny_is_reported_as_explicit_deny_by_that_policy(string targetName, bool useSimulation)
    {
        var target = endpoints.Get(targetName);
        var resources = ResourcesFor(target);
        var role = IamTarget.Unique("denied-runner");
        var roleArn = await target.CreateRoleAsync(role);
        var policy = await target.Client.CreatePolicyAsync(IamTarget.Unique("Workshop"), LeastPrivilegePolicy.Workshop(Region, target.AccountId));
        await target.Client.AttachRolePolicyAsync(role, policy.Arn);
        await target.PutRolePolicyAsync(role, "NeverDelete", """{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"kms:ScheduleKeyDeletion","Resource":"*"}]}""");
        var required = new[]
        {
            new KmsPermission("kms:DisableKey", resources.KeyArn, "disable the old key"),
            new KmsPermission("kms:ScheduleKeyDeletion", resources.KeyArn, "schedule the old key's deletion"),
        };

        var report = await new PermissionPreflight(target.Client, useSimulation).CheckAsync(roleArn, required);

        Assert.Equal(PermissionDecision.Allowed, report.Checks[0].Decision);
        Assert.Equal(policy.PolicyName, report.Checks[0].DecidingPolicy);
        Assert.Equal(PermissionDecision.ExplicitDeny, report.Checks[1].Decision);
        Assert.Equal(("NeverDelete", "role"), (report.Checks[1].DecidingPolicy, report.Checks[1].DecidingPolicyType));
        Assert.Equal(["kms:ScheduleKeyDeletion"], report.MissingActions);
        Assert.Contains("explicitly denied by NeverDelete", report.Summary, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task The_workshop_policy_alone_covers_the_old_key_fates_but_not_creating_the_new_key()
    {
        var target = endpoints.LocalTarget;
        var resources = ResourcesFor(target);
        var role = IamTarget.Unique("workshop-role");
        var roleArn = await target.CreateRoleAsync(role);
        var policy = await target.Client.CreatePolicyAsync(IamTarget.Unique(LeastPrivilegePolicy.WorkshopPolicyName), LeastPrivilegePolicy.Workshop(Region, target.AccountId));
        await target.Client.AttachRolePolicyAsync(role, policy.Arn);

        var report = await new PermissionPreflight(target.Client).CheckWorkflowAsync(roleArn, "AliasSwapImportedKey", resources);

        var allowed = report.Checks.Where(c => c.IsAllowed).Select(c => c.Permission.Action).Distinct().Order(StringComparer.Ordinal);
        // kms:EnableKey: a staged retirement's re-enable of the old key.
        Assert.Equal(["kms:DeleteImportedKeyMaterial", "kms:DisableKey", "kms:EnableKey", "kms:ScheduleKeyDeletion", "kms:UpdateAlias"], allowed);
        Assert.Contains("kms:CreateKey", report.MissingActions);
        Assert.Contains("kms:ImportKeyMaterial", report.MissingActions);
    }

    [Fact]
    public async Task Preflight_of_a_missing_role_fails_with_NoSuchEntity()
    {
        var target = endpoints.LocalTarget;

        await Assert.ThrowsAsync<IamNoSuchEntityException>(() => new PermissionPreflight(target.Client)
            .CheckWorkflowAsync($"arn:aws:iam::{target.AccountId}:role/{IamTarget.Unique("ghost")}", "EnableAutomaticRotation", ResourcesFor(target)));
    }

    [Theory]
    [InlineData("arn:aws:iam::111122223333:role/KMSWorkshop-InstanceInitRole", "KMSWorkshop-InstanceInitRole")]
    [InlineData("arn:aws:iam::111122223333:role/service/ops/Runner", "Runner")]
    [InlineData("arn:aws:sts::111122223333:assumed-role/Runner/i-0123456789", "Runner")]
    public void The_role_is_read_from_role_and_assumed_role_ARNs(string arn, string roleName) =>
        Assert.Equal(roleName, PermissionPreflight.RoleNameOf(arn));

    [Fact]
    public void A_user_ARN_is_not_an_executing_principal() =>
        Assert.Throws<ArgumentException>(() => PermissionPreflight.RoleNameOf("arn:aws:iam::111122223333:user/alice"));
}

[Collection(IamEndpointsCollection.Name)]
public sealed class CallerPreflightTests(IamEndpointsFixture endpoints)
{
    private enum WorkflowKind
    {
        AliasSwapNewKey,
    }

    private enum OldKeyFate
    {
        Disable,
    }

    [Fact]
    public async Task The_callers_role_is_checked_and_enum_workflows_read_like_their_names()
    {
        var target = endpoints.LocalTarget;
        var role = IamTarget.Unique("caller-runner");
        await target.CreateRoleAsync(role);
        var accessKey = "AKIDRUN" + role[^8..].ToUpperInvariant();
        await endpoints.LocalServer.Store.MapAccessKeyAsync(accessKey, role);
        var resources = new KmsRunResources("us-east-1", target.AccountId, KmsArns.Key("us-east-1", target.AccountId, "1234abcd-12ab-34cd-56ef-1234567890ab"), "alias/FirstCMK");
        await target.PutRolePolicyAsync(role, "Generated", LeastPrivilegePolicy.ForWorkflow(WorkflowKind.AliasSwapNewKey, resources, PolicyScope.Account, oldKeyFate: OldKeyFate.Disable));
        using var asRunner = target.ClientFor(accessKey);

        var report = await new PermissionPreflight(asRunner).CheckCallerAsync(KmsPermissionRequirements.For(WorkflowKind.AliasSwapNewKey, resources, oldKeyFate: OldKeyFate.Disable));

        Assert.Equal($"arn:aws:iam::{target.AccountId}:role/{role}", report.PrincipalArn);
        Assert.True(report.Allowed, string.Join("\n", report.Refusals));
        Assert.Contains(report.Checks, c => c.Permission.Action == "kms:DisableKey");
        Assert.Equal(KmsPermissionRequirements.For("AliasSwapNewKey", resources, oldKeyFate: "Disable"), KmsPermissionRequirements.For(WorkflowKind.AliasSwapNewKey, resources, oldKeyFate: OldKeyFate.Disable));
    }

    [Fact]
    public async Task A_caller_that_is_not_a_role_is_reported_as_not_checked()
    {
        using var asUser = endpoints.LocalTarget.ClientFor("AKIDPLAINUSER");

        var report = await new PermissionPreflight(asUser).CheckCallerAsync([new KmsPermission("kms:UpdateAlias", "*", "move the alias")]);

        Assert.Equal(PermissionSource.NotChecked, report.Source);
        Assert.Empty(report.Checks);
        Assert.Contains("is not a role", report.SimulationUnavailableReason, StringComparison.Ordinal);
    }
}
