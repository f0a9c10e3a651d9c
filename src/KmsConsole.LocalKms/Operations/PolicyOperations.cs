using System.Text.Json;
using System.Text.Json.Nodes;
using KmsConsole.LocalKms.Protocol;

namespace KmsConsole.LocalKms.Operations;

/// <summary>The key policy ("default" is the only policy name KMS has).</summary>
public static class PolicyOperations
{
    public const string PolicyName = "default";

    public static void Register(OperationCatalog catalog)
    {
        catalog.Add("GetKeyPolicy", GetKeyPolicy);
        catalog.Add("PutKeyPolicy", PutKeyPolicy);
    }

    /// <summary>The default key policy KMS gives a key created without one: the account root may do everything.</summary>
    public static string DefaultPolicy(string accountId) =>
        $$"""
        {
          "Version" : "2012-10-17",
          "Id" : "key-default-1",
          "Statement" : [ {
            "Sid" : "Enable IAM User Permissions",
            "Effect" : "Allow",
            "Principal" : {
              "AWS" : "arn:aws:iam::{{accountId}}:root"
            },
            "Action" : "kms:*",
            "Resource" : "*"
          } ]
        }
        """;

    public static JsonObject GetKeyPolicy(KmsRequest request, OperationContext context)
    {
        var name = request.OptionalString("PolicyName", 1, 128) ?? PolicyName;
        var key = KeyLifecycleOperations.Target(request, context, "GetKeyPolicy");
        RequireDefaultName(name);
        return new JsonObject { ["Policy"] = key.Policy, ["PolicyName"] = PolicyName };
    }

    public static JsonObject PutKeyPolicy(KmsRequest request, OperationContext context)
    {
        var name = request.OptionalString("PolicyName", 1, 128) ?? PolicyName;
        var policy = request.RequiredString("Policy", 1, 131072);
        var key = KeyLifecycleOperations.Target(request, context, "PutKeyPolicy");
        RequireDefaultName(name);
        ValidatePolicy(policy);
        key.Policy = policy;
        context.Ring.Save(key);
        return [];
    }

    public static void ValidatePolicy(string policy)
    {
        if (!IsJsonObject(policy))
        {
            throw KmsErrors.MalformedPolicy("The key policy is not a valid JSON policy document.");
        }
    }

    private static void RequireDefaultName(string name)
    {
        if (name != PolicyName)
        {
            throw KmsErrors.NotFound($"No such policy exists: {name}; the only valid policy name is \"default\".");
        }
    }

    private static bool IsJsonObject(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
