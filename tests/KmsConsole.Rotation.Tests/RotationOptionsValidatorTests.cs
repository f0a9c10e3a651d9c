using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Tests;

/// <summary>Section "Rotation" is checked as a whole: every problem is reported at once, each naming its setting.</summary>
public sealed class RotationOptionsValidatorTests
{
    [Fact]
    public void Every_problem_of_the_section_is_reported_at_once_each_naming_its_setting()
    {
        using var host = HostWith(new Dictionary<string, string?>
        {
            ["Rotation:Database:Provider"] = "Oracle",
            ["Rotation:Database:ConnectionString"] = " ",
            ["Rotation:Targets:0:Name"] = "prod",
            ["Rotation:Targets:1:Name"] = "PROD",
            ["Rotation:Targets:2:Region"] = "eu-west-1",
            ["Rotation:Approvals:AliasSwapNewKey:RequiredApprovals"] = "0",
            ["Rotation:Orchestrator:MaxAttempts"] = "0",
            ["Rotation:Orchestrator:PollInterval"] = "00:00:00",
            ["Rotation:ExemptionExpiryInterval"] = "-00:00:01",
        });

        var refused = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<RotationOptions>>().Value);

        Assert.Equal(
            [
                "Rotation:Database:Provider must be Sqlite or Postgres.",
                "Rotation:Database:ConnectionString is required.",
                "Rotation:Targets:2:Name is required.",
                "Rotation:Targets names must be unique: 'prod' is used 2 times.",
                "Rotation:Approvals:AliasSwapNewKey:RequiredApprovals must be at least 1.",
                "Rotation:Orchestrator:PollInterval must be positive.",
                "Rotation:Orchestrator:MaxAttempts must be at least 1.",
                "Rotation:ExemptionExpiryInterval must be positive.",
            ],
            refused.Failures);
    }

    [Fact]
    public void A_valid_section_passes()
    {
        using var host = HostWith(new Dictionary<string, string?>
        {
            ["Rotation:Database:ConnectionString"] = "Data Source=unused.db",
            ["Rotation:Targets:0:Name"] = "prod",
        });

        Assert.Equal("prod", Assert.Single(host.Services.GetRequiredService<IOptions<RotationOptions>>().Value.Targets).Name);
    }

    private static IHost HostWith(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddRotation();
        return builder.Build();
    }
}
