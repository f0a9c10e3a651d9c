using System.Net;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using KmsConsole.LocalKms.Tests.Support;

namespace KmsConsole.LocalKms.Tests.Protocol;

/// <summary>SigV4 as AWS checks it: every refusal is a 400 with AWS's error type and creates nothing.</summary>
public class SignatureTests
{
    private const string CreateKey = "TrentService.CreateKey";

    [Fact]
    public async Task A_request_without_an_Authorization_header_is_MissingAuthenticationTokenException()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();

        var (status, body, _) = await Raw.PostAsync(endpoint.Server.Endpoint, CreateKey, "{}", RawSigning.Unsigned);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("MissingAuthenticationTokenException", body.GetProperty("__type").GetString());
        Assert.Empty((await endpoint.Kms.ListKeysAsync(new ListKeysRequest())).Keys ?? []);
    }

    [Fact]
    public async Task A_wrong_secret_is_InvalidSignatureException_with_the_canonical_request_the_endpoint_expected()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        using var wrong = new AmazonKeyManagementServiceClient(new BasicAWSCredentials("AKIDLOCAL", "not-the-secret"), new AmazonKeyManagementServiceConfig
        {
            ServiceURL = endpoint.Server.Endpoint.ToString(),
            AuthenticationRegion = "us-east-1",
            MaxErrorRetry = 0,
        });

        var error = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => wrong.CreateKeyAsync(new CreateKeyRequest { Description = "never made" }));

        Assert.Equal("InvalidSignatureException", error.ErrorCode);
        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.StartsWith("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.", error.Message, StringComparison.Ordinal);
        Assert.Contains("The Canonical String for this request should have been\n'POST\n/\n", error.Message, StringComparison.Ordinal);
        Assert.Contains("x-amz-target:TrentService.CreateKey\n", error.Message, StringComparison.Ordinal);
        Assert.Contains("The String-to-Sign should have been\n'AWS4-HMAC-SHA256\n", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-secret", error.Message, StringComparison.Ordinal);
        Assert.Empty((await endpoint.Kms.ListKeysAsync(new ListKeysRequest())).Keys ?? []);
    }

    [Fact]
    public async Task A_body_changed_after_signing_is_InvalidSignatureException_whatever_its_declared_payload_hash()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var signed = System.Text.Encoding.UTF8.GetBytes("""{"Description":"as signed"}""");
        var sent = System.Text.Encoding.UTF8.GetBytes("""{"Description":"changed on the way"}""");
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Server.Endpoint) { Content = new ByteArrayContent(sent) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-amz-json-1.1");
        request.Headers.TryAddWithoutValidation("X-Amz-Target", CreateKey);
        // The hash of the body that was signed, as a client declares it; the endpoint hashes the body it received.
        request.Headers.TryAddWithoutValidation("X-Amz-Content-Sha256", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(signed)));
        RawSigning.Local.Sign(request, endpoint.Server.Endpoint, CreateKey, signed);

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("InvalidSignatureException", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty((await endpoint.Kms.ListKeysAsync(new ListKeysRequest())).Keys ?? []);
    }

    [Fact]
    public async Task A_registered_access_key_must_sign_with_its_own_secret()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync(configure: o => o.Authentication.Credentials["AKIDAUDITOR"] = "auditor-secret");

        var own = await Raw.PostAsync(endpoint.Server.Endpoint, "TrentService.ListKeys", "{}", new RawSigning("AKIDAUDITOR", "auditor-secret"));
        var shared = await Raw.PostAsync(endpoint.Server.Endpoint, "TrentService.ListKeys", "{}", new RawSigning("AKIDAUDITOR", "local-endpoint"));
        var named = await Raw.PostAsync(endpoint.Server.Endpoint, "TrentService.ListKeys", "{}", new RawSigning("KMSWorkshop-InstanceInitRole", "local-endpoint"));

        Assert.Equal(HttpStatusCode.OK, own.Status);
        Assert.Equal("InvalidSignatureException", shared.Body.GetProperty("__type").GetString());
        Assert.Equal(HttpStatusCode.OK, named.Status);
    }

    [Fact]
    public async Task A_date_more_than_five_minutes_off_is_Signature_expired_and_four_minutes_is_accepted()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var now = DateTimeOffset.UtcNow;

        var late = await Raw.PostAsync(endpoint.Server.Endpoint, CreateKey, "{}", RawSigning.Local with { SignedAt = now.AddMinutes(-6) });
        var early = await Raw.PostAsync(endpoint.Server.Endpoint, CreateKey, "{}", RawSigning.Local with { SignedAt = now.AddMinutes(6) });
        var slightlyOff = await Raw.PostAsync(endpoint.Server.Endpoint, "TrentService.ListKeys", "{}", RawSigning.Local with { SignedAt = now.AddMinutes(-4) });

        Assert.Equal(HttpStatusCode.BadRequest, late.Status);
        Assert.Equal("InvalidSignatureException", late.Body.GetProperty("__type").GetString());
        Assert.Matches(@"^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$", late.Body.GetProperty("message").GetString());
        Assert.Equal("InvalidSignatureException", early.Body.GetProperty("__type").GetString());
        Assert.StartsWith("Signature not yet current:", early.Body.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, slightlyOff.Status);
        Assert.Empty((await endpoint.Kms.ListKeysAsync(new ListKeysRequest())).Keys ?? []);
    }

    [Fact]
    public async Task A_body_changed_after_signing_does_not_verify()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var signedFor = "{\"Description\":\"signed\"}"u8.ToArray();
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Server.Endpoint) { Content = new StringContent("{\"Description\":\"tampered\"}") };
        request.Content.Headers.ContentType = new("application/x-amz-json-1.1");
        request.Headers.TryAddWithoutValidation("X-Amz-Target", CreateKey);
        RawSigning.Local.Sign(request, endpoint.Server.Endpoint, CreateKey, signedFor);

        var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("InvalidSignatureException", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty((await endpoint.Kms.ListKeysAsync(new ListKeysRequest())).Keys ?? []);
    }

    [Fact]
    public async Task With_AnyCredentials_unsigned_requests_and_any_secret_are_accepted()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync(configure: o => o.Authentication.AnyCredentials = true);

        var unsigned = await Raw.PostAsync(endpoint.Server.Endpoint, CreateKey, "{}", RawSigning.Unsigned);
        var anySecret = await Raw.PostAsync(endpoint.Server.Endpoint, CreateKey, "{}", new RawSigning("AKIDLOCAL", "whatever"));

        Assert.Equal(HttpStatusCode.OK, unsigned.Status);
        Assert.Equal(HttpStatusCode.OK, anySecret.Status);
    }
}
