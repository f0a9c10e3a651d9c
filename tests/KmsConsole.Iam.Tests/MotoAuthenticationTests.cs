using System.Net;
using System.Xml.Linq;
using KmsConsole.Iam.Tests.Endpoints;
using KmsConsole.Rotation.Iam;

namespace KmsConsole.Iam.Tests;

/// <summary>
/// moto_server with its IAM authentication switched on (POST /moto-api/reset-auth) checks each request's SigV4
/// signature against the user's secret and the user's IAM policies, as AWS does: the client's signing is
/// accepted, a wrong secret is refused, and preflight run with credentials that may not read the role's
/// policies reports "not checked" instead of failing. Runs in the endpoints collection, so no other test uses
/// moto while authentication is on.
/// </summary>
[Collection(IamEndpointsCollection.Name)]
public sealed class MotoAuthenticationTests(IamEndpointsFixture endpoints)
{
    [SkippableFact]
    public async Task Signed_requests_pass_motos_signature_check_and_denied_reads_leave_preflight_not_checked()
    {
        var moto = endpoints.Get(IamTarget.Moto);
        var user = IamTarget.Unique("checker");
        var role = IamTarget.Unique("checked-runner");
        await moto.RawAsync("CreateUser", ("UserName", user));
        var key = (await moto.RawAsync("CreateAccessKey", ("UserName", user))).Descendants().First(e => e.Name.LocalName == "AccessKey");
        var accessKeyId = key.Elements().First(e => e.Name.LocalName == "AccessKeyId").Value;
        var secret = key.Elements().First(e => e.Name.LocalName == "SecretAccessKey").Value;
        await moto.RawAsync("PutUserPolicy", ("UserName", user), ("PolicyName", "ReadRolesOnly"),
            ("PolicyDocument", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*"}]}"""));
        var roleArn = await moto.CreateRoleAsync(role);

        using var checker = new IamQueryClient(new Amazon.Runtime.BasicAWSCredentials(accessKeyId, secret), new IamClientOptions { ServiceUrl = moto.Endpoint });
        using var forger = new IamQueryClient(new Amazon.Runtime.BasicAWSCredentials(accessKeyId, secret + "x"), new IamClientOptions { ServiceUrl = moto.Endpoint });
        await SetMotoAuthenticationAsync(moto.Endpoint, "0");
        try
        {
            var fetched = await checker.GetRoleAsync(role);
            var forged = await Assert.ThrowsAsync<IamServiceException>(() => forger.GetRoleAsync(role));
            var denied = await Assert.ThrowsAsync<IamAccessDeniedException>(() => checker.ListAttachedRolePoliciesAsync(role));
            var report = await new PermissionPreflight(checker).CheckAsync(roleArn, [new KmsPermission("kms:UpdateAlias", "*", "move the alias")]);

            Assert.Equal(roleArn, fetched.Arn);
            Assert.Equal(("SignatureDoesNotMatch", HttpStatusCode.Forbidden), (forged.ErrorCode, forged.StatusCode));
            Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
            Assert.Equal(PermissionSource.NotChecked, report.Source);
            Assert.Empty(report.Checks);
            Assert.Contains("iam:SimulatePrincipalPolicy", report.SimulationUnavailableReason, StringComparison.Ordinal);
        }
        finally
        {
            await SetMotoAuthenticationAsync(moto.Endpoint, "inf");
        }
    }

    // moto's own switch: authenticate every request after this many unauthenticated ones ("inf" = never).
    private static async Task SetMotoAuthenticationAsync(Uri endpoint, string initialUnauthenticatedActions)
    {
        using var http = new HttpClient();
        using var response = await http.PostAsync(new Uri(endpoint, "/moto-api/reset-auth"), new StringContent(initialUnauthenticatedActions));
        response.EnsureSuccessStatusCode();
    }
}
