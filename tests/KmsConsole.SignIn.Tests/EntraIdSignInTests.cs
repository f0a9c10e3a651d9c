using System.Net;
using System.Security.Claims;
using KmsConsole.Rotation;
using KmsConsole.Web.SignIn;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KmsConsole.SignIn.Tests;

public sealed class EntraIdSignInTests
{
    private const string TenantId = "7d3c6a1e-2b4f-4c55-9a0e-3f1d2c4b5a69";
    private const string ClientId = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";

    [Fact]
    public async Task An_anonymous_page_request_is_sent_to_the_tenants_authorize_endpoint_with_the_code_flow_and_PKCE()
    {
        await using var metadata = await EntraMetadata.StartAsync(TenantId);
        var logs = new CapturedLogs();
        await using var console = await ConsoleServer.StartAsync(new Dictionary<string, string?>
        {
            ["AzureAd:Instance"] = metadata.Instance.ToString(),
            ["AzureAd:TenantId"] = TenantId,
            ["AzureAd:ClientId"] = ClientId,
            ["AzureAd:ClientSecret"] = "not-a-real-secret",
            ["AzureAd:Scopes"] = "email",
        }, logs);

        using var browser = new TestBrowser();
        using var response = await browser.GetAsync(new Uri(console.Address, "audit"));

        Assert.True(HttpStatusCode.Redirect == response.StatusCode, string.Join("\n", logs.Lines));
        var location = response.Headers.Location!;
        Assert.Equal(new Uri(metadata.Instance, $"{TenantId}/oauth2/v2.0/authorize").ToString(), location.GetLeftPart(UriPartial.Path));
        var query = QueryHelpers.ParseQuery(location.Query);
        Assert.Equal(ClientId, query["client_id"]);
        Assert.Equal(new Uri(console.Address, "signin-oidc").ToString(), query["redirect_uri"]);
        Assert.Equal(["openid", "profile", "email"], query["scope"].ToString().Split(' '));
        Assert.Equal("code", query["response_type"]);
        Assert.Equal("S256", query["code_challenge_method"]);
        Assert.Equal(43, query["code_challenge"].ToString().Length);
        Assert.DoesNotContain("not-a-real-secret", location.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void App_roles_map_to_console_roles_and_the_user_is_known_by_object_id_and_tenant()
    {
        var token = new ClaimsPrincipal(new ClaimsIdentity(
        [
            new Claim("oid", "5e1f2a3b-0000-4000-8000-00000000abcd"),
            new Claim("tid", TenantId),
            new Claim("sub", "pairwise-subject-for-this-app"),
            new Claim("name", "Ann Approver"),
            new Claim("preferred_username", "ann@contoso.example"),
            new Claim("roles", "KmsConsole.Approver"),
            new Claim("roles", "Payroll.Reader"),
        ], "AuthenticationTypes.Federation"));

        var actor = ConsoleActor.From(ExternalIdentity.ForEntraId(token, ConsoleRoleMapping.Default));

        Assert.Equal($"5e1f2a3b-0000-4000-8000-00000000abcd@{TenantId}", actor.UserId);
        Assert.Equal("Ann Approver", actor.DisplayName);
        Assert.Equal(new HashSet<string> { Roles.Viewer, Roles.Approver }, actor.Roles.ToHashSet());
    }

    [Fact]
    public void A_configured_role_mapping_replaces_the_default_names()
    {
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureAd:RoleMapping:kms-approvers"] = "Approver",
            ["AzureAd:RoleMapping:kms-admins"] = "admin",
        }).Build().GetSection("AzureAd");

        var mapping = ConsoleRoleMapping.From(section);

        Assert.Equal([Roles.Viewer, Roles.Approver, Roles.Admin], mapping.RolesFor(["kms-approvers", "KMS-ADMINS"]));
        Assert.Empty(mapping.RolesFor(["Approver", "KmsConsole.Approver"]));
        Assert.Equal([Roles.Viewer, Roles.Requester], ConsoleRoleMapping.Default.RolesFor(["Requester"]));
    }

    /// <summary>The one thing of Entra ID a challenge needs: the tenant's OpenID Connect metadata, served on loopback.</summary>
    private sealed class EntraMetadata : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private EntraMetadata(WebApplication app, Uri instance)
        {
            _app = app;
            Instance = instance;
        }

        public Uri Instance { get; }

        public static async Task<EntraMetadata> StartAsync(string tenantId)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            app.MapGet($"/{tenantId}/v2.0/.well-known/openid-configuration", (HttpContext context) =>
            {
                var tenant = $"{context.Request.Scheme}://{context.Request.Host}/{tenantId}";
                return Results.Json(new Dictionary<string, object>
                {
                    ["issuer"] = $"{tenant}/v2.0",
                    ["authorization_endpoint"] = $"{tenant}/oauth2/v2.0/authorize",
                    ["token_endpoint"] = $"{tenant}/oauth2/v2.0/token",
                    ["end_session_endpoint"] = $"{tenant}/oauth2/v2.0/logout",
                    ["jwks_uri"] = $"{tenant}/discovery/v2.0/keys",
                    ["response_types_supported"] = new[] { "code", "id_token", "code id_token" },
                    ["subject_types_supported"] = new[] { "pairwise" },
                    ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
                    ["scopes_supported"] = new[] { "openid", "profile", "email", "offline_access" },
                });
            });
            app.MapGet($"/{tenantId}/discovery/v2.0/keys", () => Results.Json(new { keys = Array.Empty<object>() }));
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
            return new EntraMetadata(app, new Uri(address + "/"));
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
