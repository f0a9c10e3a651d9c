using System.Collections.Concurrent;
using KmsConsole.Rotation.Iam;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Targets;

/// <summary>
/// One IAM client per target, signing with the credentials its KMS client uses, and one for applying policy grants
/// when the target names grant credentials of its own. A local endpoint serves IAM and
/// STS on its KMS address; an AWS target talks to IAM's global endpoint of its partition (IAM has no regional
/// endpoints) and to STS in the target's region.
/// </summary>
internal sealed class IamClientFactory(IOptions<RotationOptions> options, TargetCredentials credentials) : IIamClientFactory, IDisposable
{
    private readonly ConcurrentDictionary<string, IamQueryClient> _clients = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, IamQueryClient> _grantClients = new(StringComparer.OrdinalIgnoreCase);

    public IIamClient Create(string targetName)
    {
        var target = options.Value.RequireTarget(targetName);
        return _clients.GetOrAdd(target.Name, _ => new IamQueryClient(credentials.For(target), OptionsFor(target, options.Value.Orchestrator)));
    }

    public IIamClient CreateForGrants(string targetName)
    {
        var target = options.Value.RequireTarget(targetName);
        if (!target.HasGrantCredentials)
        {
            return Create(target.Name);
        }

        return _grantClients.GetOrAdd(target.Name,
            _ => new IamQueryClient(credentials.ForGrants(target), OptionsFor(target, options.Value.Orchestrator)));
    }

    internal static IamClientOptions OptionsFor(KmsTarget target, OrchestratorOptions orchestrator)
    {
        var local = string.IsNullOrWhiteSpace(target.ServiceUrl) ? null : new Uri(target.ServiceUrl);
        var (globalEndpoint, signingRegion) = GlobalEndpoint(target.Region);
        return new IamClientOptions
        {
            ServiceUrl = !string.IsNullOrWhiteSpace(target.IamServiceUrl) ? new Uri(target.IamServiceUrl) : local ?? globalEndpoint,
            SigningRegion = local is null ? signingRegion : target.Region,
            StsServiceUrl = local,
            Timeout = orchestrator.RequestTimeout,
        };
    }

    /// <summary>IAM's one endpoint per partition and the region its requests are signed for.</summary>
    internal static (Uri Endpoint, string SigningRegion) GlobalEndpoint(string region) => region switch
    {
        _ when region.StartsWith("cn-", StringComparison.Ordinal) => (new Uri("https://iam.cn-north-1.amazonaws.com.cn/"), "cn-north-1"),
        _ when region.StartsWith("us-gov-", StringComparison.Ordinal) => (new Uri("https://iam.us-gov.amazonaws.com/"), "us-gov-west-1"),
        _ => (new Uri("https://iam.amazonaws.com/"), "us-east-1"),
    };

    public void Dispose()
    {
        foreach (var client in _clients.Values.Concat(_grantClients.Values))
        {
            client.Dispose();
        }
    }
}
