using LocalIam = KmsConsole.LocalKms.Iam;
using RotationIam = KmsConsole.Rotation.Iam;

namespace KmsConsole.Iam.Tests;

/// <summary>
/// The evaluator's one source is compiled into Rotation (preflight) and LocalKms (SimulatePrincipalPolicy and
/// enforcement), as neither project may reference the other; both builds must give the same answer on every case.
/// </summary>
public sealed class EvaluatorParityTests
{
    private const string Key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    private const string Alias = "arn:aws:kms:us-east-1:111122223333:alias/FirstCMK";

    public static TheoryData<string[], string, string, string> Cases => new()
    {
        { [Allow("kms:UpdateAlias", "arn:aws:kms:us-east-1:111122223333:alias/*")], "kms:UpdateAlias", Alias, "Allowed" },
        { [Allow("kms:UpdateAlias", "arn:aws:kms:us-east-1:111122223333:alias/*")], "kms:UpdateAlias", Key, "ImplicitDeny" },
        { [Allow("kms:*", "*"), Deny("kms:Disable*", "*")], "kms:DisableKey", Key, "ExplicitDeny" },
        { [Allow("kms:*", "*"), Deny("kms:Disable*", "*")], "kms:EnableKey", Key, "Allowed" },
        { ["""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"kms:ScheduleKeyDeletion","Resource":"*"}]}"""], "kms:ScheduleKeyDeletion", Key, "ImplicitDeny" },
        { ["""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"kms:ScheduleKeyDeletion","Resource":"*"}]}"""], "kms:CreateKey", "*", "Allowed" },
        { ["""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","NotResource":"arn:aws:kms:*:*:alias/*"}]}"""], "kms:UpdateAlias", Alias, "ImplicitDeny" },
        { ["""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}"""], "kms:UpdateAlias", Alias, "ImplicitDeny" },
        { [Allow("KMS:updateALIAS", "arn:aws:kms:us-east-1:111122223333:*")], "kms:UpdateAlias", Alias, "Allowed" },
        { [Allow("kms:UpdateAlias", "arn:aws:kms:us-east-1:111122223333:alias/firstcmk")], "kms:UpdateAlias", Alias, "ImplicitDeny" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Both_evaluators_decide_alike(string[] documents, string action, string resource, string expected)
    {
        var rotation = RotationIam.IamPolicyEvaluator.Evaluate(
            documents.Select((d, i) => new RotationIam.IamPolicySource($"P{i}", "user-managed", RotationIam.IamPolicyDocument.Parse(d))), action, resource);
        var local = LocalIam.IamPolicyEvaluator.Evaluate(
            documents.Select((d, i) => new LocalIam.IamPolicySource($"P{i}", "user-managed", LocalIam.IamPolicyDocument.Parse(d))), action, resource);

        Assert.Equal(expected, rotation.Decision.ToString());
        Assert.Equal(expected, local.Decision.ToString());
        Assert.Equal(rotation.DecidingPolicy?.Id, local.DecidingPolicy?.Id);
        Assert.Equal(rotation.MissingContextValues, local.MissingContextValues);
    }

    private static string Allow(string action, string resource) => $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"{{action}}","Resource":"{{resource}}"}]}""";

    private static string Deny(string action, string resource) => $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"{{action}}","Resource":"{{resource}}"}]}""";
}
