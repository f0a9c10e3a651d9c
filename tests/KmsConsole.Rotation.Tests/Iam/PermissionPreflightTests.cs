using System.Net;
using System.Net.Sockets;
using KmsConsole.LocalKms.Hosting;
using KmsConsole.LocalKms.Iam;
using PermissionDecision = KmsConsole.Rotation.Iam.PermissionDecision;
using KmsConsole.Rotation.Iam;
using KmsConsole.Rotation.Targets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Tests.Iam;

/// <summary>
/// The executing role's permissions checked before a run exists, and the Admin's least-privilege grant behind an
/// approval gate, against the local endpoint with KMS permission enforcement on: KMS itself refuses what the role
/// lacks, as AWS does.
/// </summary>
public sealed class PermissionPreflightTests
{
    private const string Role = IamSeed.RoleName;
    private const string RoleArn = "arn:aws:iam::111122223333:role/" + Role;
    private static readonly Actor Adam = new("adam", "Adam Admin", new HashSet<string> { Roles.Admin });
    private static readonly Actor Ada = new("ada", "Ada Admin", new HashSet<string> { Roles.Admin });

    /// <summary>The target acts as the seeded workshop role (access key id = role name) and KMS enforces its policies.</summary>
    private static async Task<RotationWorld> StartEnforcedAsync(Action<KmsTarget>? target = null, Action<IServiceCollection, LocalKmsServer>? services = null)
    {
        var world = await RotationWorld.StartAsync(configure: o =>
        {
            o.Targets[0].AccessKeyId = Role;
            target?.Invoke(o.Targets[0]);
        }, services: services);
        world.Server.Services.GetRequiredService<LocalIamOptions>().EnforceKmsPermissions = true;
        return world;
    }

    private static RotationRequest SwapFirstCmk(OldKeyFate fate = OldKeyFate.Keep) =>
        new(RotationWorld.Target, "alias/FirstCMK", WorkflowKind.AliasSwapNewKey, new RotationParameters { OldKeyFate = fate }, "workshop rotation");

    private static async Task<IReadOnlyList<string>> AuditActionsAsync(RotationWorld world, string subject) =>
        (await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { Subject = subject }, 0, 100)).Items
            .OrderBy(e => e.Sequence).Select(e => e.Action).ToList();

    [Fact]
    public async Task A_role_lacking_UpdateAlias_is_refused_until_the_approved_grant_is_applied_then_the_same_request_completes()
    {
        await using var world = await StartEnforcedAsync();
        var grants = world.Get<PolicyGrants>();
        var request = SwapFirstCmk();
        var oldKey = (await world.DescribeAsync("alias/FirstCMK")).KeyId;

        var plan = await world.Requests.PreflightAsync(request);
        var report = plan.Permissions!.Report!;
        Assert.False(plan.Allowed);
        Assert.Equal(PermissionSource.SimulatePrincipalPolicy, report.Source);
        Assert.StartsWith(RoleArn, report.PrincipalArn, StringComparison.Ordinal);
        var updateAlias = report.Checks.Where(c => c.Permission.Action == "kms:UpdateAlias").ToList();
        Assert.Equal(3, updateAlias.Count);
        Assert.All(updateAlias, c => Assert.Equal(PermissionDecision.ImplicitDeny, c.Decision));
        Assert.Contains("kms:UpdateAlias", report.MissingActions);
        Assert.Contains(report.Checks, c => c.Permission.Action == "kms:CreateKey" && c.IsAllowed && c.DecidingPolicy == IamSeed.PolicyName);
        // The workshop role also lacks the hazard check's reads and the grant copy (kms:GetKeyLastUsage, kms:ListGrants, kms:CreateGrant).
        Assert.Contains(plan.Refusals, r => r.Contains("lacks kms:", StringComparison.Ordinal) && r.Contains("kms:UpdateAlias", StringComparison.Ordinal));

        var refused = await Assert.ThrowsAsync<RotationRefusedException>(() => world.Requests.SubmitAsync(RotationWorld.Alice, request));
        Assert.Contains("kms:UpdateAlias", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, (await world.Runs.ListAsync(new RunFilter(), 0, 10)).TotalCount);

        var preview = await grants.PreviewAsync(Adam, new PolicyGrantRequest(RotationWorld.Target, [WorkflowKind.AliasSwapNewKey], PolicyScope.Account));
        Assert.Equal(RoleArn, preview.RoleArn);
        Assert.Contains("kms:UpdateAlias", preview.PolicyDocument, StringComparison.Ordinal);
        Assert.Contains("arn:aws:kms:us-east-1:111122223333:alias/*", preview.PolicyDocument, StringComparison.Ordinal);

        var grant = await grants.RequestAsync(Adam, new PolicyGrantRequest(RotationWorld.Target, [WorkflowKind.AliasSwapNewKey], PolicyScope.Account), "the workshop's IAM step");
        Assert.Equal(PolicyGrantState.AwaitingApproval, grant.State);
        await Assert.ThrowsAsync<RotationAuthorizationException>(() => grants.ApproveAsync(Adam, grant.Id, "mine"));
        Assert.Equal(PolicyGrantState.AwaitingApproval, (await grants.GetAsync(grant.Id))!.State);

        var applied = await grants.ApproveAsync(RotationWorld.Bob, grant.Id, "matches the workshop");
        Assert.Equal(PolicyGrantState.Applied, applied.State);
        Assert.Equal("arn:aws:iam::111122223333:policy/KmsConsole-AliasSwapNewKey", applied.PolicyArn);
        Assert.Equal("v1", applied.PolicyVersionId);
        var iam = world.Get<IIamClientFactory>().Create(RotationWorld.Target);
        Assert.Contains(await iam.ListAttachedRolePoliciesAsync(Role), p => p.PolicyArn == applied.PolicyArn);
        Assert.Equal(["grant.requested", "grant.approved", "grant.applied"], await AuditActionsAsync(world, PolicyGrants.Subject(grant.Id)));

        var passing = await world.Requests.PreflightAsync(request);
        Assert.True(passing.Allowed, string.Join(" ", passing.Refusals));
        Assert.All(passing.Permissions!.Report!.Checks, c => Assert.Equal(PermissionDecision.Allowed, c.Decision));
        var run = await world.Requests.SubmitAsync(RotationWorld.Alice, request);
        Assert.Equal(PermissionSource.SimulatePrincipalPolicy, run.PermissionCheck!.Source);
        Assert.Equal(run.PermissionCheck.Permissions.Count, run.PermissionCheck.AllowedCount);

        var finished = await world.DriveAsync(run.Id);
        Assert.Equal(RunState.Succeeded, finished.State);
        var moved = await world.DescribeAsync("alias/FirstCMK");
        Assert.NotEqual(oldKey, moved.KeyId);
        Assert.Equal(finished.NewKeyId, moved.KeyId);
        var requested = (await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { RunId = run.Id, Action = "run.requested" }, 0, 10)).Items.Single();
        Assert.Contains($"{run.PermissionCheck.AllowedCount} of {run.PermissionCheck.Permissions.Count} allowed", requested.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_the_grant_KMS_itself_refuses_the_alias_swap_so_the_preflight_is_not_the_only_guard()
    {
        await using var world = await StartEnforcedAsync(target: t => t.CheckPermissions = false);
        var plan = await world.Requests.PreflightAsync(SwapFirstCmk());
        Assert.True(plan.Allowed);
        Assert.Null(plan.Permissions!.Report);

        var run = await world.Requests.SubmitAsync(RotationWorld.Alice, SwapFirstCmk());
        Assert.Null(run.PermissionCheck);
        var finished = await world.DriveAsync(run.Id);
        Assert.Equal(RunState.Failed, finished.State);
        // The first call the workshop role may not make: the grant copy's kms:ListGrants, before the alias would move.
        Assert.Contains(finished.Steps, s => s.ErrorCode == "AccessDeniedException" && s.ErrorMessage!.Contains("kms:ListGrants", StringComparison.Ordinal));
        Assert.Equal((await world.DescribeAsync("alias/FirstCMK")).KeyId, finished.KeyId);
    }

    [Fact]
    public async Task An_explicit_deny_is_shown_with_the_policy_that_decided_it()
    {
        await using var world = await StartEnforcedAsync();
        await world.Server.Services.GetRequiredService<IamStore>().PutRolePolicyAsync(Role, "NoDisablingKeys",
            """{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"kms:DisableKey","Resource":"*"}]}""");

        var plan = await world.Requests.PreflightAsync(SwapFirstCmk(OldKeyFate.Disable));

        var disable = plan.Permissions!.Report!.Checks.Single(c => c.Permission.Action == "kms:DisableKey");
        Assert.Equal(PermissionDecision.ExplicitDeny, disable.Decision);
        Assert.Equal("NoDisablingKeys", disable.DecidingPolicy);
        Assert.Contains(plan.Refusals, r => r.Contains("explicitly denied by NoDisablingKeys", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Only_an_Admin_requests_a_grant_and_only_an_approver_or_admin_decides_it()
    {
        await using var world = await StartEnforcedAsync();
        var grants = world.Get<PolicyGrants>();
        var request = new PolicyGrantRequest(RotationWorld.Target, [WorkflowKind.EnableAutomaticRotation], PolicyScope.Account);

        await Assert.ThrowsAsync<RotationAuthorizationException>(() => grants.PreviewAsync(RotationWorld.Dave, request));
        await Assert.ThrowsAsync<RotationAuthorizationException>(() => grants.RequestAsync(RotationWorld.Dave, request, "let me"));
        await Assert.ThrowsAsync<RotationAuthorizationException>(() => grants.RequestAsync(RotationWorld.Alice, request, "let me"));

        var grant = await grants.RequestAsync(Adam, request, "rotation on");
        await Assert.ThrowsAsync<RotationAuthorizationException>(() => grants.ApproveAsync(RotationWorld.Alice, grant.Id, null));
        await Assert.ThrowsAsync<RotationAuthorizationException>(() => grants.ApproveAsync(RotationWorld.Erin, grant.Id, null));
        Assert.Empty(await grants.AwaitingDecisionByAsync(Adam));
        Assert.Single(await grants.AwaitingDecisionByAsync(Ada));

        // Another Admin may approve: the gate only refuses the requester.
        Assert.Equal(PolicyGrantState.Applied, (await grants.ApproveAsync(Ada, grant.Id, null)).State);
    }

    [Fact]
    public async Task A_rejected_grant_ends_with_nothing_applied()
    {
        await using var world = await StartEnforcedAsync();
        var grants = world.Get<PolicyGrants>();
        var grant = await grants.RequestAsync(Adam, new PolicyGrantRequest(RotationWorld.Target, [WorkflowKind.AliasSwapNewKey], PolicyScope.Account), "workshop");

        await Assert.ThrowsAsync<RotationRefusedException>(() => grants.RejectAsync(RotationWorld.Bob, grant.Id, " "));
        var rejected = await grants.RejectAsync(RotationWorld.Bob, grant.Id, "scope the policy to FirstCMK instead");

        Assert.Equal(PolicyGrantState.Rejected, rejected.State);
        Assert.Equal("scope the policy to FirstCMK instead", rejected.DecisionComment);
        await Assert.ThrowsAsync<RotationRefusedException>(() => grants.ApproveAsync(RotationWorld.Carol, grant.Id, null));
        await Assert.ThrowsAsync<RotationRefusedException>(() => grants.ApplyAgainAsync(Adam, grant.Id));
        var attached = await world.Get<IIamClientFactory>().Create(RotationWorld.Target).ListAttachedRolePoliciesAsync(Role);
        Assert.Equal([IamSeed.PolicyName], attached.Select(p => p.PolicyName));
        Assert.Equal(["grant.requested", "grant.rejected"], await AuditActionsAsync(world, PolicyGrants.Subject(grant.Id)));
    }

    [Fact]
    public async Task A_grant_that_failed_after_creating_the_policy_is_applied_again_to_one_policy_attached_once()
    {
        var faulty = (FailingAttach?)null;
        await using var world = await StartEnforcedAsync(services: (c, _) => c.AddSingleton<IIamClientFactory>(sp =>
            faulty = new FailingAttach(new IamClientFactory(sp.GetRequiredService<IOptions<RotationOptions>>(), sp.GetRequiredService<TargetCredentials>()))));
        var grants = world.Get<PolicyGrants>();
        var request = new PolicyGrantRequest(RotationWorld.Target, [WorkflowKind.AliasSwapNewKey], PolicyScope.NamedResources, ["alias/FirstCMK"]);
        var grant = await grants.RequestAsync(Adam, request, "only FirstCMK");
        Assert.Contains("alias/FirstCMK", grant.PolicyDocument, StringComparison.Ordinal);
        Assert.DoesNotContain("alias/*", grant.PolicyDocument, StringComparison.Ordinal);

        faulty!.AttachFailuresLeft = 1;
        var failed = await grants.ApproveAsync(RotationWorld.Bob, grant.Id, null);

        Assert.Equal(PolicyGrantState.Failed, failed.State);
        Assert.Contains("ServiceFailure", failed.Error, StringComparison.Ordinal);
        var iam = world.Get<IIamClientFactory>().Create(RotationWorld.Target);
        var policyArn = $"arn:aws:iam::111122223333:policy/{grant.PolicyName}";
        Assert.Equal("v1", (await iam.GetPolicyAsync(policyArn)).DefaultVersionId);
        Assert.DoesNotContain(await iam.ListAttachedRolePoliciesAsync(Role), p => p.PolicyArn == policyArn);
        Assert.False((await world.Requests.PreflightAsync(SwapFirstCmk())).Allowed);

        var applied = await grants.ApplyAgainAsync(RotationWorld.Carol, grant.Id);

        Assert.Equal(PolicyGrantState.Applied, applied.State);
        Assert.Equal(2, applied.ApplyAttempts);
        Assert.Single(await iam.ListAttachedRolePoliciesAsync(Role), p => p.PolicyArn == policyArn);
        var policy = await iam.GetPolicyAsync(policyArn);
        Assert.Equal("v1", policy.DefaultVersionId);
        Assert.Equal(1, policy.AttachmentCount);
        Assert.Equal(["grant.requested", "grant.approved", "grant.failed", "grant.applied"], await AuditActionsAsync(world, PolicyGrants.Subject(grant.Id)));
        await Assert.ThrowsAsync<RotationRefusedException>(() => grants.ApplyAgainAsync(Adam, grant.Id));
        Assert.True((await world.Requests.PreflightAsync(SwapFirstCmk())).Allowed);
    }

    [Fact]
    public async Task An_unreachable_IAM_endpoint_refuses_the_request_with_a_clear_message()
    {
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        await using var world = await StartEnforcedAsync(target: t => t.IamServiceUrl = $"http://127.0.0.1:{port}/");

        var plan = await world.Requests.PreflightAsync(SwapFirstCmk());

        Assert.False(plan.Allowed);
        Assert.Null(plan.Permissions!.Report);
        Assert.Contains("could not be checked", plan.Permissions.Error, StringComparison.Ordinal);
        Assert.Contains("IAM could not be reached", plan.Permissions.Error, StringComparison.Ordinal);
        var refused = await Assert.ThrowsAsync<RotationRefusedException>(() => world.Requests.SubmitAsync(RotationWorld.Alice, SwapFirstCmk()));
        Assert.Contains("CheckPermissions", refused.Message, StringComparison.Ordinal);
        var grantRefused = await Assert.ThrowsAsync<RotationRefusedException>(() =>
            world.Get<PolicyGrants>().PreviewAsync(Adam, new PolicyGrantRequest(RotationWorld.Target, [WorkflowKind.AliasSwapNewKey], PolicyScope.Account)));
        Assert.Contains("IAM could not be reached", grantRefused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_caller_that_is_not_a_role_is_reported_as_not_checked_and_the_run_goes_ahead()
    {
        await using var world = await RotationWorld.StartAsync();
        var (_, alias) = await world.NewAwsKeyAsync();

        var plan = await world.Requests.PreflightAsync(new RotationRequest(RotationWorld.Target, alias, WorkflowKind.AliasSwapNewKey, new RotationParameters(), "j"));
        Assert.True(plan.Allowed);
        Assert.Equal(PermissionSource.NotChecked, plan.Permissions!.Report!.Source);
        Assert.Contains("is not a role", plan.Permissions.Report.SimulationUnavailableReason, StringComparison.Ordinal);

        var run = await world.SubmitAsync(alias, WorkflowKind.AliasSwapNewKey);
        Assert.Equal(PermissionSource.NotChecked, run.PermissionCheck!.Source);
        var requested = (await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { RunId = run.Id, Action = "run.requested" }, 0, 10)).Items.Single();
        Assert.Contains("permissions not checked", requested.Details, StringComparison.Ordinal);
        Assert.Equal(PermissionSource.NotChecked, (await world.Runs.GetAsync(run.Id))!.PermissionCheck!.Source);
    }

    /// <summary>The real IAM client, with AttachRolePolicy failing as a 500 while <see cref="AttachFailuresLeft"/> is positive.</summary>
    private sealed class FailingAttach(IIamClientFactory inner) : IIamClientFactory
    {
        public int AttachFailuresLeft { get; set; }

        public IIamClient Create(string targetName) => new Client(inner.Create(targetName), this);

        private sealed class Client(IIamClient iam, FailingAttach owner) : IIamClient
        {
            public Task AttachRolePolicyAsync(string roleName, string policyArn, CancellationToken cancellationToken = default)
            {
                if (owner.AttachFailuresLeft > 0)
                {
                    owner.AttachFailuresLeft--;
                    throw new IamServiceException("ServiceFailure", "The request processing has failed because of an unknown error.", "req-1", HttpStatusCode.InternalServerError);
                }

                return iam.AttachRolePolicyAsync(roleName, policyArn, cancellationToken);
            }

            public Task<IamRole> GetRoleAsync(string roleName, CancellationToken cancellationToken = default) => iam.GetRoleAsync(roleName, cancellationToken);
            public Task<IReadOnlyList<IamAttachedPolicy>> ListAttachedRolePoliciesAsync(string roleName, CancellationToken cancellationToken = default) => iam.ListAttachedRolePoliciesAsync(roleName, cancellationToken);
            public Task<IReadOnlyList<string>> ListRolePoliciesAsync(string roleName, CancellationToken cancellationToken = default) => iam.ListRolePoliciesAsync(roleName, cancellationToken);
            public Task<IamRolePolicy> GetRolePolicyAsync(string roleName, string policyName, CancellationToken cancellationToken = default) => iam.GetRolePolicyAsync(roleName, policyName, cancellationToken);
            public Task<IamManagedPolicy> GetPolicyAsync(string policyArn, CancellationToken cancellationToken = default) => iam.GetPolicyAsync(policyArn, cancellationToken);
            public Task<IamPolicyVersion> GetPolicyVersionAsync(string policyArn, string versionId, CancellationToken cancellationToken = default) => iam.GetPolicyVersionAsync(policyArn, versionId, cancellationToken);
            public Task<IamManagedPolicy> CreatePolicyAsync(string policyName, string policyDocument, string? description = null, string? path = null, CancellationToken cancellationToken = default) =>
                iam.CreatePolicyAsync(policyName, policyDocument, description, path, cancellationToken);
            public Task<IamPolicyVersion> CreatePolicyVersionAsync(string policyArn, string policyDocument, bool setAsDefault, CancellationToken cancellationToken = default) =>
                iam.CreatePolicyVersionAsync(policyArn, policyDocument, setAsDefault, cancellationToken);
            public Task<IReadOnlyList<IamEvaluationResult>> SimulatePrincipalPolicyAsync(string policySourceArn, IReadOnlyCollection<string> actionNames, IReadOnlyCollection<string>? resourceArns = null, CancellationToken cancellationToken = default) =>
                iam.SimulatePrincipalPolicyAsync(policySourceArn, actionNames, resourceArns, cancellationToken);
            public Task<IamCallerIdentity> GetCallerIdentityAsync(CancellationToken cancellationToken = default) => iam.GetCallerIdentityAsync(cancellationToken);
        }
    }
}
