using System.Text.Json.Nodes;
using KmsConsole.LocalKms.Protocol;

namespace KmsConsole.LocalKms.Operations;

/// <summary>Limit/Marker paging as KMS list operations do it; the marker is an opaque position.</summary>
public static class Paging
{
    public static JsonObject Page<T>(KmsRequest request, IReadOnlyList<T> items, string listMember, Func<T, JsonNode> render, int defaultLimit = 100)
    {
        var limit = request.OptionalInt("Limit", 1, 1000) ?? defaultLimit;
        var start = 0;
        var marker = request.OptionalString("Marker", 1, 1024);
        if (marker is not null)
        {
            if (!marker.StartsWith("p", StringComparison.Ordinal) || !int.TryParse(marker.AsSpan(1), out start) || start < 0 || start > items.Count)
            {
                throw KmsErrors.InvalidMarker("Invalid marker value.");
            }
        }

        var page = new JsonArray();
        foreach (var item in items.Skip(start).Take(limit))
        {
            page.Add(render(item));
        }

        var response = new JsonObject { [listMember] = page };
        var truncated = start + limit < items.Count;
        response["Truncated"] = truncated;
        if (truncated)
        {
            response["NextMarker"] = "p" + (start + limit);
        }

        return response;
    }
}
