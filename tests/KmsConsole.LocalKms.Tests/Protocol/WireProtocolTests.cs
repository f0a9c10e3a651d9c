using System.Net;
using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Tests.Support;

namespace KmsConsole.LocalKms.Tests.Protocol;

/// <summary>Requests the SDK would never send, answered with the typed errors AWS gives, leaving the endpoint serving and unchanged.</summary>
public class WireProtocolTests
{
    [Fact]
    public async Task A_request_answers_with_the_AWS_JSON_content_type_and_a_request_id()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();

        var (status, body, response) = await Raw.PostAsync(endpoint.Server.Endpoint, "TrentService.CreateKey", """{"Description":"raw"}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("application/x-amz-json-1.1", response.Content.Headers.ContentType!.MediaType);
        Assert.True(response.Headers.Contains("x-amzn-RequestId"));
        Assert.Equal("raw", body.GetProperty("KeyMetadata").GetProperty("Description").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Number, body.GetProperty("KeyMetadata").GetProperty("CreationDate").ValueKind);
    }

    [Theory]
    [InlineData("TrentService.CreateKey", "{\"Description\": ", HttpStatusCode.BadRequest, "SerializationException")]
    [InlineData("TrentService.CreateKey", "[1,2]", HttpStatusCode.BadRequest, "SerializationException")]
    [InlineData("TrentService.CreateKey", "{\"Description\": 42}", HttpStatusCode.BadRequest, "SerializationException")]
    [InlineData("TrentService.MakeCoffee", "{}", HttpStatusCode.BadRequest, "UnknownOperationException")]
    [InlineData(null, "{}", HttpStatusCode.BadRequest, "UnknownOperationException")]
    [InlineData("TrentService.DescribeKey", "{}", HttpStatusCode.BadRequest, "ValidationException")]
    [InlineData("TrentService.CreateAlias", "{\"AliasName\":\"alias/x\"}", HttpStatusCode.BadRequest, "ValidationException")]
    [InlineData("TrentService.Encrypt", "{\"KeyId\":\"k\",\"Plaintext\":\"%%%\"}", HttpStatusCode.BadRequest, "SerializationException")]
    public async Task Bad_requests_get_the_typed_error_and_change_nothing(string? target, string body, HttpStatusCode expectedStatus, string expectedType)
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();

        var (status, error, response) = await Raw.PostAsync(endpoint.Server.Endpoint, target, body);

        Assert.Equal(expectedStatus, status);
        Assert.Equal(expectedType, error.GetProperty("__type").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.Equal("application/x-amz-json-1.1", response.Content.Headers.ContentType!.MediaType);
        Assert.Empty((await endpoint.Kms.ListKeysAsync(new ListKeysRequest())).Keys ?? []);
    }

    [Fact]
    public async Task An_oversized_body_is_refused_with_413_and_the_endpoint_keeps_serving()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync(configure: o => o.MaxRequestBodyBytes = 64 * 1024);
        var huge = "{\"Description\":\"" + new string('x', 200 * 1024) + "\"}";

        var (status, error, _) = await Raw.PostAsync(endpoint.Server.Endpoint, "TrentService.CreateKey", huge);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal("RequestEntityTooLargeException", error.GetProperty("__type").GetString());
        Assert.Empty((await endpoint.Kms.ListKeysAsync(new ListKeysRequest())).Keys ?? []);
        await endpoint.Kms.CreateKeyAsync();
    }

    [Fact]
    public async Task A_too_long_member_is_a_ValidationException_through_the_SDK()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();

        var error = await Assert.ThrowsAnyAsync<Amazon.KeyManagementService.AmazonKeyManagementServiceException>(() =>
            endpoint.Kms.EncryptAsync(new EncryptRequest { KeyId = key.KeyId, Plaintext = new MemoryStream(new byte[4097]) }));

        Assert.Equal("ValidationException", error.ErrorCode);
        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
    }
}

public class OversizedRequestThroughSdkTests
{
    [Fact]
    public async Task The_SDK_reads_the_oversized_request_error_as_a_typed_413()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync(configure: o => o.MaxRequestBodyBytes = 8 * 1024);
        var key = await endpoint.Kms.CreateKeyAsync();
        var bigContext = Enumerable.Range(0, 200).ToDictionary(i => $"k{i}", i => new string('v', 100));

        var error = await Assert.ThrowsAnyAsync<Amazon.KeyManagementService.AmazonKeyManagementServiceException>(() =>
            endpoint.Kms.EncryptTextAsync(key.KeyId, "x", bigContext));

        Assert.Equal("RequestEntityTooLargeException", error.ErrorCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, error.StatusCode);
        Assert.Equal("still serving", await endpoint.Kms.DecryptTextAsync(await endpoint.Kms.EncryptTextAsync(key.KeyId, "still serving")));
    }
}
