using System.Text;
using System.Text.Json;

namespace KmsConsole.Rotation.Iam;

/// <summary>How wide a generated policy reaches.</summary>
public enum PolicyScope
{
    /// <summary>Any key and any alias of the account and region (the workshop's "Any in this account").</summary>
    Account,

    /// <summary>Only the run's key, alias and escrow key (keys the run creates can only be named as key/*).</summary>
    NamedResources,
}

/// <summary>
/// Generates identity-based policies that grant exactly the KMS actions a workflow calls, grouped into one
/// statement per set of resources. The workshop's KMSWorkshop-RotationDisableOps is <see cref="Workshop"/>.
/// </summary>
public static class LeastPrivilegePolicy
{
    public const string WorkshopPolicyName = "KMSWorkshop-RotationDisableOps";

    /// <summary>The workshop's policy: UpdateAlias, DeleteImportedKeyMaterial, DisableKey, EnableKey, ScheduleKeyDeletion on any alias and key of the account.</summary>
    public static string Workshop(string region, string accountId) => Write(
    [
        ("RotationDisableOps",
            ["kms:DeleteImportedKeyMaterial", "kms:DisableKey", "kms:EnableKey", "kms:ScheduleKeyDeletion", "kms:UpdateAlias"],
            [KmsArns.AnyAlias(region, accountId), KmsArns.AnyKey(region, accountId)]),
    ]);

    /// <summary>A name for the generated policy of a workflow, e.g. KmsConsole-AliasSwapNewKey.</summary>
    public static string PolicyNameFor(string workflow) => $"KmsConsole-{workflow}";

    public static string ForWorkflow(string workflow, KmsRunResources resources, PolicyScope scope, bool rotateNow = false, string? oldKeyFate = null) =>
        ForPermissions(KmsPermissionRequirements.For(workflow, resources, rotateNow, oldKeyFate), resources, scope);

    /// <summary>As <see cref="ForWorkflow(string, KmsRunResources, PolicyScope, bool, string?)"/> for the orchestrator's enums.</summary>
    public static string ForWorkflow<TWorkflow>(TWorkflow workflow, KmsRunResources resources, PolicyScope scope, bool rotateNow = false, Enum? oldKeyFate = null)
        where TWorkflow : struct, Enum =>
        ForPermissions(KmsPermissionRequirements.For(workflow, resources, rotateNow, oldKeyFate), resources, scope);

    public static string ForPermissions(IEnumerable<KmsPermission> permissions, KmsRunResources resources, PolicyScope scope)
    {
        ArgumentNullException.ThrowIfNull(permissions);
        ArgumentNullException.ThrowIfNull(resources);

        // action -> resources it needs, widened to the account when asked.
        var byAction = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var permission in permissions)
        {
            var resource = scope == PolicyScope.Account ? Widen(permission.Resource, resources) : permission.Resource;
            if (!byAction.TryGetValue(permission.Action, out var set))
            {
                byAction[permission.Action] = set = new SortedSet<string>(StringComparer.Ordinal);
            }

            set.Add(resource);
        }

        // Actions that need the same resources share a statement.
        var statements = byAction
            .GroupBy(kv => string.Join("\n", kv.Value), StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select((g, i) => (Sid: SidFor(g.First().Value, i), Actions: g.Select(kv => kv.Key).ToList(), Resources: g.First().Value.ToList()))
            .Select(s => (s.Sid, (IReadOnlyList<string>)s.Actions, (IReadOnlyList<string>)s.Resources))
            .ToList();
        return Write(statements);
    }

    private static string Widen(string resource, KmsRunResources resources)
    {
        if (resource == "*")
        {
            return resource;
        }

        var parts = resource.Split(':', 6);
        if (parts.Length == 6 && parts[2] == "kms")
        {
            var kind = parts[5].StartsWith("alias/", StringComparison.Ordinal) ? "alias" : "key";
            return $"arn:{parts[1]}:kms:{parts[3]}:{parts[4]}:{kind}/*";
        }

        return resource == resources.KeyArn ? resources.AnyKeyArn : resource;
    }

    private static string SidFor(IEnumerable<string> resources, int index)
    {
        var list = resources.ToList();
        if (list is ["*"])
        {
            return "NotResourceScoped";
        }

        var keys = list.Any(r => r.Contains(":key/", StringComparison.Ordinal));
        var aliases = list.Any(r => r.Contains(":alias/", StringComparison.Ordinal));
        var name = (keys, aliases) switch
        {
            (true, true) => "KeysAndAliases",
            (true, false) => "Keys",
            (false, true) => "Aliases",
            _ => "Resources",
        };
        return $"{name}{index + 1}";
    }

    private static string Write(IReadOnlyList<(string Sid, IReadOnlyList<string> Actions, IReadOnlyList<string> Resources)> statements)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("Version", "2012-10-17");
            writer.WriteStartArray("Statement");
            foreach (var (sid, actions, resources) in statements)
            {
                writer.WriteStartObject();
                writer.WriteString("Sid", sid);
                writer.WriteString("Effect", "Allow");
                WriteList(writer, "Action", actions);
                WriteList(writer, "Resource", resources);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteList(Utf8JsonWriter writer, string name, IReadOnlyList<string> values)
    {
        if (values.Count == 1)
        {
            writer.WriteString(name, values[0]);
            return;
        }

        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }
}
