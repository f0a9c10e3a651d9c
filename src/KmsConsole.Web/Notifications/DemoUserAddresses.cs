using KmsConsole.Web.SignIn;

namespace KmsConsole.Web.Notifications;

/// <summary>
/// With local sign-in the demo users are the console's people: each is recorded at start with an address at
/// <c>Notifications:DemoEmailDomain</c> (default <c>kmsconsole.local</c>), so approvers hear of a run before they ever sign in.
/// </summary>
internal sealed class DemoUserAddresses(SignInSettings signIn, ConsoleUsers users, IConfiguration configuration) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (signIn.IsExternal)
        {
            return;
        }

        var domain = configuration["Notifications:DemoEmailDomain"] ?? "kmsconsole.local";
        foreach (var demo in DemoUsers.All)
        {
            var actor = new Actor(demo.UserId, demo.DisplayName, DemoUsers.RolesOf(demo).ToHashSet(StringComparer.Ordinal));
            await users.RecordAsync(actor, $"{demo.UserId}@{domain}", cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
