using System.Text.Json.Nodes;
using KmsConsole.LocalKms.Protocol;

namespace KmsConsole.LocalKms.Operations;

/// <summary>
/// Custom key stores, answered as AWS answers an account that has none: DescribeCustomKeyStores lists nothing, any
/// store id or name is not found, and creating one fails where AWS would fail without a real CloudHSM cluster or external
/// key store proxy. The messages are the model's descriptions of each error.
/// </summary>
public static class CustomKeyStoreOperations
{
    public const string NotFoundMessage = "The request was rejected because KMS cannot find a custom key store with the specified key store name or ID.";

    private static readonly string[] StoreTypes = ["AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"];
    private static readonly string[] Connectivity = ["PUBLIC_ENDPOINT", "VPC_ENDPOINT_SERVICE"];

    public static void Register(OperationCatalog catalog)
    {
        catalog.Add("DescribeCustomKeyStores", DescribeCustomKeyStores);
        catalog.Add("CreateCustomKeyStore", CreateCustomKeyStore);
        catalog.Add("ConnectCustomKeyStore", (request, _) => NotFound(request));
        catalog.Add("DisconnectCustomKeyStore", (request, _) => NotFound(request));
        catalog.Add("DeleteCustomKeyStore", (request, _) => NotFound(request));
        catalog.Add("UpdateCustomKeyStore", (request, _) => NotFound(request));
    }

    public static KmsException StoreNotFound() => KmsErrors.CustomKeyStoreNotFound(NotFoundMessage);

    public static JsonObject DescribeCustomKeyStores(KmsRequest request, OperationContext context)
    {
        var id = request.OptionalString("CustomKeyStoreId", 1, 64);
        var name = request.OptionalString("CustomKeyStoreName", 1, 256);
        if (id is not null || name is not null)
        {
            throw StoreNotFound();
        }

        return Paging.Page(request, Array.Empty<JsonObject>(), "CustomKeyStores", store => store);
    }

    public static JsonObject CreateCustomKeyStore(KmsRequest request, OperationContext context)
    {
        request.RequiredString("CustomKeyStoreName", 1, 256);
        var type = request.OptionalEnum("CustomKeyStoreType", StoreTypes) ?? "AWS_CLOUDHSM";
        request.OptionalEnum("XksProxyConnectivity", Connectivity);
        if (type == "AWS_CLOUDHSM")
        {
            request.RequiredString("CloudHsmClusterId", 19, 24);
            throw new KmsException("CloudHsmClusterNotFoundException",
                "The request was rejected because KMS cannot find the CloudHSM cluster with the specified cluster ID. Retry the request with a different cluster ID.");
        }

        request.RequiredString("XksProxyUriEndpoint", 10, 128);
        throw new KmsException("XksProxyUriUnreachableException",
            "KMS was unable to reach the specified XksProxyUriPath. The path must be reachable before you create the external key store or update its settings.");
    }

    private static JsonObject NotFound(KmsRequest request)
    {
        request.RequiredString("CustomKeyStoreId", 1, 64);
        throw StoreNotFound();
    }
}
