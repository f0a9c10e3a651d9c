using KmsConsole.Rotation.Persistence;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Audit;

/// <summary>
/// "audit-integrity" (tag "ready"): checks the append-only protection on every probe (restoring it if it was
/// removed) and reports Degraded while any alarm of <see cref="AuditIntegrity"/> is raised.
/// </summary>
public sealed class AuditIntegrityHealthCheck(AuditTamperCheck tamper, AuditIntegrity integrity) : IHealthCheck
{
    public const string Name = "audit-integrity";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        await tamper.EnsureAppendOnlyAsync(cancellationToken);
        var data = new Dictionary<string, object>();
        if (integrity.VerifiedHead is { } head)
        {
            data["verifiedHead"] = head.ToString();
        }

        if (integrity.LastChainCheck is { } checkedAt)
        {
            data["lastChainCheck"] = checkedAt.ToString("u", System.Globalization.CultureInfo.InvariantCulture);
        }

        var alarms = integrity.Alarms;
        return alarms.Count == 0
            ? HealthCheckResult.Healthy("The audit table is append-only and its chain verified.", data)
            : HealthCheckResult.Degraded(string.Join(" ", alarms.Select(a => $"[{a.Time:u}] {a.Message}")), data: data);
    }
}

public static class AuditIntegrityServices
{
    /// <summary>The tamper check, the background chain watch (unless Rotation:AuditWatch:Enabled is false) and the health check.</summary>
    public static IServiceCollection AddAuditIntegrity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AuditWatchOptions>()
            .Bind(configuration.GetSection(AuditWatchOptions.SectionName))
            .Validate(o => o.Interval > TimeSpan.Zero && o.FullWalkEvery > TimeSpan.Zero, "Rotation:AuditWatch needs a positive Interval and FullWalkEvery.")
            .ValidateOnStart();
        services.TryAddSingleton<AuditIntegrity>();
        services.AddSingleton(sp => new AuditTamperCheck(sp.GetRequiredService<RotationStore>(), sp.GetRequiredService<AuditIntegrity>(),
            sp.GetRequiredService<ILogger<AuditTamperCheck>>()));
        services.AddSingleton<AuditChainWatch>();
        if (configuration.GetSection(AuditWatchOptions.SectionName).Get<AuditWatchOptions>()?.Enabled ?? true)
        {
            services.AddHostedService(sp => sp.GetRequiredService<AuditChainWatch>());
        }

        services.AddHealthChecks().AddCheck<AuditIntegrityHealthCheck>(AuditIntegrityHealthCheck.Name, tags: ["ready"]);
        return services;
    }
}
