using Amazon.KeyManagementService.Model;
using Bunit;
using KmsConsole.Rotation;
using KmsConsole.Web.Components.Keys;

namespace KmsConsole.Web.Tests.Components.Keys;

/// <summary>The Keys page over two targets (two Regions of the local endpoint) filters by target, from its filter or the dashboard's link.</summary>
public sealed class KeyTargetFilterTests : PageTest
{
    private const string Europe = "europe";

    protected override bool RunOrchestrator => false;

    protected override IReadOnlyDictionary<string, string>? MoreTargets => new Dictionary<string, string> { [Europe] = "eu-west-1" };

    [Fact]
    public async Task The_target_in_the_address_lists_only_that_targets_keys_and_the_filter_offers_every_target()
    {
        var kms = World.Get<IKmsClientFactory>().Create(Europe);
        var europeKey = (await kms.CreateKeyAsync(new CreateKeyRequest { Description = "only in Europe" })).KeyMetadata.KeyId;
        await World.Get<KeyInventory>().SyncAsync(null);
        SignInAs("rita");

        NavigateTo($"keys?target={Europe}");
        var page = Render<KeyList>();

        page.WaitForAssertion(() =>
        {
            var rows = page.FindAll("tbody tr");
            Assert.Single(rows);
            Assert.Contains(europeKey, rows[0].TextContent);
        }, TimeSpan.FromSeconds(10));
        Assert.Contains(Europe, page.Find("[data-testid='target-filter']").Closest(".mud-input-control")!.InnerHtml);

        NavigateTo($"keys?target={ConsoleWorld.Target}");
        var local = Render<KeyList>();
        local.WaitForAssertion(() => Assert.Equal(2, local.FindAll("[data-testid='key-link']").Count), TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(europeKey, local.Find("tbody").TextContent);
    }
}
