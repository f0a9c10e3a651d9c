using Bunit;
using KmsConsole.Rotation;
using KmsConsole.Web.Components.Tokens;

namespace KmsConsole.Web.Tests.Components.Tokens;

/// <summary>The new-token form shows each refusal of <see cref="PersonalAccessTokens"/> next to its field and makes no token.</summary>
public sealed class AccessTokenFormTests : PageTest
{
    protected override bool RunOrchestrator => false;

    [Theory]
    [InlineData("", "30", "token-name", "Give the token a name of 1 to 100 characters")]
    [InlineData("   ", "30", "token-name", "Give the token a name of 1 to 100 characters")]
    [InlineData("pipeline", "0", "token-days", "A token expires after 1 to 365 days; 0 is outside that.")]
    [InlineData("pipeline", "400", "token-days", "A token expires after 1 to 365 days; 400 is outside that.")]
    public async Task A_refused_token_shows_the_problem_at_its_field_and_none_is_made(string name, string days, string field, string problem)
    {
        SignInAs("rita");
        var page = Render<AccessTokensPage>();
        page.WaitForAssertion(() => page.Find("[data-testid='token-name']"), TimeSpan.FromSeconds(10));
        page.ChangeField("token-name", name);
        page.ChangeField("token-days", days);

        page.ClickButton("Make token");

        page.WaitForAssertion(() => Assert.Contains(problem, page.Find($"[data-testid='{field}']").Closest(".mud-input-control")!.TextContent, StringComparison.Ordinal),
            TimeSpan.FromSeconds(10));
        Assert.Empty(page.FindAll("[data-testid='token-refusal']"));
        Assert.Empty(page.FindAll("[data-testid='token-created']"));
        Assert.Empty(await World.Get<PersonalAccessTokens>().ListOwnAsync(ActorOf("rita")));
        Assert.Contains($"/ {PersonalAccessTokens.MaxNameLength}", page.Find("[data-testid='token-name']").Closest(".mud-input-control")!.TextContent, StringComparison.Ordinal);
    }
}
