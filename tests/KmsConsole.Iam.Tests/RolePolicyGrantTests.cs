using KmsConsole.Iam.Tests.Endpoints;
using KmsConsole.Rotation.Iam;

namespace KmsConsole.Iam.Tests;

[Collection(IamEndpointsCollection.Name)]
public sealed class RolePolicyGrantTests(IamEndpointsFixture endpoints)
{
    public static TheoryData<string> Targets => new() { IamTarget.Local, IamTarget.Moto };

    [SkippableTheory]
    [MemberData(nameof(Targets))]
    public async Task Applying_a_grant_creates_and_attaches_once_and_a_repeat_changes_nothing(string targetName)
    {
        var target = endpoints.Get(targetName);
        var role = IamTarget.Unique("granted");
        var roleArn = await target.CreateRoleAsync(role);
        var name = IamTarget.Unique(LeastPrivilegePolicy.WorkshopPolicyName);
        var document = LeastPrivilegePolicy.Workshop("us-east-1", target.AccountId);
        var grant = new RolePolicyGrant(target.Client);

        var first = await grant.ApplyAsync(roleArn, name, document, "KmsConsole rotation permissions");
        var repeat = await grant.ApplyAsync(roleArn, name, document.Replace("\n", " ", StringComparison.Ordinal));

        Assert.Equal(new PolicyGrantResult($"arn:aws:iam::{target.AccountId}:policy/{name}", "v1", true, false, true), first);
        Assert.Equal(first with { CreatedPolicy = false, Attached = false }, repeat);
        Assert.Equal([first.PolicyArn], (await target.Client.ListAttachedRolePoliciesAsync(role)).Select(a => a.PolicyArn));
    }

    [SkippableTheory]
    [MemberData(nameof(Targets))]
    public async Task A_changed_document_becomes_the_new_default_version(string targetName)
    {
        var target = endpoints.Get(targetName);
        var role = IamTarget.Unique("regranted");
        var roleArn = await target.CreateRoleAsync(role);
        var name = IamTarget.Unique("KmsConsole-AliasSwapNewKey");
        var resources = new KmsRunResources("us-east-1", target.AccountId, KmsArns.Key("us-east-1", target.AccountId, "1234abcd-12ab-34cd-56ef-1234567890ab"), "alias/FirstCMK");
        var grant = new RolePolicyGrant(target.Client);
        await grant.ApplyAsync(roleArn, name, LeastPrivilegePolicy.ForWorkflow("AliasSwapNewKey", resources, PolicyScope.Account, oldKeyFate: "Keep"));

        var widened = await grant.ApplyAsync(roleArn, name, LeastPrivilegePolicy.ForWorkflow("AliasSwapNewKey", resources, PolicyScope.Account, oldKeyFate: "ScheduleDeletion"));
        var report = await new PermissionPreflight(target.Client).CheckWorkflowAsync(roleArn, "AliasSwapNewKey", resources, oldKeyFate: "ScheduleDeletion");

        Assert.Equal(("v2", true, false), (widened.DefaultVersionId, widened.CreatedVersion, widened.Attached));
        Assert.True(report.Allowed, string.Join("\n", report.Refusals));
    }
}
