using KmsConsole.Rotation;
using KmsConsole.Web.SignIn;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace KmsConsole.Web.Tests;

/// <summary>A page rendered over a fresh <see cref="ConsoleWorld"/> (real local KMS, real Rotation services).</summary>
public abstract class PageTest : ConsoleTestContext
{
    protected ConsoleWorld World { get; private set; } = default!;

    protected virtual bool RunOrchestrator => true;

    /// <summary>See <see cref="ConsoleWorld.StartAsync"/>'s actAsWorkshopRole.</summary>
    protected virtual bool ActAsWorkshopRole => false;

    /// <summary>More configuration for the world, see <see cref="ConsoleWorld.StartAsync"/>.</summary>
    protected virtual IDictionary<string, string?>? Settings => null;

    /// <summary>See <see cref="ConsoleWorld.StartAsync"/>'s moreTargets.</summary>
    protected virtual IReadOnlyDictionary<string, string>? MoreTargets => null;

    public override async Task InitializeAsync()
    {
        World = await ConsoleWorld.StartAsync(RunOrchestrator, ActAsWorkshopRole, Settings, MoreTargets);
        World.ServeTo(Services);
    }

    protected override async Task DisposeWorldAsync()
    {
        if (World is not null)
        {
            await World.DisposeAsync();
        }
    }

    protected static Actor ActorOf(string userId) => ConsoleActor.From(LocalSignIn.PrincipalFor(DemoUsers.Find(userId)!));

    protected Task<KeySnapshot> KeyAsync(string alias) => Keys.ByAliasAsync(World, alias);

    protected async Task<Run> RequestAsync(string userId, WorkflowKind workflow, string alias, RotationParameters? parameters = null, string justification = "Yearly rotation of the workshop key")
    {
        var request = new RotationRequest(ConsoleWorld.Target, alias, workflow, parameters ?? new RotationParameters(), justification);
        return await World.Get<RotationRequests>().SubmitAsync(ActorOf(userId), request);
    }

    protected void NavigateTo(string relativeUri) => Services.GetRequiredService<NavigationManager>().NavigateTo(relativeUri);

    protected string CurrentUri => Services.GetRequiredService<NavigationManager>().Uri;
}

internal static class Keys
{
    public static async Task<KeySnapshot> ByAliasAsync(ConsoleWorld world, string alias)
    {
        var page = await world.Get<KeyInventory>().QueryAsync(new KeyQuery { Search = alias, Page = 0, PageSize = 10 });
        return page.Items.Single(k => k.Aliases.Contains(alias));
    }
}
