using Amazon.KeyManagementService;

namespace KmsConsole.LocalKms.Tests.Support;

/// <summary>The SDK has no type for ValidationException: it arrives as the service's base exception with that error code.</summary>
public static class Refusals
{
    public static async Task<AmazonKeyManagementServiceException> ValidationAsync(Func<Task> call)
    {
        var error = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(call);
        Assert.Equal("ValidationException", error.ErrorCode);
        return error;
    }
}
