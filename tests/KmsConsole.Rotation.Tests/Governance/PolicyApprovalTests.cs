using KmsConsole.Rotation.Governance;
using static KmsConsole.Rotation.Tests.Governance.GovernanceFixtures;

namespace KmsConsole.Rotation.Tests.Governance;

public sealed class PolicyApprovalTests
{
    [Fact]
    public async Task Only_an_Admin_proposes_and_the_proposer_never_approves_their_own_policy()
    {
        await using var world = await RotationWorld.StartAsync();

        var notAdmin = await Assert.ThrowsAsync<RotationAuthorizationException>(() => world.Policies().ProposeAsync(RotationWorld.Dave, Kms4()));
        Assert.Contains("needs the Admin role", notAdmin.Message);
        var version = await world.Policies().ProposeAsync(Ada, Kms4());
        var self = await Assert.ThrowsAsync<RotationAuthorizationException>(() => world.Policies().ApproveAsync(Ada, version.Id, null));
        Assert.Contains("someone else must approve", self.Message);
        await Assert.ThrowsAsync<RotationAuthorizationException>(() => world.Policies().ApproveAsync(RotationWorld.Victor, version.Id, null));
        Assert.Equal(PolicyState.Proposed, (await world.Policies().ListAsync()).Single().State);

        await world.Policies().ApproveAsync(Abe, version.Id, "an Admin approves too");

        var active = Assert.Single(await world.Policies().ActiveAsync());
        Assert.Equal((1, "Abe Admin"), (active.Version, active.DecidedByName));
    }

    [Fact]
    public async Task With_two_approvals_required_one_approver_is_not_enough_and_cannot_approve_twice()
    {
        await using var world = await RotationWorld.StartAsync(configure: o => o.Approvals[WorkflowKind.EnableAutomaticRotation] = new ApprovalPolicy { RequiredApprovals = 2 });
        var version = await world.Policies().ProposeAsync(Ada, Kms4());

        await world.Policies().ApproveAsync(RotationWorld.Bob, version.Id, null);
        var twice = await Assert.ThrowsAsync<RotationAuthorizationException>(() => world.Policies().ApproveAsync(RotationWorld.Bob, version.Id, null));
        Assert.Contains("already approved", twice.Message);
        Assert.Empty(await world.Policies().ActiveAsync());
        await world.Policies().ApproveAsync(RotationWorld.Carol, version.Id, null);

        Assert.Single(await world.Policies().ActiveAsync());
        var audit = await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter(), 0, 50);
        var actions = audit.Items.Where(e => e.Action.StartsWith("policy.", StringComparison.Ordinal)).OrderBy(e => e.Sequence)
            .Select(e => (e.Actor, e.Action)).ToList();
        Assert.Equal([("ada", "policy.proposed"), ("bob", "policy.approved"), ("carol", "policy.approved"), ("carol", "policy.activated")], actions);
        Assert.Contains("approved (1 of 2)", audit.Items.First(e => e.Actor == "bob").Details);
        Assert.True((await world.Audit.VerifyAsync(RotationWorld.Erin)).Intact);
    }

    [Fact]
    public async Task A_new_version_replaces_the_active_one_only_once_approved_and_answers_name_the_version()
    {
        await using var world = await RotationWorld.StartAsync();
        var v1 = await world.ActivateAsync(Kms4(days: 365));
        await world.Inventory.SyncAsync(null);
        Assert.All(await world.AnswersAsync(v1.PolicyId), a => Assert.Equal(1, a.PolicyVersion));

        var v2 = await world.Policies().ProposeAsync(Ada, Kms4(days: 180, policyId: v1.PolicyId));
        var pending = await Assert.ThrowsAsync<RotationRefusedException>(() => world.Policies().ProposeAsync(Abe, Kms4(days: 120, policyId: v1.PolicyId)));
        Assert.Contains("still waiting for a decision", pending.Message);
        Assert.Equal(1, Assert.Single(await world.Policies().ActiveAsync()).Version);
        await world.Policies().ApproveAsync(RotationWorld.Bob, v2.Id, null);

        var versions = (await world.Policies().ListAsync()).Where(p => p.PolicyId == v1.PolicyId).ToDictionary(p => p.Version, p => p.State);
        Assert.Equal(PolicyState.Superseded, versions[1]);
        Assert.Equal(PolicyState.Active, versions[2]);
        var answers = await world.AnswersAsync(v1.PolicyId);
        Assert.NotEmpty(answers);
        Assert.All(answers, a => Assert.Equal(2, a.PolicyVersion));
    }

    [Fact]
    public async Task A_rejected_proposal_never_counts_and_a_rejection_needs_a_reason()
    {
        await using var world = await RotationWorld.StartAsync();
        var version = await world.Policies().ProposeAsync(Ada, Kms4());

        var noReason = await Assert.ThrowsAsync<RotationRefusedException>(() => world.Policies().RejectAsync(RotationWorld.Bob, version.Id, " "));
        Assert.Equal(RefusalKind.Invalid, noReason.Kind);
        await world.Policies().RejectAsync(RotationWorld.Bob, version.Id, "scope too wide");
        var late = await Assert.ThrowsAsync<RotationRefusedException>(() => world.Policies().ApproveAsync(RotationWorld.Carol, version.Id, null));

        Assert.Equal(RefusalKind.Conflict, late.Kind);
        Assert.Equal(PolicyState.Rejected, (await world.Policies().ListAsync()).Single().State);
        Assert.Empty(await world.Policies().ActiveAsync());
    }

    [Fact]
    public async Task A_proposal_outside_the_rules_bounds_is_refused_naming_every_problem_and_nothing_is_stored()
    {
        await using var world = await RotationWorld.StartAsync();
        var bad = Kms4(days: 30, scope: new PolicyScope { Origins = ["AWS_KMSX"], Tags = ["no-equals"], Targets = ["elsewhere"], Regions = ["Mars"] })
            with { Justification = "" };

        var refused = await Assert.ThrowsAsync<RotationRefusedException>(() => world.Policies().ProposeAsync(Ada, bad));

        Assert.Equal(RefusalKind.Invalid, refused.Kind);
        Assert.Contains(refused.Reasons, r => r.Contains("between 90 and 2560 days", StringComparison.Ordinal));
        Assert.Contains(refused.Reasons, r => r.Contains("'AWS_KMSX' is not a key origin KMS knows", StringComparison.Ordinal));
        Assert.Contains(refused.Reasons, r => r.Contains("'no-equals' is not a tag", StringComparison.Ordinal));
        Assert.Contains(refused.Reasons, r => r.Contains("No KMS target named 'elsewhere'", StringComparison.Ordinal));
        Assert.Contains(refused.Reasons, r => r.Contains("'Mars' is not an AWS Region name", StringComparison.Ordinal));
        Assert.Contains(refused.Reasons, r => r.Contains("justification", StringComparison.Ordinal));
        var wrongRemedy = Kms4() with { Rule = Kms4().Rule with { Remedy = WorkflowKind.AliasSwapNewKey } };
        Assert.Equal("Remedy", (await Assert.ThrowsAsync<RotationRefusedException>(() => world.Policies().ProposeAsync(Ada, wrongRemedy))).Field);
        var slowRemedy = Kms4(days: 180) with { Rule = Kms4(days: 180).Rule with { RemedyParameters = new RotationParameters { RotationPeriodInDays = 365 } } };
        Assert.Equal("RemedyParameters", (await Assert.ThrowsAsync<RotationRefusedException>(() => world.Policies().ProposeAsync(Ada, slowRemedy))).Field);
        Assert.Empty(await world.Policies().ListAsync());
    }
}
