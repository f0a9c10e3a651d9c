using KmsConsole.Rotation.Iam;

namespace KmsConsole.Iam.Tests;

public sealed class PolicyEvaluatorTests
{
    private const string Key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    private const string Alias = "arn:aws:kms:us-east-1:111122223333:alias/FirstCMK";

    private static IamPolicySource Policy(string name, string json, string type = "user-managed") => new(name, type, IamPolicyDocument.Parse(json));

    private static IamPolicyOutcome Evaluate(string action, string resource, params IamPolicySource[] policies) =>
        IamPolicyEvaluator.Evaluate(policies, action, resource);

    [Fact]
    public void An_allow_statement_matching_action_and_resource_allows_and_names_its_policy()
    {
        var outcome = Evaluate("kms:UpdateAlias", Alias, Policy("Rotate", """{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:UpdateAlias","Resource":"arn:aws:kms:us-east-1:111122223333:alias/*"}}"""));

        Assert.Equal(PermissionDecision.Allowed, outcome.Decision);
        Assert.Equal("Rotate", outcome.DecidingPolicy!.Id);
    }

    [Fact]
    public void No_matching_statement_is_an_implicit_deny_without_a_deciding_policy()
    {
        var outcome = Evaluate("kms:ScheduleKeyDeletion", Key, Policy("Rotate", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:UpdateAlias","Resource":"*"}]}"""));

        Assert.Equal(PermissionDecision.ImplicitDeny, outcome.Decision);
        Assert.Null(outcome.DecidingPolicy);
        Assert.Empty(outcome.MatchedStatements);
    }

    [Fact]
    public void An_explicit_deny_wins_over_any_allow()
    {
        var outcome = Evaluate("kms:DisableKey", Key,
            Policy("Admin", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"""),
            Policy("Guard", """{"Version":"2012-10-17","Statement":[{"Sid":"NoDisable","Effect":"Deny","Action":"kms:Disable*","Resource":"arn:aws:kms:*:111122223333:key/*"}]}""", "role"));

        Assert.Equal(PermissionDecision.ExplicitDeny, outcome.Decision);
        Assert.Equal(("Guard", "role"), (outcome.DecidingPolicy!.Id, outcome.DecidingPolicy.Type));
        Assert.Equal("NoDisable", outcome.MatchedStatements.Single().Statement.Sid);
    }

    [Theory]
    [InlineData("kms:*", "kms:UpdateAlias", true)]
    [InlineData("kms:Update*", "kms:UpdateAlias", true)]
    [InlineData("kms:Update*", "kms:DisableKey", false)]
    [InlineData("KMS:updatealias", "kms:UpdateAlias", true)]
    [InlineData("kms:?isableKey", "kms:DisableKey", true)]
    [InlineData("*", "kms:DisableKey", true)]
    [InlineData("kms:*Key", "kms:EnableKey", true)]
    [InlineData("iam:*", "kms:EnableKey", false)]
    public void Action_wildcards_match_like_IAM(string pattern, string action, bool matches) =>
        Assert.Equal(matches, IamPolicyEvaluator.ActionMatches(pattern, action));

    [Theory]
    [InlineData("*", Key, true)]
    [InlineData("arn:aws:kms:us-east-1:111122223333:key/*", Key, true)]
    [InlineData("arn:aws:kms:us-east-1:111122223333:key/*", Alias, false)]
    [InlineData("arn:aws:kms:*:111122223333:alias/*", Alias, true)]
    [InlineData("arn:aws:kms:us-east-1:444455556666:alias/*", Alias, false)]
    [InlineData("arn:aws:kms:us-east-1:111122223333:alias/firstcmk", Alias, false)]
    [InlineData("arn:aws:kms:us-east-1:111122223333:alias/First???", Alias, true)]
    [InlineData("arn:aws:kms:*:*:*", Alias, true)]
    public void Resource_wildcards_match_per_ARN_segment_and_case_sensitively(string pattern, string resource, bool matches) =>
        Assert.Equal(matches, IamPolicyEvaluator.ResourceMatches(pattern, resource));

    [Fact]
    public void NotAction_allows_everything_except_the_named_actions()
    {
        var policy = Policy("AllButDelete", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["kms:ScheduleKeyDeletion","kms:DeleteImportedKeyMaterial"],"Resource":"*"}]}""");

        Assert.Equal(PermissionDecision.Allowed, Evaluate("kms:UpdateAlias", Alias, policy).Decision);
        Assert.Equal(PermissionDecision.ImplicitDeny, Evaluate("kms:ScheduleKeyDeletion", Key, policy).Decision);
    }

    [Fact]
    public void A_deny_with_NotResource_denies_outside_the_named_resources()
    {
        var policies = new[]
        {
            Policy("All", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"""),
            Policy("OnlyFirst", """{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"kms:UpdateAlias","NotResource":"arn:aws:kms:us-east-1:111122223333:alias/FirstCMK"}]}"""),
        };

        Assert.Equal(PermissionDecision.Allowed, Evaluate("kms:UpdateAlias", Alias, policies).Decision);
        Assert.Equal(PermissionDecision.ExplicitDeny, Evaluate("kms:UpdateAlias", "arn:aws:kms:us-east-1:111122223333:alias/ImportedCMK", policies).Decision);
    }

    [Fact]
    public void A_conditional_statement_does_not_apply_and_reports_its_context_keys()
    {
        var outcome = Evaluate("kms:UpdateAlias", Alias, Policy("Tagged", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:UpdateAlias","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"crypto"}}}]}"""));

        Assert.Equal(PermissionDecision.ImplicitDeny, outcome.Decision);
        Assert.Equal(["aws:ResourceTag/team"], outcome.MissingContextValues);
    }

    [Fact]
    public void Statement_positions_are_reported_as_line_and_column()
    {
        var document = IamPolicyDocument.Parse("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": \"kms:*\", \"Resource\": \"*\"},\n    {\"Effect\": \"Deny\", \"Action\": \"kms:DisableKey\", \"Resource\": \"*\"}\n  ]\n}");

        Assert.Equal((4, 5), (document.Statements[0].StartLine, document.Statements[0].StartColumn));
        Assert.Equal((5, 5), (document.Statements[1].StartLine, document.Statements[1].StartColumn));
        Assert.Equal(5, document.Statements[1].EndLine);
    }

    [Theory]
    [InlineData("not json", "Syntax errors in policy.")]
    [InlineData("""{"Version":"2012-10-17","Statement":[]}""", "Syntax errors in policy.")]
    [InlineData("""{"Version":"2012-10-17","Statement":[{"Effect":"Permit","Action":"kms:*","Resource":"*"}]}""", "Syntax errors in policy.")]
    [InlineData("""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}""", "Policy statement must contain actions.")]
    [InlineData("""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*"}]}""", "Policy statement must contain resources.")]
    [InlineData("""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}]}""", "Policy document should not specify a principal.")]
    [InlineData("""{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"kms:*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"kms:*","Resource":"*"}]}""", "Statement IDs (SID) in a single policy must be unique.")]
    [InlineData("""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"UpdateAlias","Resource":"*"}]}""", "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")]
    public void Malformed_documents_are_refused_with_IAMs_message(string json, string message)
    {
        var ex = Assert.Throws<IamPolicyDocumentException>(() => IamPolicyDocument.Parse(json));

        Assert.Equal(message, ex.Message);
    }

    [Theory]
    [InlineData("%7B%22Version%22%3A%222012-10-17%22%7D", """{"Version":"2012-10-17"}""")]
    [InlineData("""{"Version":"2012-10-17"}""", """{"Version":"2012-10-17"}""")]
    [InlineData("%7B%22Resource%22%3A%22arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fa%2Bb%20c%22%7D", """{"Resource":"arn:aws:iam::1:role/a+b c"}""")]
    public void Policy_documents_are_URL_decoded_once_and_plain_ones_left_alone(string wire, string expected) =>
        Assert.Equal(expected, PolicyDocumentText.Decode(wire));
}
