using KmsConsole.Rotation.Governance;
using static KmsConsole.Rotation.Tests.Governance.GovernanceFixtures;

namespace KmsConsole.Rotation.Tests.Governance;

public sealed class ExemptionTests
{
    [Fact]
    public async Task An_approved_exemption_counts_until_it_expires_and_then_the_key_is_non_compliant_again()
    {
        await using var world = await RotationWorld.StartAsync();
        var policy = await world.ActivateAsync(Kms4());
        await world.Inventory.SyncAsync(null);
        var firstCmk = (await world.AnswersAsync(policy.PolicyId)).Single(a => a.Aliases == "alias/FirstCMK");
        Assert.Equal(ComplianceStatus.NonCompliant, firstCmk.Status);
        var request = new ExemptionRequest(policy.PolicyId, RotationWorld.Target, firstCmk.KeyId, "legacy app reads old ciphertext", world.Time.GetUtcNow().AddDays(7));

        var exemption = await world.Exemptions().RequestAsync(RotationWorld.Dave, request);
        Assert.Equal(ComplianceStatus.NonCompliant, (await world.AnswersAsync(policy.PolicyId)).Single(a => a.KeyId == firstCmk.KeyId).Status);
        var self = await Assert.ThrowsAsync<RotationAuthorizationException>(() => world.Exemptions().ApproveAsync(RotationWorld.Dave, exemption.Id, null));
        Assert.Contains("someone else", self.Message);
        await Assert.ThrowsAsync<RotationAuthorizationException>(() => world.Exemptions().ApproveAsync(RotationWorld.Alice, exemption.Id, null));
        await world.Exemptions().ApproveAsync(RotationWorld.Bob, exemption.Id, "until the app moves");

        var exempt = (await world.AnswersAsync(policy.PolicyId)).Single(a => a.KeyId == firstCmk.KeyId);
        Assert.Equal(ComplianceStatus.Exempt, exempt.Status);
        Assert.Contains("legacy app reads old ciphertext", exempt.Reason);

        ((ShiftableClock)world.Time).Advance(TimeSpan.FromDays(8));
        await world.Inventory.SyncAsync(null);

        var expired = (await world.AnswersAsync(policy.PolicyId)).Single(a => a.KeyId == firstCmk.KeyId);
        Assert.Equal((ComplianceStatus.NonCompliant, "automatic rotation is off"), (expired.Status, expired.Reason));
        var audit = await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter(), 0, 100);
        Assert.Equal(["exemption.requested", "exemption.approved", "exemption.expired"],
            audit.Items.Where(e => e.Action.StartsWith("exemption.", StringComparison.Ordinal)).OrderBy(e => e.Sequence).Select(e => e.Action));
    }

    [Fact]
    public async Task An_expired_exemption_stops_counting_without_a_sync_the_expiry_check_answers_the_key_again_and_audits_it_once()
    {
        await using var world = await RotationWorld.StartAsync(configure: o => o.ExemptionExpiryInterval = TimeSpan.FromMilliseconds(100));
        var clock = (ShiftableClock)world.Time;
        var policy = await world.ActivateAsync(Kms4());
        await world.Inventory.SyncAsync(null);
        var keyId = (await world.AnswersAsync(policy.PolicyId)).Single(a => a.Aliases == "alias/FirstCMK").KeyId;
        var exemption = await world.Exemptions().RequestAsync(RotationWorld.Dave,
            new ExemptionRequest(policy.PolicyId, RotationWorld.Target, keyId, "legacy app reads old ciphertext", world.Time.GetUtcNow().AddHours(2)));
        await world.Exemptions().ApproveAsync(RotationWorld.Bob, exemption.Id, null);
        var expiry = world.Get<ExemptionExpiry>();
        Assert.False(await expiry.CheckAsync(CancellationToken.None));
        Assert.Equal(ComplianceStatus.Exempt, (await world.AnswersAsync(policy.PolicyId)).Single(a => a.KeyId == keyId).Status);

        // Nobody syncs, decides or asks: the background check alone notices the expiry.
        var service = new ExemptionExpiryService(expiry, world.Get<Microsoft.Extensions.Options.IOptions<RotationOptions>>(), world.Time,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<ExemptionExpiry>.Instance);
        await service.StartAsync(CancellationToken.None);
        try
        {
            clock.Advance(TimeSpan.FromHours(2) + TimeSpan.FromSeconds(1));
            ComplianceRow answer;
            var until = DateTime.UtcNow.AddSeconds(30);
            do
            {
                await Task.Delay(100);
                answer = (await world.AnswersAsync(policy.PolicyId)).Single(a => a.KeyId == keyId);
            }
            while (answer.Status == ComplianceStatus.Exempt && DateTime.UtcNow < until);

            Assert.Equal((ComplianceStatus.NonCompliant, "automatic rotation is off"), (answer.Status, answer.Reason));
        }
        finally
        {
            await service.StopAsync(CancellationToken.None);
        }

        Assert.False(await expiry.CheckAsync(CancellationToken.None));
        await world.Inventory.SyncAsync(null);
        var expired = (await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { Action = "exemption.expired" }, 0, 10)).Items;
        Assert.Equal("compliance", Assert.Single(expired).Actor);
        Assert.Contains("legacy app reads old ciphertext", expired[0].Details);
    }

    [Fact]
    public async Task An_exemption_needs_a_reason_an_expiry_within_a_year_and_a_known_key_and_a_revoked_one_stops_counting()
    {
        await using var world = await RotationWorld.StartAsync();
        var policy = await world.ActivateAsync(Kms4());
        await world.Inventory.SyncAsync(null);
        var keyId = (await world.AnswersAsync(policy.PolicyId)).Single(a => a.Aliases == "alias/FirstCMK").KeyId;
        var now = world.Time.GetUtcNow();

        Assert.Equal("Reason", (await Assert.ThrowsAsync<RotationRefusedException>(() =>
            world.Exemptions().RequestAsync(RotationWorld.Alice, new ExemptionRequest(policy.PolicyId, RotationWorld.Target, keyId, "", now.AddDays(1))))).Field);
        Assert.Equal("ExpiresAt", (await Assert.ThrowsAsync<RotationRefusedException>(() =>
            world.Exemptions().RequestAsync(RotationWorld.Alice, new ExemptionRequest(policy.PolicyId, RotationWorld.Target, keyId, "why", now.AddDays(400))))).Field);
        Assert.Equal(RefusalKind.NotFound, (await Assert.ThrowsAsync<RotationRefusedException>(() =>
            world.Exemptions().RequestAsync(RotationWorld.Alice, new ExemptionRequest(policy.PolicyId, RotationWorld.Target, "no-such-key", "why", now.AddDays(1))))).Kind);
        Assert.Empty(await world.Exemptions().ListAsync());

        var exemption = await world.Exemptions().RequestAsync(RotationWorld.Alice, new ExemptionRequest(policy.PolicyId, RotationWorld.Target, keyId, "migration", now.AddDays(30)));
        await world.Exemptions().ApproveAsync(RotationWorld.Bob, exemption.Id, null);
        Assert.Equal(ComplianceStatus.Exempt, (await world.AnswersAsync(policy.PolicyId)).Single(a => a.KeyId == keyId).Status);
        await Assert.ThrowsAsync<RotationAuthorizationException>(() => world.Exemptions().RevokeAsync(RotationWorld.Bob, exemption.Id, "done"));
        await world.Exemptions().RevokeAsync(Ada, exemption.Id, "the migration is done");

        Assert.Equal(ComplianceStatus.NonCompliant, (await world.AnswersAsync(policy.PolicyId)).Single(a => a.KeyId == keyId).Status);
        Assert.Equal(ExemptionState.Revoked, Assert.Single(await world.Exemptions().ListAsync()).State);
    }
}
