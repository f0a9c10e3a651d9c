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
        catalog.Add("ListKeyPolicies", ListKeyPolicies);
    }

    /// <summary>Every key has exactly one policy, named "default".</summary>
    public static JsonObject ListKeyPolicies(KmsRequest request, OperationContext context)
    {
        KeyLifecycleOperations.Target(request, context, "ListKeyPolicies");
        return Paging.Page(request, [PolicyName], "PolicyNames", name => JsonValue.Create(name)!);
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
        var bypass = request.OptionalBool("BypassPolicyLockoutSafetyCheck");
        var key = KeyLifecycleOperations.Target(request, context, "PutKeyPolicy");
        RequireDefaultName(name);
        KeyPolicyDocument.Validate(policy, context.Ring.AccountId, bypass);
        key.Policy = policy;
        context.Ring.Save(key);
        return [];
    }

    private static void RequireDefaultName(string name)
    {
        if (name != PolicyName)
        {
            throw KmsErrors.NotFound($"No such policy exists: {name}; the only valid policy name is \"default\".");
        }
    }
}
