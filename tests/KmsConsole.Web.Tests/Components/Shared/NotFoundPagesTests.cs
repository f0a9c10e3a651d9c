using Bunit;
using KmsConsole.Web.Components.Campaigns;
using KmsConsole.Web.Components.Keys;
using KmsConsole.Web.Components.Runs;

namespace KmsConsole.Web.Tests.Components.Shared;

/// <summary>An address naming a target, key, run or campaign that does not exist shows what was not found and a way back.</summary>
public sealed class NotFoundPagesTests : PageTest
{
    protected override bool RunOrchestrator => false;

    [Fact]
    public void A_key_page_on_an_unknown_target_says_the_target_does_not_exist_and_links_back_to_the_keys()
    {
        SignInAs("rita");
        var page = Render<KeyDetailPage>(p => p.Add(x => x.Target, "nowhere").Add(x => x.KeyId, "alias/FirstCMK"));

        page.WaitForAssertion(() => Assert.Contains("There is no KMS target named 'nowhere'", page.Find("[data-testid='not-found-what']").TextContent), TimeSpan.FromSeconds(10));
        Assert.Equal("Key not found", page.Find("h1").TextContent);
        Assert.Equal("keys", page.Find("[data-testid='not-found-back']").GetAttribute("href"));
        Assert.Empty(page.FindAll("[data-testid='request-rotation']"));
    }

    [Fact]
    public void A_key_page_for_a_key_id_that_does_not_exist_names_the_key_and_the_target()
    {
        SignInAs("rita");
        var missing = "11111111-2222-3333-4444-555555555555";
        var page = Render<KeyDetailPage>(p => p.Add(x => x.Target, ConsoleWorld.Target).Add(x => x.KeyId, missing));

        page.WaitForAssertion(() => Assert.Contains($"Target '{ConsoleWorld.Target}' has no key {missing}", page.Find("[data-testid='not-found-what']").TextContent),
            TimeSpan.FromSeconds(10));
        // KMS's own NotFoundException message is shown beneath, as KMS wrote it.
        Assert.Contains(missing, page.Find("[data-testid='not-found-detail']").TextContent);
        Assert.Single(page.FindAll("h1"));
    }

    [Fact]
    public void The_request_form_for_an_unknown_alias_is_a_not_found_page_without_a_form()
    {
        SignInAs("rita");
        var page = Render<RequestRotation>(p => p.Add(x => x.Target, ConsoleWorld.Target).Add(x => x.KeyId, "alias/NoSuchKey"));

        page.WaitForAssertion(() => Assert.Contains("has no key alias/NoSuchKey", page.Find("[data-testid='not-found-what']").TextContent), TimeSpan.FromSeconds(10));
        Assert.Empty(page.FindAll("form"));
        Assert.Empty(page.FindAll("button"));
    }

    [Fact]
    public void A_run_id_that_does_not_exist_says_so_and_links_back_to_the_runs()
    {
        SignInAs("rita");
        var missing = Guid.NewGuid();
        var page = Render<RunDetail>(p => p.Add(x => x.RunId, missing));

        page.WaitForAssertion(() => Assert.Equal($"There is no run {missing}.", page.Find("[data-testid='not-found-what']").TextContent), TimeSpan.FromSeconds(10));
        Assert.Equal("runs", page.Find("[data-testid='not-found-back']").GetAttribute("href"));
    }

    [Fact]
    public void A_campaign_that_does_not_exist_says_so_and_links_back_to_the_campaigns()
    {
        SignInAs("audrey");
        var missing = Guid.NewGuid();
        var page = Render<CampaignsPage>(p => p.Add(x => x.Id, missing));

        page.WaitForAssertion(() => Assert.Equal($"There is no campaign {missing}.", page.Find("[data-testid='not-found-what']").TextContent), TimeSpan.FromSeconds(10));
        Assert.Equal("campaigns", page.Find("[data-testid='not-found-back']").GetAttribute("href"));
    }
}
