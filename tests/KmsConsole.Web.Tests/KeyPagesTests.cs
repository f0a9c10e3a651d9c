using Bunit;
using KmsConsole.Rotation;
using KmsConsole.Web.Components.Keys;
using MudBlazor;

namespace KmsConsole.Web.Tests;

public sealed class KeyPagesTests : PageTest
{
    [Fact]
    public void Key_list_shows_every_seeded_key_with_its_origin_and_rotation()
    {
        SignInAs("audrey");
        var page = Render<KeyList>();

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid='key-link']").Count), TimeSpan.FromSeconds(10));
        var rows = page.FindAll("tbody tr").Select(r => r.TextContent).ToList();
        Assert.Contains(rows, r => r.Contains("alias/FirstCMK") && r.Contains("AWS_KMS") && r.Contains("Off"));
        Assert.Contains(rows, r => r.Contains("alias/ImportedCMK") && r.Contains("EXTERNAL") && r.Contains("does not expire"));
    }

    [Fact]
    public void Key_search_filters_on_the_server()
    {
        SignInAs("rita");
        var page = Render<KeyList>();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid='key-link']").Count), TimeSpan.FromSeconds(10));

        page.Field("key-search").Input("ImportedCMK");

        page.WaitForAssertion(() =>
        {
            var rows = page.FindAll("tbody tr");
            Assert.Single(rows);
            Assert.Contains("alias/ImportedCMK", rows[0].TextContent);
        }, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Origin_filter_from_the_address_shows_only_that_origin()
    {
        SignInAs("rita");
        NavigateTo("keys?origin=EXTERNAL");
        var page = Render<KeyList>();

        page.WaitForAssertion(() =>
        {
            var rows = page.FindAll("tbody tr");
            Assert.Single(rows);
            Assert.Contains("alias/ImportedCMK", rows[0].TextContent);
        }, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Sorting_by_alias_descending_is_done_by_the_server()
    {
        SignInAs("rita");
        var page = Render<KeyList>();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid='key-link']").Count), TimeSpan.FromSeconds(10));
        Assert.Contains("alias/FirstCMK", page.FindAll("tbody tr")[0].TextContent);

        void SortByAlias() => page.InvokeAsync(() => page.FindAll(".mud-table-sort-label").First(l => l.TextContent.Contains("Aliases")).Click()).GetAwaiter().GetResult();
        SortByAlias();   // ascending
        SortByAlias();   // descending

        page.WaitForAssertion(() => Assert.Contains("alias/ImportedCMK", page.FindAll("tbody tr")[0].TextContent), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Refresh_runs_the_inventory_sync_and_reports_it()
    {
        SignInAs("rita");
        var page = Render<KeyList>();
        page.FindAll("button").Single(b => b.TextContent.Contains("Refresh inventory")).Click();

        page.WaitForAssertion(() => Assert.Contains("Inventory refreshed.", page.Find("[data-testid='sync-progress']").TextContent), TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Key_detail_shows_metadata_rotation_status_and_offers_a_requester_only_fitting_workflows()
    {
        var key = await KeyAsync("alias/FirstCMK");
        SignInAs("rita");
        var popovers = Render<MudPopoverProvider>();
        var page = Render<KeyDetailPage>(p => p.Add(x => x.Target, ConsoleWorld.Target).Add(x => x.KeyId, key.KeyId));

        page.WaitForAssertion(() => Assert.Contains("alias/FirstCMK", page.Find("[data-testid='aliases']").TextContent), TimeSpan.FromSeconds(10));
        Assert.Contains("Off.", page.Find("[data-testid='rotation-enabled']").TextContent);
        Assert.Contains(key.Arn, page.Markup);

        page.Find("[data-testid='request-rotation'] button").Click();
        popovers.WaitForAssertion(() =>
        {
            Assert.NotEmpty(popovers.FindAll($"[data-testid='request-{WorkflowKind.EnableAutomaticRotation}']"));
            Assert.NotEmpty(popovers.FindAll($"[data-testid='request-{WorkflowKind.AliasSwapNewKey}']"));
            Assert.Empty(popovers.FindAll($"[data-testid='request-{WorkflowKind.AliasSwapImportedKey}']"));
        });
    }

    [Fact]
    public async Task Imported_key_detail_offers_the_imported_key_workflows()
    {
        var key = await KeyAsync("alias/ImportedCMK");
        SignInAs("rita");
        var popovers = Render<MudPopoverProvider>();
        var page = Render<KeyDetailPage>(p => p.Add(x => x.Target, ConsoleWorld.Target).Add(x => x.KeyId, key.KeyId));
        page.WaitForAssertion(() => page.Find("[data-testid='request-rotation'] button"), TimeSpan.FromSeconds(10));

        // Rotation history lists the key material with its import state, as ListKeyRotations reports it.
        Assert.Contains("IMPORTED", page.Find("[data-testid='rotation-history']").TextContent, StringComparison.OrdinalIgnoreCase);

        page.Find("[data-testid='request-rotation'] button").Click();
        popovers.WaitForAssertion(() =>
        {
            Assert.NotEmpty(popovers.FindAll($"[data-testid='request-{WorkflowKind.AliasSwapImportedKey}']"));
            Assert.Empty(popovers.FindAll($"[data-testid='request-{WorkflowKind.EnableAutomaticRotation}']"));
        });
    }

    [Theory]
    [InlineData("alice")]
    [InlineData("audrey")]
    public async Task Key_detail_offers_no_request_to_who_may_not_request(string userId)
    {
        var key = await KeyAsync("alias/FirstCMK");
        SignInAs(userId);
        var page = Render<KeyDetailPage>(p => p.Add(x => x.Target, ConsoleWorld.Target).Add(x => x.KeyId, key.KeyId));

        page.WaitForAssertion(() => Assert.Contains("alias/FirstCMK", page.Find("[data-testid='aliases']").TextContent), TimeSpan.FromSeconds(10));
        Assert.Empty(page.FindAll("[data-testid='request-rotation']"));
    }
}
