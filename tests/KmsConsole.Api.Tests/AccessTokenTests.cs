using System.Net;
using KmsConsole.Rotation;
using KmsConsole.Rotation.Automation;
using Microsoft.EntityFrameworkCore;

namespace KmsConsole.Api.Tests;

public sealed class AccessTokenTests
{
    [Fact]
    public async Task A_token_is_stored_only_as_its_hash_and_never_lands_in_the_audit_trail_or_the_logs()
    {
        await using var console = await ApiConsole.StartAsync(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Debug",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Debug",
            ["Logging:LogLevel:Microsoft.EntityFrameworkCore"] = "Debug",
        });
        var made = await console.Get<PersonalAccessTokens>().CreateAsync(ApiConsole.Demo("rita"), "release pipeline", 30, null);
        Assert.StartsWith(TokenSecret.Prefix, made.Secret, StringComparison.Ordinal);

        using var client = console.Client(made.Secret);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("api/v1/keys")).StatusCode);
        await console.Get<PersonalAccessTokens>().RevokeAsync(ApiConsole.Demo("rita"), made.Token.Id);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("api/v1/keys")).StatusCode);

        await using var db = await console.DatabaseAsync();
        var row = await db.AccessTokens.SingleAsync();
        Assert.Equal(TokenSecret.Hash(made.Secret), row.SecretHash);
        var audit = await db.AuditEvents.Where(e => e.Action.StartsWith("token.")).OrderBy(e => e.Sequence).ToListAsync();
        Assert.Equal(["token.created", "token.used-from-new-address", "token.revoked"], audit.Select(e => e.Action));
        Assert.All(audit, e => Assert.DoesNotContain(made.Secret[TokenSecret.Prefix.Length..], e.Details + e.Subject, StringComparison.Ordinal));
        Assert.DoesNotContain(made.Secret[TokenSecret.Prefix.Length..], console.Logs.Text, StringComparison.Ordinal);
        var file = await File.ReadAllBytesAsync(console.DatabasePath);
        Assert.DoesNotContain(made.Secret[TokenSecret.Prefix.Length..], System.Text.Encoding.UTF8.GetString(file), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_token_the_api_answers_401_problem_details_not_a_sign_in_redirect()
    {
        await using var console = await ApiConsole.StartAsync();
        using var client = console.Client();
        client.DefaultRequestHeaders.Accept.ParseAdd("text/html");

        var response = await client.GetAsync("api/v1/runs");

        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, console.Logs.Text);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(401, (await ApiConsole.JsonOf(response)).GetProperty("status").GetInt32());
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoked_expired_and_unknown_tokens_are_refused_with_401_naming_why()
    {
        await using var console = await ApiConsole.StartAsync();
        var tokens = console.Get<PersonalAccessTokens>();
        var revoked = await tokens.CreateAsync(ApiConsole.Demo("alice"), "revoked", 30, null);
        await tokens.RevokeAsync(ApiConsole.Demo("adam"), revoked.Token.Id);
        var expired = await tokens.CreateAsync(ApiConsole.Demo("alice"), "expired", 1, null);
        await using (var db = await console.DatabaseAsync())
        {
            await db.AccessTokens.Where(t => t.Id == expired.Token.Id).ExecuteUpdateAsync(s => s.SetProperty(t => t.ExpiresAt, DateTimeOffset.UtcNow.AddMinutes(-1)));
        }

        foreach (var (secret, why) in new[] { (revoked.Secret, "revoked"), (expired.Secret, "expired"), (TokenSecret.New(), "not known") })
        {
            using var client = console.Client(secret);
            var response = await client.GetAsync("api/v1/approvals");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Contains(why, (await ApiConsole.JsonOf(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_token_stops_working_for_what_its_owner_lost_the_role_for()
    {
        // External sign-in: the owner's roles are those of their latest sign-in, recorded by the console. The provider is
        // never reached here: a personal access token does not need it.
        await using var console = await ApiConsole.StartAsync(new Dictionary<string, string?>
        {
            ["OpenIdConnect:Authority"] = $"http://127.0.0.1:{KmsConsole.Testing.LoopbackPorts.Free()[0]}/",
            ["OpenIdConnect:ClientId"] = "kmsconsole",
        });
        var users = console.Get<ConsoleUsers>();
        var auditor = new Actor("u-42@https://idp.example/", "Ann Auditor", new HashSet<string> { Roles.Viewer, Roles.Auditor });
        await users.RecordAsync(auditor, "ann@example.test");
        using var client = console.Client(await console.TokenForAsync(auditor));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("api/v1/audit")).StatusCode);

        await users.RecordAsync(auditor with { Roles = new HashSet<string> { Roles.Viewer } }, "ann@example.test");
        var forbidden = await client.GetAsync("api/v1/audit");
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal("application/problem+json", forbidden.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("api/v1/keys")).StatusCode);

        await users.RecordAsync(auditor with { Roles = new HashSet<string>() }, "ann@example.test");
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("api/v1/keys")).StatusCode);
    }

    [Fact]
    public async Task A_token_narrowed_to_some_roles_acts_with_those_only()
    {
        await using var console = await ApiConsole.StartAsync();
        using var auditorOnly = console.Client(await console.TokenForAsync(ApiConsole.Demo("adam"), roles: [Roles.Auditor]));

        Assert.Equal(HttpStatusCode.OK, (await auditorOnly.GetAsync("api/v1/audit")).StatusCode);
        var refused = await ApiConsole.RequestAliasSwapAsync(auditorOnly);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        await using var db = await console.DatabaseAsync();
        Assert.Empty(await db.Runs.ToListAsync());
    }

    [Fact]
    public async Task A_token_cannot_be_made_for_longer_than_a_year_nor_with_roles_its_owner_lacks()
    {
        await using var console = await ApiConsole.StartAsync();
        var tokens = console.Get<PersonalAccessTokens>();

        var tooLong = await Assert.ThrowsAsync<RotationRefusedException>(() => tokens.CreateAsync(ApiConsole.Demo("rita"), "ci", 366, null));
        Assert.Equal(("expiresInDays", RefusalKind.Invalid), (tooLong.Field, tooLong.Kind));
        var notHeld = await Assert.ThrowsAsync<RotationRefusedException>(() => tokens.CreateAsync(ApiConsole.Demo("rita"), "ci", 30, [Roles.Approver]));
        Assert.Equal("roles", notHeld.Field);
        Assert.Empty(await tokens.ListAllAsync());
    }

    [Fact]
    public async Task Only_an_admin_lists_and_revokes_other_peoples_tokens()
    {
        await using var console = await ApiConsole.StartAsync();
        var tokens = console.Get<PersonalAccessTokens>();
        var rita = await tokens.CreateAsync(ApiConsole.Demo("rita"), "ci", 30, null);
        await tokens.CreateAsync(ApiConsole.Demo("alice"), "laptop", 30, null);

        Assert.Single(await tokens.ListOwnAsync(ApiConsole.Demo("rita")));
        await Assert.ThrowsAsync<RotationAuthorizationException>(() => tokens.ListAllAsync(ApiConsole.Demo("alice")));
        await Assert.ThrowsAsync<RotationAuthorizationException>(() => tokens.RevokeAsync(ApiConsole.Demo("alice"), rita.Token.Id));
        Assert.Equal(2, (await tokens.ListAllAsync(ApiConsole.Demo("adam"))).Count);
        Assert.Equal("adam", (await tokens.RevokeAsync(ApiConsole.Demo("adam"), rita.Token.Id)).RevokedBy);
    }

    [Fact]
    public async Task The_tokens_command_prints_a_working_token_for_a_demo_user_lists_and_revokes_it()
    {
        await using var console = await ApiConsole.StartAsync();
        string[] config = [$"--Rotation:Database:ConnectionString=Data Source={console.DatabasePath}", "--Console:HostLocalKms=Never",
            "--Rotation:Targets:0:Name=local", "--Rotation:Targets:0:ServiceUrl=http://127.0.0.1:1", "--Rotation:Orchestrator:Enabled=false"];
        var output = new StringWriter();

        Assert.Equal(0, await KmsConsole.Web.Tokens.TokensCommand.RunAsync(["tokens", "create", "--user", "alice", "--name", "bootstrap", "--expires", "7", .. config], output));
        var secret = output.ToString().Trim();
        using (var client = console.Client(secret))
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("api/v1/approvals")).StatusCode);
        }

        var list = new StringWriter();
        Assert.Equal(0, await KmsConsole.Web.Tokens.TokensCommand.RunAsync(["tokens", "list", .. config], list));
        Assert.Contains("'bootstrap'", list.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(secret, list.ToString(), StringComparison.Ordinal);
        var id = list.ToString().Split(' ')[0];
        Assert.Equal(0, await KmsConsole.Web.Tokens.TokensCommand.RunAsync(["tokens", "revoke", id, .. config], new StringWriter()));
        using (var client = console.Client(secret))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("api/v1/approvals")).StatusCode);
        }

        Assert.Equal(1, await KmsConsole.Web.Tokens.TokensCommand.RunAsync(["tokens", "create", "--user", "mallory", "--name", "x", "--expires", "7", .. config], new StringWriter()));
    }
}
