using System.Text.Json.Nodes;
using KmsConsole.LocalKms.Keys;
using KmsConsole.LocalKms.Protocol;

namespace KmsConsole.LocalKms.Operations;

/// <summary>Tags on keys.</summary>
public static class TagOperations
{
    /// <summary>AWS allows 50 tags per KMS key.</summary>
    public const int TagLimit = 50;

    public static void Register(OperationCatalog catalog)
    {
        catalog.Add("TagResource", TagResource);
        catalog.Add("UntagResource", UntagResource);
        catalog.Add("ListResourceTags", ListResourceTags);
    }

    public static JsonObject TagResource(KmsRequest request, OperationContext context)
    {
        var tags = request.RequiredTags("Tags");
        var key = KeyLifecycleOperations.Target(request, context, "TagResource");
        Validate(tags);

        // Worked out on a copy, so a refusal (too many tags) leaves the key's tags as they were.
        var updated = new List<KmsTag>(key.Tags);
        foreach (var (tagKey, tagValue) in tags)
        {
            var index = updated.FindIndex(t => t.TagKey == tagKey);
            if (index >= 0)
            {
                updated[index] = new KmsTag(tagKey, tagValue);
            }
            else
            {
                updated.Add(new KmsTag(tagKey, tagValue));
            }
        }

        if (updated.Count > TagLimit)
        {
            throw TooMany();
        }

        key.Tags = updated;
        context.Ring.Save(key);
        return [];
    }

    public static JsonObject UntagResource(KmsRequest request, OperationContext context)
    {
        var tagKeys = request.RequiredStringList("TagKeys");
        var key = KeyLifecycleOperations.Target(request, context, "UntagResource");
        key.Tags.RemoveAll(t => tagKeys.Contains(t.TagKey));
        context.Ring.Save(key);
        return [];
    }

    public static JsonObject ListResourceTags(KmsRequest request, OperationContext context)
    {
        var key = KeyLifecycleOperations.Target(request, context, "ListResourceTags");
        return Paging.Page(request, key.Tags, "Tags", tag => new JsonObject { ["TagKey"] = tag.TagKey, ["TagValue"] = tag.TagValue }, defaultLimit: 50);
    }

    /// <summary>AWS's tag rules and words (LocalStack's AWS-recorded tag tests): reserved prefix, duplicates, at most 50.</summary>
    public static void Validate(IReadOnlyList<KeyValuePair<string, string>> tags)
    {
        if (tags.Any(t => t.Key.StartsWith("aws:", StringComparison.OrdinalIgnoreCase)))
        {
            throw KmsErrors.Tag("Tags beginning with aws: are reserved");
        }

        if (tags.Select(t => t.Key).Distinct(StringComparer.Ordinal).Count() != tags.Count)
        {
            throw KmsErrors.Tag("Duplicate tag keys");
        }

        if (tags.Count > TagLimit)
        {
            throw TooMany();
        }
    }

    private static KmsException TooMany() => KmsErrors.Tag("Too many tags");
}
