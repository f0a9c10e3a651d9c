using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Tests.Safety;

public sealed class SafetyOptionsTests
{
    [Fact]
    public void Bad_safety_settings_are_refused_at_start_each_naming_its_setting()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Rotation:Database:ConnectionString"] = "Data Source=unused.db",
            ["Rotation:Targets:0:Name"] = "prod",
            ["Rotation:Safety:RecentUseDays"] = "-1",
            ["Rotation:Safety:RetirementWatchDays"] = "-14",
            ["Rotation:Safety:RetirementCheckInterval"] = "00:00:00",
        });
        builder.AddRotation();
        using var host = builder.Build();

        var refused = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<RotationOptions>>().Value);

        Assert.Equal(
            [
                "Rotation:Safety:RecentUseDays must not be negative.",
                "Rotation:Safety:RetirementWatchDays must not be negative.",
                "Rotation:Safety:RetirementCheckInterval must be positive.",
            ], refused.Failures);
    }
}
