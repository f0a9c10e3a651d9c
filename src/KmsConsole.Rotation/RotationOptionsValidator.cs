using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation;

/// <summary>
/// Checks section "Rotation" as a whole and reports every problem at once, each naming its setting, so an operator
/// fixes a configuration in one pass rather than one refusal per start.
/// </summary>
internal sealed class RotationOptionsValidator : IValidateOptions<RotationOptions>
{
    public ValidateOptionsResult Validate(string? name, RotationOptions options)
    {
        var problems = new List<string>();
        if (options.Database.Provider is not (DatabaseOptions.Sqlite or DatabaseOptions.Postgres))
        {
            problems.Add("Rotation:Database:Provider must be Sqlite or Postgres.");
        }

        if (string.IsNullOrWhiteSpace(options.Database.ConnectionString))
        {
            problems.Add("Rotation:Database:ConnectionString is required.");
        }

        for (var i = 0; i < options.Targets.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(options.Targets[i].Name))
            {
                problems.Add($"Rotation:Targets:{i}:Name is required.");
            }
        }

        foreach (var twice in options.Targets.Where(t => !string.IsNullOrWhiteSpace(t.Name))
                     .GroupBy(t => t.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            problems.Add($"Rotation:Targets names must be unique: '{twice.Key}' is used {twice.Count()} times.");
        }

        foreach (var (workflow, policy) in options.Approvals)
        {
            if (policy.RequiredApprovals < 1)
            {
                problems.Add($"Rotation:Approvals:{workflow}:RequiredApprovals must be at least 1.");
            }

            if (policy.Lifetime <= TimeSpan.Zero)
            {
                problems.Add($"Rotation:Approvals:{workflow}:Lifetime must be positive.");
            }
        }

        var orchestrator = options.Orchestrator;
        if (orchestrator.LeaseDuration <= TimeSpan.Zero)
        {
            problems.Add("Rotation:Orchestrator:LeaseDuration must be positive.");
        }

        if (orchestrator.PollInterval <= TimeSpan.Zero)
        {
            problems.Add("Rotation:Orchestrator:PollInterval must be positive.");
        }

        if (orchestrator.RunConcurrency is < 1 or > 64)
        {
            problems.Add("Rotation:Orchestrator:RunConcurrency must be 1 to 64.");
        }

        if (orchestrator.LastUseMaxAge < TimeSpan.FromMinutes(1))
        {
            problems.Add("Rotation:Orchestrator:LastUseMaxAge must be at least 00:01:00.");
        }

        if (orchestrator.MaxAttempts < 1)
        {
            problems.Add("Rotation:Orchestrator:MaxAttempts must be at least 1.");
        }

        if (options.ExemptionExpiryInterval <= TimeSpan.Zero)
        {
            problems.Add("Rotation:ExemptionExpiryInterval must be positive.");
        }

        problems.AddRange(options.Safety.Problems());

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
