using System.Text.Json;
using KmsConsole.Rotation.Iam;

namespace KmsConsole.Iam.Tests;

public sealed class LeastPrivilegePolicyTests
{
    private static readonly KmsRunResources Run = new("eu-west-1", "111122223333",
        KmsArns.Key("eu-west-1", "111122223333", "1234abcd-12ab-34cd-56ef-1234567890ab"), "alias/FirstCMK");

    [Fact]
    public void The_workshop_policy_grants_its_five_actions_on_any_alias_and_key_of_the_account()
    {
        using var json = JsonDocument.Parse(LeastPrivilegePolicy.Workshop("us-east-1", "111122223333"));

        var statement = json.RootElement.GetProperty("Statement").EnumerateArray().Single();
        Assert.Equal("2012-10-17", json.RootElement.GetProperty("Version").GetString());
        Assert.Equal("Allow", statement.GetProperty("Effect").GetString());
        Assert.Equal(
            ["kms:DeleteImportedKeyMaterial", "kms:DisableKey", "kms:EnableKey", "kms:ScheduleKeyDeletion", "kms:UpdateAlias"],
            statement.GetProperty("Action").EnumerateArray().Select(a => a.GetString()!));
        Assert.Equal(
            ["arn:aws:kms:us-east-1:111122223333:alias/*", "arn:aws:kms:us-east-1:111122223333:key/*"],
            statement.GetProperty("Resource").EnumerateArray().Select(a => a.GetString()!));
        Assert.Equal("KMSWorkshop-RotationDisableOps", LeastPrivilegePolicy.WorkshopPolicyName);
    }

    [Fact]
    public void Every_generated_policy_is_a_valid_identity_policy_granting_only_its_workflows_actions()
    {
        foreach (var workflow in KmsPermissionRequirements.Workflows)
        {
            foreach (var scope in Enum.GetValues<PolicyScope>())
            {
                var document = IamPolicyDocument.Parse(LeastPrivilegePolicy.ForWorkflow(workflow, Run, scope));

                var granted = document.Statements.SelectMany(s => s.Actions).Order(StringComparer.Ordinal);
                var needed = KmsPermissionRequirements.For(workflow, Run).Select(p => p.Action).Distinct().Order(StringComparer.Ordinal);
                Assert.Equal(needed, granted);
                Assert.All(document.Statements, s => Assert.Equal(PolicyEffect.Allow, s.Effect));
                Assert.DoesNotContain(document.Statements, s => s.Actions.Any(a => a.Contains('*', StringComparison.Ordinal)));
            }
        }
    }

    [Fact]
    public void A_named_scope_names_the_alias_and_key_instead_of_the_whole_account()
    {
        var document = IamPolicyDocument.Parse(LeastPrivilegePolicy.ForWorkflow("AliasSwapNewKey", Run, PolicyScope.NamedResources, oldKeyFate: "Disable"));
        var resources = document.Statements.SelectMany(s => s.Resources).ToHashSet();

        Assert.Contains("arn:aws:kms:eu-west-1:111122223333:alias/FirstCMK", resources);
        Assert.Contains(Run.KeyArn, resources);
        Assert.DoesNotContain("arn:aws:kms:eu-west-1:111122223333:alias/*", resources);
        Assert.DoesNotContain(document.Statements, s => s.Actions.Contains("kms:ScheduleKeyDeletion"));
    }

    [Fact]
    public void UpdateAlias_is_required_on_the_alias_and_on_both_keys()
    {
        var updateAlias = KmsPermissionRequirements.For("AliasSwapNewKey", Run).Where(p => p.Action == "kms:UpdateAlias").Select(p => p.Resource);

        Assert.Equal([Run.AliasArn, Run.KeyArn, Run.AnyKeyArn], updateAlias);
    }

    [Fact]
    public void Rotating_now_adds_RotateKeyOnDemand_only_when_asked()
    {
        Assert.DoesNotContain(KmsPermissionRequirements.For("EnableAutomaticRotation", Run), p => p.Action == "kms:RotateKeyOnDemand");
        Assert.Contains(KmsPermissionRequirements.For("EnableAutomaticRotation", Run, rotateNow: true), p => p.Action == "kms:RotateKeyOnDemand");
    }

    [Fact]
    public void An_unknown_workflow_is_refused() =>
        Assert.Throws<ArgumentException>(() => KmsPermissionRequirements.For("RotateEverything", Run));
}
