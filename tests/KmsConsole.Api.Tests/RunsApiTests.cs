using System.Net;
using System.Net.Http.Json;
using KmsConsole.Rotation;
using Microsoft.EntityFrameworkCore;

namespace KmsConsole.Api.Tests;

public sealed class RunsApiTests
{
    [Fact]
    public async Task A_pipeline_requests_an_alias_swap_an_approver_approves_with_their_token_and_the_run_succeeds()
    {
        await using var smtp = SmtpReceiver.Start();
        await using var http = await HttpReceiver.StartAsync();
        await using var console = await ApiConsole.StartAsync(NotificationTests.Channels(smtp, http, only: "hooks"));
        using var pipeline = console.Client(await console.TokenForAsync(ApiConsole.Demo("rita"), "release pipeline"));
        using var approver = console.Client(await console.TokenForAsync(ApiConsole.Demo("alice"), "laptop"));

        var created = await ApiConsole.RequestAliasSwapAsync(pipeline);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var run = await ApiConsole.JsonOf(created);
        var id = run.GetProperty("id").GetGuid();
        Assert.Equal($"/api/v1/runs/{id}", created.Headers.Location?.ToString());
        Assert.Equal("AwaitingApproval", (await ApiConsole.PollUntilAsync(pipeline, id, "AwaitingApproval")).GetProperty("state").GetString());
        Assert.NotEmpty(run.GetProperty("steps").EnumerateArray());

        // The approver hears of it by mail and the ticketing system by its webhook, each with the run's page.
        var mail = await smtp.WaitForAsync(m => m.Subject?.Contains("Approval needed", StringComparison.Ordinal) == true);
        Assert.Contains("alice@kmsconsole.local", mail.To.Mailboxes.Select(m => m.Address));
        Assert.Contains($"https://kms.example.test/runs/{id}", mail.TextBody, StringComparison.Ordinal);
        var hook = await http.WaitForAsync("/hooks");
        Assert.Contains(id.ToString(), hook.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await pipeline.PostAsJsonAsync($"api/v1/runs/{id}/approve", new { comment = "my own" })).StatusCode);

        var waiting = await ApiConsole.JsonOf(await approver.GetAsync("api/v1/approvals"));
        Assert.Contains(waiting.EnumerateArray(), r => r.GetProperty("id").GetGuid() == id);
        var approved = await approver.PostAsJsonAsync($"api/v1/runs/{id}/approve", new { comment = "Change CHG-1 checked" });
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);

        var done = await ApiConsole.PollUntilAsync(pipeline, id, "Succeeded");
        Assert.Equal("alice", done.GetProperty("approvals")[0].GetProperty("approverId").GetString());
        await using var db = await console.DatabaseAsync();
        var actors = await db.AuditEvents.Where(e => e.RunId == id).Select(e => new { e.Actor, e.Action }).ToListAsync();
        Assert.Contains(actors, e => e is { Actor: "rita", Action: "run.requested" });
        Assert.Contains(actors, e => e is { Actor: "alice", Action: "run.approved" });
    }

    [Fact]
    public async Task A_requester_cannot_approve_their_own_run_with_any_token_of_theirs()
    {
        await using var console = await ApiConsole.StartAsync();
        using var pipeline = console.Client(await console.TokenForAsync(ApiConsole.Demo("rita"), "pipeline"));
        var id = (await ApiConsole.JsonOf(await ApiConsole.RequestAliasSwapAsync(pipeline))).GetProperty("id").GetGuid();
        await ApiConsole.PollUntilAsync(pipeline, id, "AwaitingApproval");

        // Rita holds no Approver role, so the API refuses her before the service; Adam, an Admin, holds every role and is
        // refused by the service because he requested the run.
        Assert.Equal(HttpStatusCode.Forbidden, (await pipeline.PostAsJsonAsync($"api/v1/runs/{id}/approve", new { comment = "me" })).StatusCode);
        var cancelled = await pipeline.PostAsJsonAsync($"api/v1/runs/{id}/cancel", new { reason = "Asked for the wrong key" });
        Assert.Equal("Cancelled", (await ApiConsole.JsonOf(cancelled)).GetProperty("state").GetString());
        using var adamRequests = console.Client(await console.TokenForAsync(ApiConsole.Demo("adam"), "requests"));
        using var adamApproves = console.Client(await console.TokenForAsync(ApiConsole.Demo("adam"), "approves", roles: [Roles.Approver]));
        var adamRun = (await ApiConsole.JsonOf(await ApiConsole.RequestAliasSwapAsync(adamRequests, justification: "Admin's own"))).GetProperty("id");
        var refused = await adamApproves.PostAsJsonAsync($"api/v1/runs/{adamRun.GetGuid()}/approve", new { comment = "me again" });

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("someone else must approve", (await ApiConsole.JsonOf(refused)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        await using var db = await console.DatabaseAsync();
        Assert.Empty(await db.Approvals.ToListAsync());
    }

    [Fact]
    public async Task A_retried_request_with_the_same_idempotency_key_makes_one_run()
    {
        await using var console = await ApiConsole.StartAsync();
        using var pipeline = console.Client(await console.TokenForAsync(ApiConsole.Demo("rita")));

        var first = await ApiConsole.RequestAliasSwapAsync(pipeline, "deploy-42");
        var retry = await ApiConsole.RequestAliasSwapAsync(pipeline, "deploy-42");
        var other = await ApiConsole.RequestAliasSwapAsync(pipeline, "deploy-42", justification: "Something else");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal((await ApiConsole.JsonOf(first)).GetProperty("id").GetGuid(), (await ApiConsole.JsonOf(retry)).GetProperty("id").GetGuid());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, other.StatusCode);
        Assert.Equal("Idempotency-Key", (await ApiConsole.JsonOf(other)).GetProperty("field").GetString());
        await using var db = await console.DatabaseAsync();
        Assert.Single(await db.Runs.ToListAsync());
    }

    [Fact]
    public async Task Bad_input_gets_problem_details_and_changes_nothing()
    {
        await using var console = await ApiConsole.StartAsync();
        using var pipeline = console.Client(await console.TokenForAsync(ApiConsole.Demo("rita")));

        var malformed = await pipeline.PostAsync("api/v1/runs", new StringContent("{\"target\":", System.Text.Encoding.UTF8, "application/json"));
        var unknownWorkflow = await pipeline.PostAsync("api/v1/runs", JsonContent.Create(new { target = "local", keyId = "alias/FirstCMK", workflow = "Nope", justification = "x" }));
        var noJustification = await pipeline.PostAsync("api/v1/runs", JsonContent.Create(new { target = "local", keyId = "alias/FirstCMK", workflow = "AliasSwapNewKey", justification = " " }));
        var noKey = await pipeline.PostAsync("api/v1/runs", JsonContent.Create(new { target = "local", keyId = "", workflow = "AliasSwapNewKey", justification = "x" }));
        var unknownRun = await pipeline.GetAsync($"api/v1/runs/{Guid.NewGuid()}");
        var unknownKey = await pipeline.GetAsync("api/v1/keys/local/alias%2FNoSuchKey");
        var unknownRoute = await pipeline.GetAsync("api/v1/nothing-here");

        foreach (var (response, status) in new[]
                 {
                     (malformed, HttpStatusCode.BadRequest), (unknownWorkflow, HttpStatusCode.BadRequest), (noKey, HttpStatusCode.UnprocessableEntity),
                     (unknownRun, HttpStatusCode.NotFound), (unknownKey, HttpStatusCode.NotFound), (unknownRoute, HttpStatusCode.NotFound),
                 })
        {
            Assert.True(response.StatusCode == status, $"{response.RequestMessage!.RequestUri}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        Assert.InRange((int)noJustification.StatusCode, 400, 499);
        Assert.Equal("application/problem+json", noJustification.Content.Headers.ContentType?.MediaType);
        Assert.Equal("keyId", (await ApiConsole.JsonOf(noKey)).GetProperty("field").GetString());
        await using var db = await console.DatabaseAsync();
        Assert.Empty(await db.Runs.ToListAsync());
    }

    [Fact]
    public async Task Keys_are_listed_with_the_key_pages_filters_and_read_live_with_the_runs_on_them()
    {
        await using var console = await ApiConsole.StartAsync();
        using var viewer = console.Client(await console.TokenForAsync(ApiConsole.Demo("audrey")));

        var external = await ApiConsole.JsonOf(await viewer.GetAsync("api/v1/keys?origin=EXTERNAL&sort=KeyId&pageSize=5"));
        Assert.All(external.GetProperty("items").EnumerateArray(), k => Assert.Equal("EXTERNAL", k.GetProperty("origin").GetString()));
        Assert.Contains(external.GetProperty("items").EnumerateArray(), k => k.GetProperty("aliases").GetString()!.Contains("alias/ImportedCMK", StringComparison.Ordinal));

        var detail = await ApiConsole.JsonOf(await viewer.GetAsync("api/v1/keys/local/alias/FirstCMK"));
        Assert.True(detail.TryGetProperty("key", out _), detail.ToString());
        Assert.Contains("alias/FirstCMK", detail.GetProperty("key").GetProperty("summary").GetProperty("aliases").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(0, detail.GetProperty("runs").GetArrayLength());
        var escaped = await viewer.GetAsync("api/v1/keys/local/alias%2FFirstCMK");
        Assert.Equal(HttpStatusCode.OK, escaped.StatusCode);
    }

    [Fact]
    public async Task Too_many_calls_a_minute_get_429_with_retry_after()
    {
        await using var console = await ApiConsole.StartAsync(new Dictionary<string, string?> { ["Api:RateLimit:PermitsPerMinute"] = "3" });
        var secret = await console.TokenForAsync(ApiConsole.Demo("rita"), "first");
        var second = await console.TokenForAsync(ApiConsole.Demo("rita"), "second");
        using var client = console.Client(secret);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("api/v1/runs")).StatusCode);
        }

        var limited = await client.GetAsync("api/v1/runs");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero, limited.Headers.ToString());
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        // The limit counts the person, not the token.
        using var other = console.Client(second);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await other.GetAsync("api/v1/runs")).StatusCode);
        using var alice = console.Client(await console.TokenForAsync(ApiConsole.Demo("alice")));
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync("api/v1/runs")).StatusCode);
    }
}

public sealed class ConflictTests
{
    [Fact]
    public async Task Deciding_a_run_that_is_no_longer_waiting_is_a_409_conflict_and_changes_nothing()
    {
        await using var console = await ApiConsole.StartAsync();
        using var pipeline = console.Client(await console.TokenForAsync(ApiConsole.Demo("rita")));
        using var alice = console.Client(await console.TokenForAsync(ApiConsole.Demo("alice")));
        using var bob = console.Client(await console.TokenForAsync(ApiConsole.Demo("bob")));
        var id = (await ApiConsole.JsonOf(await ApiConsole.RequestAliasSwapAsync(pipeline))).GetProperty("id").GetGuid();
        await ApiConsole.PollUntilAsync(pipeline, id, "AwaitingApproval");
        (await pipeline.PostAsJsonAsync($"api/v1/runs/{id}/cancel", new { reason = "Asked for the wrong key" })).EnsureSuccessStatusCode();

        var approve = await alice.PostAsJsonAsync($"api/v1/runs/{id}/approve", new { comment = "late" });
        var reject = await bob.PostAsJsonAsync($"api/v1/runs/{id}/reject", new { comment = "late too" });
        var cancelAgain = await pipeline.PostAsJsonAsync($"api/v1/runs/{id}/cancel", new { reason = "twice" });

        foreach (var response in new[] { approve, reject, cancelAgain })
        {
            Assert.True(response.StatusCode == HttpStatusCode.Conflict, $"{response.RequestMessage!.RequestUri}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(409, (await ApiConsole.JsonOf(response)).GetProperty("status").GetInt32());
        }

        await using var db = await console.DatabaseAsync();
        Assert.Empty(await db.Approvals.ToListAsync());
        Assert.Equal(RunState.Cancelled, (await db.Runs.SingleAsync()).State);
    }

    [Fact]
    public async Task A_refused_token_is_never_echoed_in_the_answer_or_the_log()
    {
        await using var console = await ApiConsole.StartAsync(new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Debug" });
        var made = await console.Get<PersonalAccessTokens>().CreateAsync(ApiConsole.Demo("rita"), "ci", 30, null);
        await console.Get<PersonalAccessTokens>().RevokeAsync(ApiConsole.Demo("rita"), made.Token.Id);
        var guessed = made.Secret[..^4] + "AAAA";

        foreach (var secret in new[] { made.Secret, guessed })
        {
            using var client = console.Client(secret);
            var response = await client.GetAsync("api/v1/runs");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            var body = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain(secret[TokenSecretPrefixLength..], body, StringComparison.Ordinal);
            Assert.DoesNotContain(secret[TokenSecretPrefixLength..], response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain(secret[TokenSecretPrefixLength..], console.Logs.Text, StringComparison.Ordinal);
        }
    }

    private static int TokenSecretPrefixLength => KmsConsole.Rotation.Automation.TokenSecret.Prefix.Length;
}
