namespace KmsConsole.Web.Api;

/// <summary><c>/api/v1/keys</c>: the key inventory with the Keys page's filters, sort and paging, and one key read live.</summary>
public static class KeysApi
{
    public static RouteGroupBuilder MapKeysApi(this RouteGroupBuilder api)
    {
        var keys = api.MapGroup("/keys").WithTags("Keys").RequireAuthorization(ApiPolicies.View);

        keys.MapGet("/", async (KeyInventory inventory, string? target, string? q, string? origin, string? state, bool? rotation,
                int? expiringWithinDays, bool? expired, bool? couldNotRead, KeySortField? sort, bool? descending, int? page, int? pageSize,
                CancellationToken cancellationToken) =>
            {
                if (expiringWithinDays is < 0 or > 3650)
                {
                    throw new RotationRefusedException("expiringWithinDays is 0 to 3650.", kind: RefusalKind.Invalid) { Field = "expiringWithinDays" };
                }

                var result = await inventory.QueryAsync(new KeyQuery
                {
                    Target = target,
                    Search = q,
                    Origin = origin,
                    KeyState = state,
                    RotationEnabled = rotation,
                    ExpiringWithinDays = expiringWithinDays,
                    MaterialExpired = expired == true,
                    CouldNotRead = couldNotRead,
                    SortBy = sort ?? KeySortField.Alias,
                    Descending = descending == true,
                    Page = page ?? 0,
                    PageSize = pageSize ?? 25,
                }, cancellationToken);
                return TypedResults.Ok(result);
            })
            .WithName("ListKeys")
            .WithSummary("Lists keys from the last inventory sync")
            .WithDescription("Filters as the Keys page: q (alias, id, ARN or description contains), origin (AWS_KMS, EXTERNAL), state (KMS key state), " +
                             "rotation, expiringWithinDays (imported material), expired, couldNotRead; sort and descending; page from 0, pageSize up to 500.");

        // A catch-all, so an alias name reads as it is (/keys/local/alias/FirstCMK); an escaped slash (%2F) is not decoded by routing.
        keys.MapGet("/{target}/{**keyId}", async (KeyInventory inventory, RunQueries runs, string target, string keyId, CancellationToken cancellationToken) =>
            {
                var detail = await inventory.GetDetailAsync(target, Uri.UnescapeDataString(keyId), cancellationToken);
                var onKey = await runs.ForKeyAsync(target, detail.KeyId, cancellationToken);
                return TypedResults.Ok(new KeyDetailResponse(detail, onKey));
            })
            .WithName("GetKey")
            .WithSummary("Reads one key live from KMS: metadata, aliases, rotation status and history, tags, and the runs on it")
            .WithDescription("keyId is a key id, key ARN or alias name, e.g. /api/v1/keys/local/alias/FirstCMK.");

        return api;
    }
}

/// <summary>A key as KMS describes it now, with the runs on it.</summary>
public sealed record KeyDetailResponse(KeyDetail Key, IReadOnlyList<RunSummary> Runs);
