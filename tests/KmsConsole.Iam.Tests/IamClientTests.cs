using System.Net;
using System.Text.Json;
using KmsConsole.Iam.Tests.Endpoints;
using KmsConsole.Rotation.Iam;

namespace KmsConsole.Iam.Tests;

/// <summary>
/// The IAM client over HTTP for every call and its errors, run against the local IAM endpoint and cross-checked
/// against moto_server. moto implements IAM roles, policies, versions and attachments but not
/// SimulatePrincipalPolicy; those cases skip for moto with that reason.
/// </summary>
[Collection(IamEndpointsCollection.Name)]
public sealed class IamClientTests(IamEndpointsFixture endpoints)
{
    private const string KmsPolicy = """{"Version":"2012-10-17","Statement":[{"Sid":"Rotate","Effect":"Allow","Action":["kms:UpdateAlias","kms:DisableKey"],"Resource":"arn:aws:kms:us-east-1:111122223333:key/*"}]}""";
    private const string OtherPolicy = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:DescribeKey","Resource":"*"}]}""";

    public static TheoryData<string> Targets => new() { IamTarget.Local, IamTarget.Moto };

    [SkippableTheory]
    [MemberData(nameof(Targets))]
    public async Task GetRole_returns_the_role_with_its_trust_policy_decoded(string targetName)
    {
        var target = endpoints.Get(targetName);
        var name = IamTarget.Unique("rotation-runner");
        var arn = await target.CreateRoleAsync(name);

        var role = await target.Client.GetRoleAsync(name);

        Assert.Equal(name, role.RoleName);
        Assert.Equal(arn, role.Arn);
        Assert.Equal($"arn:aws:iam::{target.AccountId}:role/{name}", role.Arn);
        Assert.Equal("/", role.Path);
        Assert.StartsWith("AROA", role.RoleId, StringComparison.Ordinal);
        using var trust = JsonDocument.Parse(role.AssumeRolePolicyDocument!);
        Assert.Equal("sts:AssumeRole", trust.RootElement.GetProperty("Statement")[0].GetProperty("Action").GetString());
    }

    [SkippableTheory]
    [MemberData(nameof(Targets))]
    public async Task GetRole_of_a_missing_role_is_NoSuchEntity_with_a_request_id(string targetName)
    {
        var target = endpoints.Get(targetName);

        var ex = await Assert.ThrowsAsync<IamNoSuchEntityException>(() => target.Client.GetRoleAsync(IamTarget.Unique("no-such-role")));

        Assert.Equal("NoSuchEntity", ex.ErrorCode);
        Assert.Equal(HttpStatusCode.NotFound, ex.StatusCode);
        Assert.False(string.IsNullOrEmpty(ex.RequestId));
        Assert.Equal("Sender", ex.ErrorType);
    }

    [SkippableTheory]
    [MemberData(nameof(Targets))]
    public async Task CreatePolicy_then_GetPolicy_and_GetPolicyVersion_return_the_document_decoded(string targetName)
    {
        var target = endpoints.Get(targetName);
        var name = IamTarget.Unique("KmsConsole-Test");

        var created = await target.Client.CreatePolicyAsync(name, KmsPolicy, "rotation permissions");
        var fetched = await target.Client.GetPolicyAsync(created.Arn);
        var version = await target.Client.GetPolicyVersionAsync(created.Arn, fetched.DefaultVersionId);

        Assert.Equal($"arn:aws:iam::{target.AccountId}:policy/{name}", created.Arn);
        Assert.Equal("v1", created.DefaultVersionId);
        Assert.Equal(name, fetched.PolicyName);
        Assert.Equal(created.PolicyId, fetched.PolicyId);
        Assert.Equal("rotation permissions", fetched.Description);
        Assert.True(version.IsDefaultVersion);
        Assert.Equal("v1", version.VersionId);
        Assert.Equal(Normalize(KmsPolicy), Normalize(version.Document!));
    }

    [SkippableTheory]
    [MemberData(nameof(Targets))]
    public async Task CreatePolicy_with_a_taken_name_is_EntityAlreadyExists(string targetName)
    {
        var target = endpoints.Get(targetName);
        var name = IamTarget.Unique("KmsConsole-Dup");
        await target.Client.CreatePolicyAsync(name, KmsPolicy);

        var ex = await Assert.ThrowsAsync<IamEntityAlreadyExistsException>(() => target.Client.CreatePolicyAsync(name, KmsPolicy));

        Assert.Equal(HttpStatusCode.Conflict, ex.StatusCode);
        Assert.Contains(name, ex.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(ex.RequestId));
    }

    [SkippableTheory]
    [InlineData(IamTarget.Local, "not json")]
    [InlineData(IamTarget.Moto, "not json")]
    [InlineData(IamTarget.Local, """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:DisableKey"}]}""")]
    [InlineData(IamTarget.Moto, """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:DisableKey"}]}""")]
    [InlineData(IamTarget.Local, """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"DisableKey","Resource":"*"}]}""")]
    [InlineData(IamTarget.Moto, """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"DisableKey","Resource":"*"}]}""")]
    public async Task CreatePolicy_with_a_malformed_document_is_MalformedPolicyDocument(string targetName, string document)
    {
        var target = endpoints.Get(targetName);

        var ex = await Assert.ThrowsAsync<IamMalformedPolicyDocumentException>(() => target.Client.CreatePolicyAsync(IamTarget.Unique("Malformed"), document));

        Assert.Equal(HttpStatusCode.BadRequest, ex.StatusCode);
        Assert.False(string.IsNullOrEmpty(ex.Message));
    }

    [SkippableTheory]
    [MemberData(nameof(Targets))]
    public async Task CreatePolicyVersion_as_default_moves_the_default_version(string targetName)
    {
        var target = endpoints.Get(targetName);
        var policy = await target.Client.CreatePolicyAsync(IamTarget.Unique("Versions"), KmsPolicy);

        var v2 = await target.Client.CreatePolicyVersionAsync(policy.Arn, OtherPolicy, setAsDefault: true);
        var v3 = await target.Client.CreatePolicyVersionAsync(policy.Arn, KmsPolicy, setAsDefault: false);
        var fetched = await target.Client.GetPolicyAsync(policy.Arn);
        var v2Document = await target.Client.GetPolicyVersionAsync(policy.Arn, "v2");
        var v1 = await target.Client.GetPolicyVersionAsync(policy.Arn, "v1");

        Assert.Equal(("v2", true), (v2.VersionId, v2.IsDefaultVersion));
        Assert.Equal(("v3", false), (v3.VersionId, v3.IsDefaultVersion));
        Assert.Equal("v2", fetched.DefaultVersionId);
        Assert.Equal(Normalize(OtherPolicy), Normalize(v2Document.Document!));
        Assert.False(v1.IsDefaultVersion);
    }

    [SkippableTheory]
    [MemberData(nameof(Targets))]
    public async Task A_sixth_policy_version_is_LimitExceeded(string targetName)
    {
        var target = endpoints.Get(targetName);
        var policy = await target.Client.CreatePolicyAsync(IamTarget.Unique("FiveVersions"), KmsPolicy);
        for (var i = 0; i < 4; i++)
        {
            await target.Client.CreatePolicyVersionAsync(policy.Arn, OtherPolicy, setAsDefault: false);
        }

        var ex = await Assert.ThrowsAsync<IamLimitExceededException>(() => target.Client.CreatePolicyVersionAsync(policy.Arn, OtherPolicy, setAsDefault: true));

        Assert.Equal(HttpStatusCode.Conflict, ex.StatusCode);
        Assert.Equal("v1", (await target.Client.GetPolicyAsync(policy.Arn)).DefaultVersionId);
    }

    [SkippableTheory]
    [MemberData(nameof(Targets))]
    public async Task GetPolicy_and_GetPolicyVersion_of_missing_ones_are_NoSuchEntity(string targetName)
    {
        var target = endpoints.Get(targetName);
        var policy = await target.Client.CreatePolicyAsync(IamTarget.Unique("Present"), KmsPolicy);

        await Assert.ThrowsAsync<IamNoSuchEntityException>(() => target.Client.GetPolicyAsync($"arn:aws:iam::{target.AccountId}:policy/{IamTarget.Unique("Absent")}"));
        await Assert.ThrowsAsync<IamNoSuchEntityException>(() => target.Client.GetPolicyVersionAsync(policy.Arn, "v7"));
        await Assert.ThrowsAsync<IamNoSuchEntityException>(() => target.Client.CreatePolicyVersionAsync($"arn:aws:iam::{target.AccountId}:policy/{IamTarget.Unique("Absent")}", KmsPolicy, true));
    }

    [SkippableTheory]
    [MemberData(nameof(Targets))]
    public async Task AttachRolePolicy_shows_in_ListAttachedRolePolicies_across_pages(string targetName)
    {
        var target = endpoints.Get(targetName);
        var role = IamTarget.Unique("attach-runner");
        await target.CreateRoleAsync(role);
        var arns = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var policy = await target.Client.CreatePolicyAsync(IamTarget.Unique($"Attached{i}"), KmsPolicy);
            await target.Client.AttachRolePolicyAsync(role, policy.Arn);
            arns.Add(policy.Arn);
        }

        using var pagedClient = target.ClientFor("AKIDPAGING", pageSize: 1);
        var attached = await pagedClient.ListAttachedRolePoliciesAsync(role);

        Assert.Equal(arns.Order(StringComparer.Ordinal), attached.Select(a => a.PolicyArn).Order(StringComparer.Ordinal));
        Assert.All(attached, a => Assert.EndsWith(a.PolicyName, a.PolicyArn, StringComparison.Ordinal));
        Assert.Equal(1, (await target.Client.GetPolicyAsync(arns[0])).AttachmentCount);
    }

    [SkippableTheory]
    [MemberData(nameof(Targets))]
    public async Task AttachRolePolicy_to_a_missing_role_or_policy_is_NoSuchEntity(string targetName)
    {
        var target = endpoints.Get(targetName);
        var role = IamTarget.Unique("attach-missing");
        await target.CreateRoleAsync(role);
        var policy = await target.Client.CreatePolicyAsync(IamTarget.Unique("AttachMissing"), KmsPolicy);

        await Assert.ThrowsAsync<IamNoSuchEntityException>(() => target.Client.AttachRolePolicyAsync(IamTarget.Unique("no-role"), policy.Arn));
        await Assert.ThrowsAsync<IamNoSuchEntityException>(() => target.Client.AttachRolePolicyAsync(role, $"arn:aws:iam::{target.AccountId}:policy/{IamTarget.Unique("NoPolicy")}"));
        await Assert.ThrowsAsync<IamNoSuchEntityException>(() => target.Client.ListAttachedRolePoliciesAsync(IamTarget.Unique("no-role")));
    }

    [SkippableTheory]
    [MemberData(nameof(Targets))]
    public async Task Inline_role_policies_are_listed_and_read_back_decoded(string targetName)
    {
        var target = endpoints.Get(targetName);
        var role = IamTarget.Unique("inline-runner");
        await target.CreateRoleAsync(role);
        await target.PutRolePolicyAsync(role, "RotateAliases", KmsPolicy);
        await target.PutRolePolicyAsync(role, "Describe", OtherPolicy);

        var names = await target.Client.ListRolePoliciesAsync(role);
        var inline = await target.Client.GetRolePolicyAsync(role, "RotateAliases");

        Assert.Equal(["Describe", "RotateAliases"], names.Order(StringComparer.Ordinal));
        Assert.Equal((role, "RotateAliases"), (inline.RoleName, inline.PolicyName));
        Assert.Equal(Normalize(KmsPolicy), Normalize(inline.PolicyDocument));
        await Assert.ThrowsAsync<IamNoSuchEntityException>(() => target.Client.GetRolePolicyAsync(role, "Absent"));
        await Assert.ThrowsAsync<IamNoSuchEntityException>(() => target.Client.ListRolePoliciesAsync(IamTarget.Unique("no-role")));
    }

    [SkippableTheory]
    [MemberData(nameof(Targets))]
    public async Task SimulatePrincipalPolicy_answers_allowed_implicit_and_explicit_deny_with_the_deciding_policy(string targetName)
    {
        var target = endpoints.Get(targetName);
        Skip.If(target.IsMoto, "moto_server does not implement SimulatePrincipalPolicy (it answers HTTP 500); preflight falls back to the policy documents there");
        var role = IamTarget.Unique("simulated");
        var roleArn = await target.CreateRoleAsync(role);
        var policy = await target.Client.CreatePolicyAsync(IamTarget.Unique("Simulated"), KmsPolicy);
        await target.Client.AttachRolePolicyAsync(role, policy.Arn);
        await target.PutRolePolicyAsync(role, "NoDisable", """{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"kms:DisableKey","Resource":"*"}]}""");
        const string key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

        var results = await target.Client.SimulatePrincipalPolicyAsync(roleArn, ["kms:UpdateAlias", "kms:DisableKey", "kms:ScheduleKeyDeletion"], [key]);

        var byAction = results.ToDictionary(r => r.ActionName);
        Assert.Equal(PermissionDecision.Allowed, byAction["kms:UpdateAlias"].Decision);
        Assert.Equal(policy.PolicyName, byAction["kms:UpdateAlias"].MatchedStatements.Single().SourcePolicyId);
        Assert.Equal(1, byAction["kms:UpdateAlias"].MatchedStatements.Single().StartLine);
        Assert.Equal(PermissionDecision.ExplicitDeny, byAction["kms:DisableKey"].Decision);
        Assert.Equal(("NoDisable", "role"), (byAction["kms:DisableKey"].MatchedStatements.Single().SourcePolicyId, byAction["kms:DisableKey"].MatchedStatements.Single().SourcePolicyType));
        Assert.Equal(PermissionDecision.ImplicitDeny, byAction["kms:ScheduleKeyDeletion"].Decision);
        Assert.Empty(byAction["kms:ScheduleKeyDeletion"].MatchedStatements);
        Assert.All(results, r => Assert.Equal(key, r.ResourceName));
    }

    [SkippableTheory]
    [MemberData(nameof(Targets))]
    public async Task SimulatePrincipalPolicy_of_a_missing_role_is_NoSuchEntity(string targetName)
    {
        var target = endpoints.Get(targetName);
        Skip.If(target.IsMoto, "moto_server does not implement SimulatePrincipalPolicy (it answers HTTP 500)");

        await Assert.ThrowsAsync<IamNoSuchEntityException>(() => target.Client.SimulatePrincipalPolicyAsync(
            $"arn:aws:iam::{target.AccountId}:role/{IamTarget.Unique("ghost")}", ["kms:UpdateAlias"]));
    }

    [SkippableTheory]
    [MemberData(nameof(Targets))]
    public async Task SimulatePrincipalPolicy_on_moto_surfaces_as_a_protocol_error(string targetName)
    {
        var target = endpoints.Get(targetName);
        Skip.IfNot(target.IsMoto, "only moto lacks SimulatePrincipalPolicy");
        var role = IamTarget.Unique("moto-sim");
        var roleArn = await target.CreateRoleAsync(role);

        var ex = await Assert.ThrowsAsync<IamProtocolException>(() => target.Client.SimulatePrincipalPolicyAsync(roleArn, ["kms:UpdateAlias"]));

        Assert.Equal(HttpStatusCode.InternalServerError, ex.StatusCode);
    }

    [SkippableTheory]
    [MemberData(nameof(Targets))]
    public async Task GetCallerIdentity_names_the_account(string targetName)
    {
        var target = endpoints.Get(targetName);

        var identity = await target.Client.GetCallerIdentityAsync();

        Assert.Equal(target.AccountId, identity.Account);
        Assert.StartsWith($"arn:aws:", identity.Arn, StringComparison.Ordinal);
        Assert.Contains(target.AccountId, identity.Arn, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetCallerIdentity_of_an_access_key_mapped_to_a_role_is_its_assumed_role_session()
    {
        var target = endpoints.LocalTarget;
        var role = IamTarget.Unique("caller");
        await target.CreateRoleAsync(role);
        await endpoints.LocalServer.Store.MapAccessKeyAsync("AKIDCALLER" + role[^6..].ToUpperInvariant(), role);
        using var client = target.ClientFor("AKIDCALLER" + role[^6..].ToUpperInvariant());

        var identity = await client.GetCallerIdentityAsync();

        Assert.Equal($"arn:aws:sts::{target.AccountId}:assumed-role/{role}/AKIDCALLER{role[^6..].ToUpperInvariant()}", identity.Arn);
        Assert.Equal(role, PermissionPreflight.RoleNameOf(identity.Arn));
    }

    [Fact]
    public async Task An_unsigned_request_is_refused_with_MissingAuthenticationToken()
    {
        using var http = new HttpClient();
        using var response = await http.PostAsync(endpoints.LocalTarget.Endpoint, new FormUrlEncodedContent(new Dictionary<string, string> { ["Action"] = "GetRole", ["RoleName"] = "x", ["Version"] = "2010-05-08" }));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("<Code>MissingAuthenticationToken</Code>", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_action_is_InvalidAction()
    {
        var (status, body) = await endpoints.LocalTarget.SendRawAsync("DeleteAccountAlias");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("<Code>InvalidAction</Code>", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_role_name_outside_IAMs_pattern_is_a_ValidationError()
    {
        var (status, body) = await endpoints.LocalTarget.SendRawAsync("GetRole", ("RoleName", "has space"));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("<Code>ValidationError</Code>", body, StringComparison.Ordinal);
    }

    private static string Normalize(string json) => JsonSerializer.Serialize(JsonDocument.Parse(json).RootElement);
}
