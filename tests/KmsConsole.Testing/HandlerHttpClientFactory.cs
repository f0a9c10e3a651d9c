using Amazon.Runtime;

namespace KmsConsole.Testing;

/// <summary>
/// Makes an AWS SDK client send its HTTP calls through a given handler (one that records, drops or cuts them), never
/// cached or disposed by the SDK: the caller owns the handler.
/// </summary>
public sealed class HandlerHttpClientFactory(HttpMessageHandler handler) : HttpClientFactory
{
    public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(handler, disposeHandler: false);

    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;
}
