using Amazon.KeyManagementService.Model;
using KmsConsole.Rotation;
using Microsoft.Extensions.DependencyInjection;

namespace KmsConsole.SignIn.Tests;

/// <summary>
/// The approval rules hold for people signed in through the provider: the Actor each session's cookie yields is
/// what the console hands the Rotation services, and those refuse a requester approving their own run.
/// </summary>
[Collection(OpenIdConnectConsoleCollection.Name)]
public sealed class SeparationOfDutiesTests(OpenIdConnectConsole world)
{
    [Fact]
    public async Task The_same_person_signed_in_twice_cannot_approve_their_own_run_from_the_other_session()
    {
        using var first = await world.SignedInAsync(OpenIdConnectConsole.Alice);
        using var second = await world.SignedInAsync(OpenIdConnectConsole.Alice);
        var requester = world.ActorOf(first);
        var approver = world.ActorOf(second);
        Assert.NotEqual(
            first.Cookies.GetCookies(world.Console.Address)["KmsConsole.SignIn"]!.Value,
            second.Cookies.GetCookies(world.Console.Address)["KmsConsole.SignIn"]!.Value);
        Assert.Equal(requester.UserId, approver.UserId);
        Assert.True(approver.IsIn(Roles.Approver));

        var run = await SubmitAsync(requester);
        var refused = await Assert.ThrowsAsync<RotationAuthorizationException>(() => Requests.ApproveAsync(approver, run.Id, "looks fine"));
        Assert.Contains("someone else must approve", refused.Message);

        using var bob = await world.SignedInAsync(OpenIdConnectConsole.Bob);
        await Requests.ApproveAsync(world.ActorOf(bob), run.Id, "checked");
        var approved = (await Runs.GetAsync(run.Id))!;
        Assert.Equal([world.ActorOf(bob).UserId], approved.Approvals.Select(a => a.ApproverId));
    }

    [Fact]
    public async Task An_admin_cannot_approve_their_own_run_either()
    {
        using var adam = await world.SignedInAsync(OpenIdConnectConsole.Adam);
        var admin = world.ActorOf(adam);
        Assert.True(admin.IsIn(Roles.Approver));

        var run = await SubmitAsync(admin);
        await Assert.ThrowsAsync<RotationAuthorizationException>(() => Requests.ApproveAsync(admin, run.Id, "my own"));

        Assert.Empty((await Runs.GetAsync(run.Id))!.Approvals);
    }

    [Fact]
    public async Task Every_action_refuses_someone_the_provider_signed_in_without_a_console_role()
    {
        using var alice = await world.SignedInAsync(OpenIdConnectConsole.Alice);
        var run = await SubmitAsync(world.ActorOf(alice));
        using var noraSession = await world.SignedInAsync(OpenIdConnectConsole.Nora);
        var nora = world.ActorOf(noraSession);
        Assert.Empty(nora.Roles);
        var audit = world.Console.Services.GetRequiredService<AuditTrail>();
        var grants = world.Console.Services.GetRequiredService<KmsConsole.Rotation.Iam.PolicyGrants>();

        await Assert.ThrowsAsync<RotationAuthorizationException>(() => SubmitAsync(nora));
        await Assert.ThrowsAsync<RotationAuthorizationException>(() => Requests.ApproveAsync(nora, run.Id, null));
        await Assert.ThrowsAsync<RotationAuthorizationException>(() => Requests.RejectAsync(nora, run.Id, "no"));
        await Assert.ThrowsAsync<RotationAuthorizationException>(() => Requests.CancelAsync(nora, run.Id, "no"));
        await Assert.ThrowsAsync<RotationAuthorizationException>(() => Requests.RequestRollBackAsync(nora, run.Id, "no"));
        await Assert.ThrowsAsync<RotationAuthorizationException>(() => audit.QueryAsync(nora, new AuditFilter(), 1, 10));
        await Assert.ThrowsAsync<RotationAuthorizationException>(() => audit.ExportCsvAsync(nora, Stream.Null, new AuditFilter()));
        await Assert.ThrowsAsync<RotationAuthorizationException>(() => audit.VerifyAsync(nora));
        await Assert.ThrowsAsync<RotationAuthorizationException>(() => grants.PreviewAsync(nora,
            new KmsConsole.Rotation.Iam.PolicyGrantRequest("local", [WorkflowKind.EnableAutomaticRotation], KmsConsole.Rotation.Iam.PolicyScope.Account)));

        var unchanged = (await Runs.GetAsync(run.Id))!;
        Assert.Equal(RunState.AwaitingApproval, unchanged.State);
        Assert.Empty(unchanged.Approvals);
    }

    private RotationRequests Requests => world.Console.Services.GetRequiredService<RotationRequests>();

    private RunQueries Runs => world.Console.Services.GetRequiredService<RunQueries>();

    /// <summary>Each run gets its own key, as the console allows one run at a time per key.</summary>
    private async Task<Run> SubmitAsync(Actor requester)
    {
        var kms = world.Console.Services.GetRequiredService<IKmsClientFactory>().Create("local");
        var key = await kms.CreateKeyAsync(new CreateKeyRequest { Description = "separation of duties" });
        return await Requests.SubmitAsync(requester, new RotationRequest("local", key.KeyMetadata.KeyId, WorkflowKind.EnableAutomaticRotation,
            new RotationParameters(), "yearly rotation"));
    }
}
