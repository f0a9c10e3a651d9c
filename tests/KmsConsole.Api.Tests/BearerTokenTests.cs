using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using KmsConsole.Web.Api;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;

namespace KmsConsole.Api.Tests;

/// <summary>
/// Bearer tokens of the identity provider (a service principal's), validated against the provider's keys fetched from
/// its JWKS on loopback, with the audience of Api:Audience and roles from the sign-in's claim and mapping.
/// </summary>
public sealed class BearerTokenTests
{
    private const string Audience = "api://kmsconsole";

    private static Dictionary<string, string?> SignInThrough(TokenIssuer issuer) => new()
    {
        ["OpenIdConnect:Authority"] = issuer.Issuer.ToString(),
        ["OpenIdConnect:ClientId"] = "kmsconsole",
        ["OpenIdConnect:RoleClaim"] = "groups",
        ["OpenIdConnect:RoleMapping:release-pipelines"] = "Requester",
        ["OpenIdConnect:RoleMapping:key-custodians"] = "Approver",
        [ApiBearerTokens.AudienceSetting] = Audience,
    };

    [Fact]
    public async Task A_service_principal_requests_with_the_providers_token_and_another_approves_with_roles_from_the_claim_mapping()
    {
        await using var issuer = await TokenIssuer.StartAsync();
        await using var console = await ApiConsole.StartAsync(SignInThrough(issuer));
        using var pipeline = console.Client(issuer.TokenFor("pipeline-sp", Audience, ["release-pipelines"], "groups"));
        using var custodian = console.Client(issuer.TokenFor("custodian-sp", Audience, ["key-custodians"], "groups"));

        var created = await ApiConsole.RequestAliasSwapAsync(pipeline);
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var run = await ApiConsole.JsonOf(created);
        var id = run.GetProperty("id").GetGuid();
        Assert.Equal($"pipeline-sp@{issuer.Issuer}", run.GetProperty("requestedBy").GetString());
        await ApiConsole.PollUntilAsync(pipeline, id, "AwaitingApproval");

        // The requester's mapping holds no Approver role; the custodian's does.
        Assert.Equal(HttpStatusCode.Forbidden, (await pipeline.PostAsJsonAsync($"api/v1/runs/{id}/approve", new { comment = "mine" })).StatusCode);
        var approved = await custodian.PostAsJsonAsync($"api/v1/runs/{id}/approve", new { comment = "checked" });
        Assert.True(approved.StatusCode == HttpStatusCode.OK, await approved.Content.ReadAsStringAsync());
        await ApiConsole.PollUntilAsync(pipeline, id, "Succeeded");

        await using var db = await console.DatabaseAsync();
        var actors = await db.AuditEvents.Where(e => e.RunId == id).Select(e => new { e.Actor, e.Action }).ToListAsync();
        Assert.Contains(actors, e => e.Actor == $"pipeline-sp@{issuer.Issuer}" && e.Action == "run.requested");
        Assert.Contains(actors, e => e.Actor == $"custodian-sp@{issuer.Issuer}" && e.Action == "run.approved");
        Assert.True(issuer.JwksRequests > 0);
    }

    [Fact]
    public async Task A_token_of_another_audience_signer_or_past_its_expiry_or_without_a_subject_is_refused_with_401_and_one_without_a_mapped_role_with_403()
    {
        await using var issuer = await TokenIssuer.StartAsync();
        await using var console = await ApiConsole.StartAsync(SignInThrough(issuer));
        using var otherKey = RSA.Create(2048);

        var refused = new Dictionary<string, string>
        {
            ["audience"] = issuer.TokenFor("sp", "api://someone-else", ["release-pipelines"], "groups"),
            ["signer"] = issuer.TokenFor("sp", Audience, ["release-pipelines"], "groups", signedWith: new RsaSecurityKey(otherKey) { KeyId = "test-signing-key" }),
            ["expired"] = issuer.TokenFor("sp", Audience, ["release-pipelines"], "groups", lifetime: TimeSpan.FromMinutes(-10)),
            ["no subject"] = issuer.TokenFor("sp", Audience, ["release-pipelines"], "groups", withSubject: false),
            ["not a token"] = "eyJhbGciOiJSUzI1NiJ9.garbage.garbage",
        };
        foreach (var (why, token) in refused)
        {
            using var client = console.Client(token);
            var response = await client.GetAsync("api/v1/runs");
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{why}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.DoesNotContain(token, console.Logs.Text, StringComparison.Ordinal);
        }

        using var stranger = console.Client(issuer.TokenFor("payroll-sp", Audience, ["payroll-readers"], "groups"));
        var forbidden = await stranger.GetAsync("api/v1/runs");
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal("application/problem+json", forbidden.Content.Headers.ContentType?.MediaType);
        await using var db = await console.DatabaseAsync();
        Assert.Empty(await db.Runs.ToListAsync());
    }
}
