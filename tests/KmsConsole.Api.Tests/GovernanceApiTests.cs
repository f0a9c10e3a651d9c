using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using KmsConsole.Rotation;
using Microsoft.EntityFrameworkCore;

namespace KmsConsole.Api.Tests;

public sealed class GovernanceApiTests
{
    private static object Kms4Policy(string name = "KMS.4") => new
    {
        name,
        scope = new { origins = new[] { "AWS_KMS" } },
        rule = new { kind = "AutomaticRotation", days = 365, remedy = "EnableAutomaticRotation", remedyParameters = new { rotationPeriodInDays = 365 } },
        justification = "Security Hub KMS.4 with a period",
    };

    /// <summary>Adam proposes the KMS.4 policy, Alice approves it: answers the policy's id.</summary>
    private static async Task<Guid> ActivateKms4Async(HttpClient admin, HttpClient approver)
    {
        var proposed = await ApiConsole.JsonOf(await admin.PostAsJsonAsync("api/v1/policies", Kms4Policy()));
        var approved = await approver.PostAsJsonAsync($"api/v1/policies/versions/{proposed.GetProperty("id").GetGuid()}/approve", new { comment = "ok" });
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        return proposed.GetProperty("policyId").GetGuid();
    }

    [Fact]
    public async Task An_admin_proposes_a_policy_someone_else_approves_it_and_its_answers_and_report_name_the_version()
    {
        await using var console = await ApiConsole.StartAsync();
        using var admin = console.Client(await console.TokenForAsync(ApiConsole.Demo("adam"), "policies"));
        using var adminApproves = console.Client(await console.TokenForAsync(ApiConsole.Demo("adam"), "approves", roles: [Roles.Approver]));
        using var approver = console.Client(await console.TokenForAsync(ApiConsole.Demo("alice")));
        using var requester = console.Client(await console.TokenForAsync(ApiConsole.Demo("rita")));

        Assert.Equal(HttpStatusCode.Forbidden, (await requester.PostAsJsonAsync("api/v1/policies", Kms4Policy())).StatusCode);
        var created = await admin.PostAsJsonAsync("api/v1/policies", Kms4Policy());
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var version = await ApiConsole.JsonOf(created);
        Assert.Equal("Proposed", version.GetProperty("state").GetString());
        var versionId = version.GetProperty("id").GetGuid();

        var self = await adminApproves.PostAsJsonAsync($"api/v1/policies/versions/{versionId}/approve", new { comment = "mine" });
        Assert.Equal(HttpStatusCode.Forbidden, self.StatusCode);
        Assert.Contains("someone else", (await ApiConsole.JsonOf(self)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        var approved = await ApiConsole.JsonOf(await approver.PostAsJsonAsync($"api/v1/policies/versions/{versionId}/approve", new { comment = "checked" }));
        Assert.Equal("Active", approved.GetProperty("state").GetString());
        Assert.Equal("alice", approved.GetProperty("signOffs")[0].GetProperty("approverId").GetString());
        var again = await approver.PostAsJsonAsync($"api/v1/policies/versions/{versionId}/reject", new { comment = "changed my mind" });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        var policyId = version.GetProperty("policyId").GetGuid();
        var answers = await ApiConsole.JsonOf(await requester.GetAsync($"api/v1/compliance/answers?policyId={policyId}&status=NonCompliant"));
        var first = Assert.Single(answers.GetProperty("items").EnumerateArray());
        Assert.Contains("alias/FirstCMK", first.GetProperty("aliases").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, first.GetProperty("policyVersion").GetInt32());
        var overview = await ApiConsole.JsonOf(await requester.GetAsync("api/v1/compliance"));
        Assert.Equal(1, overview.GetProperty("policies")[0].GetProperty("nonCompliant").GetInt32());

        var csv = await requester.GetAsync($"api/v1/compliance/report?format=csv&policyId={policyId}");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var lines = (await csv.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("policyId,policy,policyVersion", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.Contains("alias/FirstCMK", StringComparison.Ordinal) && l.Contains(",KMS.4,1,", StringComparison.Ordinal));
        var json = JsonDocument.Parse(await (await requester.GetAsync($"api/v1/compliance/report?format=json&policyId={policyId}")).Content.ReadAsStringAsync());
        Assert.Equal(lines.Length - 1, json.RootElement.GetArrayLength());
        Assert.All(json.RootElement.EnumerateArray(), r => Assert.Equal(1, r.GetProperty("policyVersion").GetInt32()));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await requester.GetAsync("api/v1/compliance/report?format=xlsx")).StatusCode);

        await using var db = await console.DatabaseAsync();
        var actions = await db.AuditEvents.Select(e => new { e.Actor, e.Action }).ToListAsync();
        Assert.Contains(actions, e => e is { Actor: "adam", Action: "policy.proposed" });
        Assert.Contains(actions, e => e is { Actor: "alice", Action: "policy.activated" });
        Assert.Equal(2, actions.Count(e => e is { Actor: "rita", Action: "compliance.exported" }));
    }

    [Fact]
    public async Task Bad_governance_input_is_a_problem_naming_the_field_and_changes_nothing()
    {
        await using var console = await ApiConsole.StartAsync();
        using var admin = console.Client(await console.TokenForAsync(ApiConsole.Demo("adam")));
        using var requester = console.Client(await console.TokenForAsync(ApiConsole.Demo("rita")));

        async Task<string?> FieldOf(HttpResponseMessage response)
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            return (await ApiConsole.JsonOf(response)).GetProperty("field").GetString();
        }

        Assert.Equal("rule", await FieldOf(await admin.PostAsJsonAsync("api/v1/policies", new { name = "No rule", justification = "x" })));
        Assert.Equal("Days", await FieldOf(await admin.PostAsJsonAsync("api/v1/policies", new
        {
            name = "Too long",
            scope = new { targets = (string[]?)null },
            rule = new { kind = "AutomaticRotation", days = 5000, remedy = "EnableAutomaticRotation" },
            justification = "x",
        })));
        Assert.Equal("keys", await FieldOf(await requester.PostAsJsonAsync("api/v1/campaigns", new
        {
            target = "local", workflow = "EnableAutomaticRotation", justification = "x",
        })));
        Assert.Equal("Concurrency", await FieldOf(await requester.PostAsJsonAsync("api/v1/campaigns", new
        {
            target = "local", keys = new[] { "alias/FirstCMK" }, workflow = "EnableAutomaticRotation", justification = "x", concurrency = 0,
        })));
        Assert.Equal("expiresAt", await FieldOf(await requester.PostAsJsonAsync("api/v1/exemptions", new
        {
            policyId = Guid.NewGuid(), target = "local", keyId = "k", reason = "legacy",
        })));
        Assert.Equal("pageSize", await FieldOf(await requester.GetAsync("api/v1/compliance/answers?pageSize=0")));

        var unreadable = await requester.PostAsJsonAsync("api/v1/campaigns", new { target = "local", keys = new[] { "k" }, workflow = "NoSuchWorkflow" });
        Assert.Equal(HttpStatusCode.BadRequest, unreadable.StatusCode);
        Assert.Equal("application/problem+json", unreadable.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, (await requester.GetAsync($"api/v1/campaigns/{Guid.NewGuid()}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await console.Client().GetAsync("api/v1/policies")).StatusCode);

        await using var db = await console.DatabaseAsync();
        Assert.Empty(await db.RotationPolicies.ToListAsync());
        Assert.Empty(await db.Campaigns.ToListAsync());
        Assert.Empty(await db.PolicyExemptions.ToListAsync());
    }

    [Fact]
    public async Task A_requested_campaign_is_released_by_someone_else_and_its_progress_is_followed_to_the_end()
    {
        await using var console = await ApiConsole.StartAsync();
        using var admin = console.Client(await console.TokenForAsync(ApiConsole.Demo("adam")));
        using var requester = console.Client(await console.TokenForAsync(ApiConsole.Demo("rita")));
        using var approver = console.Client(await console.TokenForAsync(ApiConsole.Demo("alice")));
        var policyId = await ActivateKms4Async(admin, approver);

        var created = await requester.PostAsJsonAsync("api/v1/campaigns/for-policy", new { policyId, justification = "KMS.4 remediation", concurrency = 2 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var campaign = await ApiConsole.JsonOf(created);
        var id = campaign.GetProperty("id").GetGuid();
        Assert.Equal("AwaitingApproval", campaign.GetProperty("state").GetString());
        Assert.StartsWith("Approval → Enable automatic rotation", campaign.GetProperty("keys")[0].GetProperty("plan").GetString(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.Forbidden, (await requester.PostAsJsonAsync($"api/v1/campaigns/{id}/approve", new { comment = "mine" })).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await approver.PostAsJsonAsync($"api/v1/campaigns/{id}/reject", new { comment = "" })).StatusCode);
        var released = await ApiConsole.JsonOf(await approver.PostAsJsonAsync($"api/v1/campaigns/{id}/approve", new { comment = "go" }));
        Assert.NotEqual("AwaitingApproval", released.GetProperty("state").GetString());
        Assert.Equal(HttpStatusCode.Conflict, (await approver.PostAsJsonAsync($"api/v1/campaigns/{id}/approve", new { comment = "again" })).StatusCode);

        var until = DateTime.UtcNow.AddSeconds(60);
        JsonElement progress;
        do
        {
            await Task.Delay(200);
            progress = await ApiConsole.JsonOf(await requester.GetAsync($"api/v1/campaigns/{id}/progress"));
        }
        while (progress.GetProperty("state").GetString() != "Finished" && DateTime.UtcNow < until);

        Assert.Equal("Finished", progress.GetProperty("state").GetString());
        Assert.Equal(1, progress.GetProperty("progress").GetProperty("done").GetInt32());
        Assert.Equal(HttpStatusCode.Conflict, (await requester.PostAsync($"api/v1/campaigns/{id}/pause", null)).StatusCode);
        var done = await ApiConsole.JsonOf(await requester.GetAsync($"api/v1/campaigns/{id}"));
        var runId = done.GetProperty("keys")[0].GetProperty("runId").GetGuid();
        Assert.Equal("Succeeded", (await ApiConsole.JsonOf(await requester.GetAsync($"api/v1/runs/{runId}"))).GetProperty("state").GetString());
    }

    [Fact]
    public async Task An_exemption_is_requested_and_approved_by_someone_else_and_the_key_counts_as_exempt()
    {
        await using var console = await ApiConsole.StartAsync();
        using var admin = console.Client(await console.TokenForAsync(ApiConsole.Demo("adam")));
        using var requester = console.Client(await console.TokenForAsync(ApiConsole.Demo("rita")));
        using var approver = console.Client(await console.TokenForAsync(ApiConsole.Demo("alice")));
        var policyId = await ActivateKms4Async(admin, approver);
        var answer = (await ApiConsole.JsonOf(await requester.GetAsync($"api/v1/compliance/answers?policyId={policyId}&status=NonCompliant")))
            .GetProperty("items")[0];

        var created = await requester.PostAsJsonAsync("api/v1/exemptions", new
        {
            policyId, target = "local", keyId = answer.GetProperty("keyId").GetString(), reason = "Legacy app, replaced in Q3",
            expiresAt = DateTimeOffset.UtcNow.AddDays(30),
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await ApiConsole.JsonOf(created)).GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.Forbidden, (await requester.PostAsJsonAsync($"api/v1/exemptions/{id}/approve", new { comment = "mine" })).StatusCode);
        var approved = await ApiConsole.JsonOf(await approver.PostAsJsonAsync($"api/v1/exemptions/{id}/approve", new { comment = "until Q3" }));

        Assert.Equal("Approved", approved.GetProperty("state").GetString());
        Assert.True(approved.GetProperty("counts").GetBoolean());
        Assert.Equal(HttpStatusCode.Conflict, (await approver.PostAsJsonAsync($"api/v1/exemptions/{id}/approve", new { comment = "again" })).StatusCode);
        var exempt = await ApiConsole.JsonOf(await requester.GetAsync($"api/v1/compliance/answers?policyId={policyId}&status=Exempt"));
        Assert.Equal(answer.GetProperty("keyId").GetString(), Assert.Single(exempt.GetProperty("items").EnumerateArray()).GetProperty("keyId").GetString());
    }

    [Fact]
    public async Task A_campaigns_destructive_fate_is_approved_once_through_the_api_and_the_keys_run_passes_its_fate_gate_with_it()
    {
        await using var console = await ApiConsole.StartAsync();
        using var requester = console.Client(await console.TokenForAsync(ApiConsole.Demo("rita")));
        using var approver = console.Client(await console.TokenForAsync(ApiConsole.Demo("alice")));
        var created = await ApiConsole.JsonOf(await requester.PostAsJsonAsync("api/v1/campaigns", new
        {
            target = "local", keys = new[] { "alias/FirstCMK" }, workflow = "AliasSwapNewKey", parameters = new { oldKeyFate = "Disable" },
            justification = "Replace the application key, disable the old one", concurrency = 1,
        }));
        var id = created.GetProperty("id").GetGuid();
        var fate = created.GetProperty("fate");
        Assert.Equal(("Approval of the old key's fate", "Disable", "Waiting", 1), (fate.GetProperty("gateName").GetString(), fate.GetProperty("fate").GetString(),
            fate.GetProperty("decision").GetString(), fate.GetProperty("keyCount").GetInt32()));

        Assert.Equal(HttpStatusCode.OK, (await approver.PostAsJsonAsync($"api/v1/campaigns/{id}/approve", new { comment = "release" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await requester.PostAsJsonAsync($"api/v1/campaigns/{id}/fate/approve", new { comment = "mine" })).StatusCode);
        var released = await ApiConsole.JsonOf(await approver.PostAsJsonAsync($"api/v1/campaigns/{id}/fate/approve", new { comment = "disable it" }));
        Assert.Equal("Released", released.GetProperty("fate").GetProperty("decision").GetString());
        Assert.Equal(HttpStatusCode.Conflict, (await approver.PostAsJsonAsync($"api/v1/campaigns/{id}/fate/reject", new { comment = "no" })).StatusCode);

        var until = DateTime.UtcNow.AddSeconds(60);
        JsonElement progress;
        do
        {
            await Task.Delay(200);
            progress = await ApiConsole.JsonOf(await requester.GetAsync($"api/v1/campaigns/{id}/progress"));
        }
        while (progress.GetProperty("state").GetString() != "Finished" && DateTime.UtcNow < until);

        Assert.Equal(1, progress.GetProperty("progress").GetProperty("done").GetInt32());
        var runId = (await ApiConsole.JsonOf(await requester.GetAsync($"api/v1/campaigns/{id}"))).GetProperty("keys")[0].GetProperty("runId").GetGuid();
        var run = await ApiConsole.JsonOf(await requester.GetAsync($"api/v1/runs/{runId}"));
        Assert.Equal(2, run.GetProperty("approvals").EnumerateArray().Count(a => a.GetProperty("approverId").GetString() == "alice"));
    }

    [Fact]
    public async Task A_staged_retirements_deletion_gate_is_decided_through_the_api_once_a_watch_is_over_and_is_refused_as_problem_details_before()
    {
        await using var console = await ApiConsole.StartAsync();
        using var requester = console.Client(await console.TokenForAsync(ApiConsole.Demo("rita")));
        using var approver = console.Client(await console.TokenForAsync(ApiConsole.Demo("alice")));
        var created = await ApiConsole.JsonOf(await requester.PostAsJsonAsync("api/v1/campaigns", new
        {
            target = "local", keys = new[] { "alias/FirstCMK" }, workflow = "AliasSwapNewKey", parameters = new { oldKeyFate = "StagedRetirement", pendingWindowInDays = 7 },
            justification = "Replace the application key, retire the old one in stages", concurrency = 1,
        }));
        var id = created.GetProperty("id").GetGuid();
        var deletion = created.GetProperty("deletion");
        Assert.Equal(("Approval of the old key's deletion", "Waiting", 1), (deletion.GetProperty("gateName").GetString(), deletion.GetProperty("decision").GetString(),
            deletion.GetProperty("keyCount").GetInt32()));

        Assert.Equal(HttpStatusCode.Forbidden, (await requester.PostAsJsonAsync($"api/v1/campaigns/{id}/deletion/approve", new { comment = "mine" })).StatusCode);
        var early = await approver.PostAsJsonAsync($"api/v1/campaigns/{id}/deletion/approve", new { comment = "go" });
        Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
        Assert.Contains("No key's watch is over yet", (await ApiConsole.JsonOf(early)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await approver.PostAsJsonAsync($"api/v1/campaigns/{id}/deletion/reject", new { comment = "" })).StatusCode);
        var unchanged = await ApiConsole.JsonOf(await requester.GetAsync($"api/v1/campaigns/{id}"));
        Assert.Empty(unchanged.GetProperty("deletion").GetProperty("signOffs").EnumerateArray());

        var disable = await ApiConsole.JsonOf(await requester.PostAsJsonAsync("api/v1/campaigns", new
        {
            target = "local", keys = new[] { "alias/FirstCMK" }, workflow = "AliasSwapNewKey", parameters = new { oldKeyFate = "Disable" },
            justification = "Replace the application key, disable the old one", concurrency = 1,
        }));
        Assert.Equal(JsonValueKind.Null, disable.GetProperty("deletion").ValueKind);
        var none = await approver.PostAsJsonAsync($"api/v1/campaigns/{disable.GetProperty("id").GetGuid()}/deletion/approve", new { comment = "go" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, none.StatusCode);
    }
}
