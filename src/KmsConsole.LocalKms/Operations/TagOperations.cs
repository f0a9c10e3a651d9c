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
        foreach (var (tagKey, tagValue) in tags)
        {
            var index = key.Tags.FindIndex(t => t.TagKey == tagKey);
            if (index >= 0)
            {
                key.Tags[index] = new KmsTag(tagKey, tagValue);
            }
            else
            {
                key.Tags.Add(new KmsTag(tagKey, tagValue));
            }
        }

        if (key.Tags.Count > TagLimit)
        {
            throw KmsErrors.LimitExceeded($"A KMS key can have at most {TagLimit} tags.");
        }

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

    public static void Validate(IReadOnlyList<KeyValuePair<string, string>> tags)
    {
        foreach (var (tagKey, _) in tags)
        {
            if (tagKey.StartsWith("aws:", StringComparison.OrdinalIgnoreCase))
            {
                throw KmsErrors.Tag($"Tag key {tagKey} uses the reserved prefix aws:.");
            }
        }

        if (tags.Select(t => t.Key).Distinct().Count() > TagLimit)
        {
            throw KmsErrors.LimitExceeded($"A KMS key can have at most {TagLimit} tags.");
        }
    }
}
