using System.Globalization;
using KmsConsole.Web.Hosting;
using KmsConsole.Web.SignIn;

namespace KmsConsole.Web.Tokens;

/// <summary>
/// The operator's bootstrap of API access, for someone who holds the console's database (and its configuration):
/// <c>tokens create --user &lt;id&gt; --name &lt;name&gt; --expires &lt;days&gt; [--roles Requester,Approver]</c> prints a new
/// token once; <c>tokens list</c>; <c>tokens revoke &lt;token id&gt;</c>. Other arguments (e.g. <c>--Rotation:Database:…</c>)
/// configure the console as for a start.
/// </summary>
public static class TokensCommand
{
    public const string Name = "tokens";

    private const string Usage =
        "Usage: tokens create --user <id> --name <name> --expires <days> [--roles <Role,Role>] | tokens list | tokens revoke <token id>";

    public static bool Matches(string[] args) => args.Length > 0 && args[0] == Name;

    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        if (args.Length < 2)
        {
            output.WriteLine(Usage);
            return 2;
        }

        var verb = args[1];
        var (options, rest) = Split(args[2..], verb == "create" ? ["--user", "--name", "--expires", "--roles"] : []);
        var builder = WebApplication.CreateBuilder(rest);
        builder.Logging.ClearProviders();
        builder.AddWebConsole(rest);
        await using var app = builder.Build();
        var tokens = app.Services.GetRequiredService<PersonalAccessTokens>();
        var operatorName = $"operator:{Environment.UserName}";
        try
        {
            switch (verb)
            {
                case "create":
                    return await CreateAsync(app.Services, tokens, options, operatorName, output);
                case "list":
                    foreach (var t in await tokens.ListAllAsync())
                    {
                        var state = t.RevokedAt is not null ? $"revoked {t.RevokedAt:u}" : t.ExpiresAt <= DateTimeOffset.UtcNow ? "expired" : "active";
                        output.WriteLine(string.Join("  ", t.Id, t.UserId, $"'{t.Name}'", t.Hint, $"roles={(t.Roles.Length == 0 ? "(owner's)" : t.Roles)}",
                            $"expires={t.ExpiresAt:u}", $"last-used={(t.LastUsedAt is { } at ? $"{at:u} from {t.LastUsedFrom}" : "never")}", state));
                    }

                    return 0;
                case "revoke" when rest.Length > 0 && Guid.TryParse(rest[0], out var id):
                    var revoked = await tokens.RevokeAsOperatorAsync(id, operatorName);
                    output.WriteLine($"Revoked '{revoked.Name}' ({revoked.Hint}) of {revoked.UserId}.");
                    return 0;
                default:
                    output.WriteLine(Usage);
                    return 2;
            }
        }
        catch (RotationRefusedException refused)
        {
            output.WriteLine($"Refused: {refused.Message}");
            return 1;
        }
    }

    private static async Task<int> CreateAsync(IServiceProvider services, PersonalAccessTokens tokens, Dictionary<string, string> options,
        string operatorName, TextWriter output)
    {
        if (!options.TryGetValue("--user", out var userId) || !options.TryGetValue("--name", out var name)
            || !options.TryGetValue("--expires", out var expires) || !int.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var days))
        {
            output.WriteLine(Usage);
            return 2;
        }

        var owner = await services.GetRequiredService<TokenOwners>().CurrentAsync(userId, CancellationToken.None);
        if (owner is null)
        {
            output.WriteLine(services.GetRequiredService<SignInSettings>().IsExternal
                ? $"Refused: {userId} has never signed in to this console; a token acts with its owner's roles, so they sign in once first."
                : $"Refused: {userId} is not a demo user of local sign-in ({string.Join(", ", DemoUsers.All.Select(u => u.UserId))}).");
            return 1;
        }

        var roles = options.TryGetValue("--roles", out var list) ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : null;
        var made = await tokens.CreateAsync(owner, name, days, roles, operatorName);
        // The one place the secret is ever shown; stdout alone, so a script can capture it.
        output.WriteLine(made.Secret);
        return 0;
    }

    private static (Dictionary<string, string> Options, string[] Remaining) Split(string[] args, string[] known)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (known.Contains(args[i]) && i + 1 < args.Length)
            {
                options[args[i]] = args[++i];
            }
            else
            {
                rest.Add(args[i]);
            }
        }

        return (options, rest.ToArray());
    }
}
