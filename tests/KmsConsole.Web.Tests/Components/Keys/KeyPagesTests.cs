using Bunit;
using KmsConsole.LocalKms.Iam;
using KmsConsole.Rotation;
using KmsConsole.Web.Components.Keys;
using MudBlazor;

namespace KmsConsole.Web.Tests.Components.Keys;

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
        // One target: nothing to filter by.
        Assert.Empty(page.FindAll("[data-testid='target-filter']"));
    }

    [Fact]
    public void Key_search_filters_on_the_server()
    {
        SignInAs("rita");
        var page = Render<KeyList>();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid='key-link']").Count), TimeSpan.FromSeconds(10));

        page.InputField("key-search", "ImportedCMK");

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
        SortByAlias();   // the default sort is by alias ascending, marked in the header: one click turns it descending

        page.WaitForAssertion(() => Assert.Contains("alias/ImportedCMK", page.FindAll("tbody tr")[0].TextContent), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Refresh_runs_the_inventory_sync_and_reports_it()
    {
        SignInAs("rita");
        var page = Render<KeyList>();
        page.FindAll("button").Single(b => b.TextContent.Contains("Refresh inventory")).Click();

        page.WaitForAssertion(() => Assert.Contains("Inventory refreshed. 2 keys read, 0 could not be read.", page.Find("[data-testid='sync-progress']").TextContent),
            TimeSpan.FromSeconds(20));
        Assert.Empty(page.FindAll("[data-testid='read-error']"));
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
    [InlineData("victor")]
    public async Task Key_detail_offers_no_request_to_who_may_not_request(string userId)
    {
        var key = await KeyAsync("alias/FirstCMK");
        SignInAs(userId);
        var page = Render<KeyDetailPage>(p => p.Add(x => x.Target, ConsoleWorld.Target).Add(x => x.KeyId, key.KeyId));

        page.WaitForAssertion(() => Assert.Contains("alias/FirstCMK", page.Find("[data-testid='aliases']").TextContent), TimeSpan.FromSeconds(10));
        Assert.Empty(page.FindAll("[data-testid='request-rotation']"));
    }
}

/// <summary>
/// A key the console's role may not describe, over the local endpoint acting as the workshop's role with KMS
/// permission enforcement on: the refresh completes, says how many keys it could not read, and the key list marks
/// the key with AWS's error while keeping what an earlier sync read of it.
/// </summary>
public sealed class UnreadableKeyPagesTests : PageTest
{
    protected override bool RunOrchestrator => false;

    protected override bool ActAsWorkshopRole => true;

    [Fact]
    public async Task A_key_the_role_may_not_describe_is_marked_could_not_read_with_the_AWS_error_after_a_refresh()
    {
        var first = await KeyAsync("alias/FirstCMK");
        var iam = World.Get<IIamClientFactory>().Create(ConsoleWorld.Target);
        var deny = await iam.CreatePolicyAsync("DenyDescribeFirstCMK",
            $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"kms:DescribeKey","Resource":"{{first.Arn}}"}]}""");
        await iam.AttachRolePolicyAsync(IamSeed.RoleName, deny.Arn);
        SignInAs("rita");
        var page = Render<KeyList>();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid='key-link']").Count), TimeSpan.FromSeconds(10));
        Assert.Empty(page.FindAll("[data-testid='read-error']"));

        page.FindAll("button").Single(b => b.TextContent.Contains("Refresh inventory")).Click();

        page.WaitForAssertion(() => Assert.Contains("1 key read, 1 could not be read", page.Find("[data-testid='sync-progress']").TextContent),
            TimeSpan.FromSeconds(20));
        page.WaitForAssertion(() =>
        {
            var row = page.FindAll("tbody tr").Single(r => r.TextContent.Contains("alias/FirstCMK"));
            var marker = row.QuerySelector("[data-testid='read-error']");
            Assert.NotNull(marker);
            Assert.Contains("could not read", marker.TextContent);
            Assert.Equal("AccessDeniedException", marker.GetAttribute("data-error-code"));
            var message = $"is not authorized to perform: kms:DescribeKey on resource: {first.Arn} with an explicit deny in an identity-based policy";
            Assert.Contains(message, marker.GetAttribute("title"));
            Assert.Contains(message, marker.TextContent);
            Assert.NotNull(row.QuerySelector("[data-testid='stale-details']"));
            Assert.Contains("AWS_KMS", row.TextContent);
        }, TimeSpan.FromSeconds(10));
        var imported = page.FindAll("tbody tr").Single(r => r.TextContent.Contains("alias/ImportedCMK"));
        Assert.Null(imported.QuerySelector("[data-testid='read-error']"));
    }

    [Fact]
    public async Task The_read_filter_from_the_address_lists_only_the_keys_the_last_sync_could_not_read()
    {
        var first = await KeyAsync("alias/FirstCMK");
        var iam = World.Get<IIamClientFactory>().Create(ConsoleWorld.Target);
        var deny = await iam.CreatePolicyAsync("DenyRotationStatusFirstCMK",
            $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"kms:GetKeyRotationStatus","Resource":"{{first.Arn}}"}]}""");
        await iam.AttachRolePolicyAsync(IamSeed.RoleName, deny.Arn);
        Assert.Equal("1 key read, 1 could not be read", (await World.Get<KeyInventory>().SyncAsync(null)).Summary);
        SignInAs("audrey");
        NavigateTo("keys?read=unreadable");

        var page = Render<KeyList>();

        page.WaitForAssertion(() =>
        {
            var row = Assert.Single(page.FindAll("tbody tr"));
            Assert.Contains("alias/FirstCMK", row.TextContent);
            Assert.Contains("kms:GetKeyRotationStatus", row.QuerySelector("[data-testid='read-error']")!.GetAttribute("title"));
        }, TimeSpan.FromSeconds(10));
    }
}
