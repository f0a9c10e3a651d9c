using System.Text.Json.Nodes;
using KmsConsole.LocalKms.Protocol;

namespace KmsConsole.LocalKms.Operations;

public delegate JsonObject KmsOperation(KmsRequest request, OperationContext context);

/// <summary>Every KMS operation the endpoint answers, by its wire name (the part after "TrentService.").</summary>
public sealed class OperationCatalog
{
    private readonly Dictionary<string, KmsOperation> _operations = new(StringComparer.Ordinal);

    public static OperationCatalog Create()
    {
        var catalog = new OperationCatalog();
        KeyLifecycleOperations.Register(catalog);
        AliasOperations.Register(catalog);
        EncryptionOperations.Register(catalog);
        RotationOperations.Register(catalog);
        ImportOperations.Register(catalog);
        TagOperations.Register(catalog);
        PolicyOperations.Register(catalog);
        SigningOperations.Register(catalog);
        MacOperations.Register(catalog);
        DataKeyPairOperations.Register(catalog);
        KeyAgreementOperations.Register(catalog);
        KeyEncapsulationOperations.Register(catalog);
        KeyUsageOperations.Register(catalog);
        GrantOperations.Register(catalog);
        MultiRegionOperations.Register(catalog);
        CustomKeyStoreOperations.Register(catalog);
        return catalog;
    }

    public IEnumerable<string> Names => _operations.Keys;

    public void Add(string name, KmsOperation operation) => _operations.Add(name, operation);

    public KmsOperation? Find(string name) => _operations.GetValueOrDefault(name);
}
