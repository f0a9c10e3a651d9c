using Bunit;
using KmsConsole.Rotation;
using KmsConsole.Web.Components.Keys;
using MudBlazor;

namespace KmsConsole.Web.Tests.Components.Keys;

public sealed class RequestRotationTests : PageTest
{
    private async Task<IRenderedComponent<RequestRotation>> OpenAsync(string alias, WorkflowKind workflow)
    {
        var key = await KeyAsync(alias);
        SignInAs("rita");
        NavigateTo($"keys/{ConsoleWorld.Target}/{key.KeyId}/request?workflow={workflow}");
        var page = Render<RequestRotation>(p => p.Add(x => x.Target, ConsoleWorld.Target).Add(x => x.KeyId, key.KeyId));
        page.WaitForAssertion(() => page.Field("justification"), TimeSpan.FromSeconds(10));
        return page;
    }

    [Fact]
    public async Task Rotation_period_outside_90_to_2560_is_refused_at_the_field()
    {
        var page = await OpenAsync("alias/FirstCMK", WorkflowKind.EnableAutomaticRotation);

        page.InputField("rotation-period", "60");

        page.WaitForAssertion(() => Assert.Contains("The rotation period must be between 90 and 2560 days.", page.Markup));
    }

    [Fact]
    public async Task Justification_is_required_before_a_plan_is_shown()
    {
        var page = await OpenAsync("alias/FirstCMK", WorkflowKind.EnableAutomaticRotation);

        page.ClickButton("Preview plan");

        page.WaitForAssertion(() => Assert.Contains("A justification is required", page.Markup));
        Assert.Empty(page.FindAll("[data-testid='plan']"));
        Assert.True(page.Button("Submit request").HasAttribute("disabled"));
    }

    [Fact]
    public async Task Waiting_period_outside_7_to_30_is_refused_when_the_old_key_is_to_be_deleted()
    {
        var popovers = Render<MudPopoverProvider>();
        var page = await OpenAsync("alias/FirstCMK", WorkflowKind.AliasSwapNewKey);
        Assert.Empty(page.FindAll("[data-testid='pending-window']"));

        // Choose "Schedule its deletion" for the old key: MudSelect opens a popover list.
        page.Find("[data-testid='old-key-fate']").MouseDown();
        popovers.WaitForAssertion(() => popovers.FindAll(".mud-list-item").First(i => i.TextContent.Contains("Schedule its deletion")).Click());
        page.WaitForAssertion(() => page.Field("pending-window"));

        page.InputField("pending-window", "45");
        page.WaitForAssertion(() => Assert.Contains("The waiting period before deletion must be between 7 and 30 days.", page.Markup));
    }

    [Fact]
    public async Task A_key_used_within_the_safety_window_is_offered_staged_retirement_by_default()
    {
        using var kms = new Amazon.KeyManagementService.AmazonKeyManagementServiceClient(new Amazon.Runtime.BasicAWSCredentials("AKIDLOCAL", "local-secret"),
            new Amazon.KeyManagementService.AmazonKeyManagementServiceConfig { ServiceURL = World.KmsEndpoint.ToString(), AuthenticationRegion = "us-east-1" });
        await kms.EncryptAsync(new Amazon.KeyManagementService.Model.EncryptRequest { KeyId = "alias/FirstCMK", Plaintext = new MemoryStream([1, 2, 3]) });

        var page = await OpenAsync("alias/FirstCMK", WorkflowKind.AliasSwapNewKey);

        page.WaitForAssertion(() => Assert.Contains("Retire it in stages: disable, watch, then schedule its deletion", page.Find("[data-testid='old-key-fate']").OuterHtml));
        Assert.NotEmpty(page.FindAll("[data-testid='pending-window']"));
    }

    [Fact]
    public async Task Preview_shows_the_step_plan_and_submit_opens_the_run()
    {
        var page = await OpenAsync("alias/FirstCMK", WorkflowKind.EnableAutomaticRotation);
        page.InputField("justification", "Workshop rotation");

        page.ClickButton("Preview plan");
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid='plan'] li")), TimeSpan.FromSeconds(10));
        Assert.Contains("EnableKeyRotation", page.Find("[data-testid='plan']").TextContent, StringComparison.OrdinalIgnoreCase);

        page.ClickButton("Submit request");
        page.WaitForAssertion(() => Assert.Matches("/runs/[0-9a-f-]{36}$", CurrentUri), TimeSpan.FromSeconds(10));
        var runs = await World.Get<RunQueries>().ForKeyAsync(ConsoleWorld.Target, (await KeyAsync("alias/FirstCMK")).KeyId);
        Assert.Single(runs);
        Assert.Equal("rita", runs[0].RequestedBy);
    }

    [Fact]
    public async Task A_refused_submit_keeps_everything_typed_and_says_why()
    {
        var page = await OpenAsync("alias/FirstCMK", WorkflowKind.EnableAutomaticRotation);
        page.InputField("rotation-period", "180");
        page.InputField("justification", "Quarterly policy");
        page.ClickButton("Preview plan");
        page.WaitForAssertion(() => Assert.False(page.Button("Submit request").HasAttribute("disabled")), TimeSpan.FromSeconds(10));

        // Meanwhile someone else's run takes the key: one run at a time per key.
        await RequestAsync("rita", WorkflowKind.AliasSwapNewKey, "alias/FirstCMK");

        page.ClickButton("Submit request");
        page.WaitForAssertion(() => Assert.NotEmpty(page.Find("[data-testid='submit-error']").TextContent), TimeSpan.FromSeconds(10));
        Assert.EndsWith("/request?workflow=EnableAutomaticRotation", CurrentUri);
        Assert.Equal("180", page.Field("rotation-period").GetAttribute("value"));
        Assert.Equal("Quarterly policy", page.Field("justification").GetAttribute("value") ?? page.Field("justification").TextContent);
    }

    [Theory]
    [InlineData("30", "The rotation period must be between 90 and 2560 days.")]
    [InlineData("2561", "The rotation period must be between 90 and 2560 days.")]
    [InlineData("-1", "The rotation period must be between 90 and 2560 days.")]
    [InlineData("abc", "Enter the rotation period in days.")]
    [InlineData("", "Enter the rotation period in days.")]
    public async Task A_rotation_period_refused_shows_its_message_at_once_and_preview_shows_no_plan(string typed, string message)
    {
        var page = await OpenAsync("alias/FirstCMK", WorkflowKind.EnableAutomaticRotation);
        page.InputField("justification", "Workshop rotation");

        page.InputField("rotation-period", typed);
        page.WaitForAssertion(() => Assert.Contains(message, page.Find("[data-testid='rotation-period']").Closest(".mud-input-control")!.TextContent));

        page.ClickButton("Preview plan");
        page.WaitForAssertion(() => Assert.Contains(message, page.Markup));
        Assert.Empty(page.FindAll("[data-testid='plan']"));
        Assert.True(page.Button("Submit request").HasAttribute("disabled"));
    }

    [Fact]
    public async Task A_justification_longer_than_the_limit_is_refused_at_the_field_with_a_counter()
    {
        var page = await OpenAsync("alias/FirstCMK", WorkflowKind.EnableAutomaticRotation);
        Assert.Equal(KmsConsole.Web.Components.Shared.FreeText.MaxLength.ToString(), page.Field("justification").GetAttribute("maxlength"));
        Assert.Contains("/ 4000", page.Find("[data-testid='justification']").Closest(".mud-input-control")!.TextContent);

        page.InputField("justification", new string('j', KmsConsole.Web.Components.Shared.FreeText.MaxLength + 1));
        page.ClickButton("Preview plan");

        page.WaitForAssertion(() => Assert.Contains("At most 4,000 characters; this has 4,001.", page.Markup));
        Assert.Empty(page.FindAll("[data-testid='plan']"));
    }
}
