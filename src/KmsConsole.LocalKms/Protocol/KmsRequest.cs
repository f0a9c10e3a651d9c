using System.Text.Json;
using System.Text.RegularExpressions;

namespace KmsConsole.LocalKms.Protocol;

/// <summary>
/// The JSON body of one KMS request, with readers that enforce the service model's types and constraints:
/// a wrong JSON type is a SerializationException, a missing required member or a value outside its
/// constraints a ValidationException, as AWS answers.
/// </summary>
public sealed class KmsRequest(JsonElement body, string caller, string path = "")
{
    /// <summary>Members the model marks sensitive: AWS leaves their value out of a validation message, and so does this endpoint.</summary>
    private static readonly HashSet<string> Sensitive = new(StringComparer.Ordinal) { "KeyStorePassword", "RawSecretAccessKey", "AccessKeyId", "Plaintext" };

    /// <summary>The access key id the request was signed with; names the caller.</summary>
    public string Caller { get; } = caller;

    public bool Has(string member) => body.TryGetProperty(member, out var value) && value.ValueKind != JsonValueKind.Null;

    public string RequiredString(string member, int minLength = 1, int maxLength = int.MaxValue) =>
        OptionalString(member, minLength, maxLength) ?? throw Missing(member);

    public string? OptionalString(string member, int minLength = 0, int maxLength = int.MaxValue)
    {
        if (!body.TryGetProperty(member, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw KmsErrors.Serialization($"Member '{member}' must be a string.");
        }

        var text = value.GetString()!;
        if (text.Length < minLength || text.Length > maxLength)
        {
            throw LengthOutOfBounds(member, Sensitive.Contains(member) ? null : text, text.Length < minLength, minLength, maxLength);
        }

        return text;
    }

    public string? OptionalEnum(string member, params string[] allowed)
    {
        var text = OptionalString(member);
        if (text is not null && Array.IndexOf(allowed, text) < 0)
        {
            throw KmsErrors.Validation(
                $"1 validation error detected: Value '{text}' at '{Camel(member)}' failed to satisfy constraint: Member must satisfy enum value set: [{string.Join(", ", allowed)}]");
        }

        return text;
    }

    public string RequiredEnum(string member, params string[] allowed) => OptionalEnum(member, allowed) ?? throw Missing(member);

    public int? OptionalInt(string member, int min = int.MinValue, int max = int.MaxValue)
    {
        if (!body.TryGetProperty(member, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var number))
        {
            throw KmsErrors.Serialization($"Member '{member}' must be an integer.");
        }

        // AWS names the one bound a value breaks (LocalStack's AWS-recorded GenerateRandom NumberOfBytes 0 and 1025).
        if (number < min || number > max)
        {
            throw KmsErrors.Validation(number < min
                ? $"1 validation error detected: Value '{number}' at '{Camel(member)}' failed to satisfy constraint: Member must have value greater than or equal to {min}"
                : $"1 validation error detected: Value '{number}' at '{Camel(member)}' failed to satisfy constraint: Member must have value less than or equal to {max}");
        }

        return number;
    }

    public bool OptionalBool(string member)
    {
        if (!body.TryGetProperty(member, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw KmsErrors.Serialization($"Member '{member}' must be a boolean."),
        };
    }

    public DateTimeOffset? OptionalTimestamp(string member)
    {
        if (!body.TryGetProperty(member, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        // Beyond DateTimeOffset's range (years 1–9999) a number is no timestamp.
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var seconds) || !double.IsFinite(seconds)
            || seconds < -62_135_596_800 || seconds > 253_402_300_799)
        {
            throw KmsErrors.Serialization($"Member '{member}' must be a timestamp in epoch seconds.");
        }

        return AwsJson.FromEpochSeconds(seconds);
    }

    public byte[] RequiredBlob(string member, int minLength = 1, int maxLength = int.MaxValue) =>
        OptionalBlob(member, minLength, maxLength) ?? throw Missing(member);

    public byte[]? OptionalBlob(string member, int minLength = 1, int maxLength = int.MaxValue)
    {
        var text = OptionalString(member);
        if (text is null)
        {
            return null;
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw KmsErrors.Serialization($"Member '{member}' is not valid base64.");
        }

        // Blobs are never echoed: "Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096".
        if (bytes.Length < minLength || bytes.Length > maxLength)
        {
            throw LengthOutOfBounds(member, null, bytes.Length < minLength, minLength, maxLength);
        }

        return bytes;
    }

    /// <summary>A nested structure member (e.g. CreateGrant's Constraints), read with the same rules; null when absent.</summary>
    public KmsRequest? OptionalStructure(string member)
    {
        if (!body.TryGetProperty(member, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Object
            ? new KmsRequest(value, Caller)
            : throw KmsErrors.Serialization($"Member '{member}' must be a structure.");
    }

    public IReadOnlyDictionary<string, string> OptionalStringMap(string member)
    {
        if (!body.TryGetProperty(member, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return new Dictionary<string, string>();
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw KmsErrors.Serialization($"Member '{member}' must be a map of strings.");
        }

        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
            {
                throw KmsErrors.Serialization($"Values of '{member}' must be strings.");
            }

            map[entry.Name] = entry.Value.GetString()!;
        }

        return map;
    }

    public IReadOnlyList<string>? OptionalStringList(string member)
    {
        if (!body.TryGetProperty(member, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw KmsErrors.Serialization($"Member '{member}' must be a list.");
        }

        var list = new List<string>();
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                throw KmsErrors.Serialization($"Items of '{member}' must be strings.");
            }

            list.Add(item.GetString()!);
        }

        return list;
    }

    public IReadOnlyList<string> RequiredStringList(string member) => OptionalStringList(member) ?? throw Missing(member);

    /// <summary>Reads a list of {TagKey, TagValue} objects.</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? OptionalTags(string member)
    {
        if (!body.TryGetProperty(member, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw KmsErrors.Serialization($"Member '{member}' must be a list of tags.");
        }

        var tags = new List<KeyValuePair<string, string>>();
        var position = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw KmsErrors.Serialization($"Items of '{member}' must be tags.");
            }

            // AWS prints the member path of the tag at fault, e.g. 'tags.1.member.tagValue'.
            var tag = new KmsRequest(item, Caller, $"{Camel(member)}.{++position}.member.");
            tags.Add(new(tag.RequiredString("TagKey", 1, 128), tag.RequiredString("TagValue", 0, 256)));
        }

        return tags;
    }

    public IReadOnlyList<KeyValuePair<string, string>> RequiredTags(string member) => OptionalTags(member) ?? throw Missing(member);

    public static void RequirePattern(string member, string value, Regex pattern)
    {
        if (!pattern.IsMatch(value))
        {
            throw KmsErrors.Validation(
                $"1 validation error detected: Value '{value}' at '{CamelCase(member)}' failed to satisfy constraint: Member must satisfy regular expression pattern: {pattern}");
        }
    }

    public static KmsException MissingMember(string member) => new KmsRequest(default, "").Missing(member);

    private KmsException Missing(string member) =>
        KmsErrors.Validation($"1 validation error detected: Value null at '{Camel(member)}' failed to satisfy constraint: Member must not be null");

    private KmsException LengthOutOfBounds(string member, string? shownValue, bool tooShort, int minLength, int maxLength)
    {
        var value = shownValue is null ? "Value" : $"Value '{shownValue}'";
        return KmsErrors.Validation(tooShort
            ? $"1 validation error detected: {value} at '{Camel(member)}' failed to satisfy constraint: Member must have length greater than or equal to {minLength}"
            : $"1 validation error detected: {value} at '{Camel(member)}' failed to satisfy constraint: Member must have length less than or equal to {maxLength}");
    }

    private string Camel(string member) => path + CamelCase(member);

    private static string CamelCase(string member) => char.ToLowerInvariant(member[0]) + member[1..];
}
