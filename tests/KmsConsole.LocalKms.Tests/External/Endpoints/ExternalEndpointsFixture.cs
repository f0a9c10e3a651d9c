using KmsConsole.Testing;

namespace KmsConsole.LocalKms.Tests.External.Endpoints;

/// <summary>
/// Starts, once for all external checks, the local KMS endpoint (in-process, empty data folder,
/// no seed) and a moto_server child process. A missing moto_server skips the moto cases with the
/// reason; a moto_server that is present but fails to start fails them.
/// </summary>
public sealed class ExternalEndpointsFixture : IAsyncLifetime
{
    private LocalKmsEndpoint? _local;
    private Exception? _localFailure;
    private MotoServer? _moto;
    private Exception? _motoFailure;
    private string? _motoSkipReason;
    private readonly Dictionary<string, KmsTarget> _targets = [];

    public async Task InitializeAsync()
    {
        try
        {
            _local = await LocalKmsEndpoint.StartAsync(seed: false);
            _targets[KmsTarget.Local] = new KmsTarget(KmsTarget.Local, _local.Endpoint);
        }
        catch (Exception ex)
        {
            _localFailure = ex;
        }

        var motoServer = MotoServer.Locate();
        if (motoServer is null)
        {
            _motoSkipReason = "moto_server is not installed (pip install 'moto[server]'); the moto cross-check needs it.";
            return;
        }

        try
        {
            _moto = await MotoServer.StartAsync(motoServer);
            _targets[KmsTarget.Moto] = new KmsTarget(KmsTarget.Moto, _moto.Endpoint);
        }
        catch (Exception ex)
        {
            _motoFailure = ex;
        }
    }

    /// <summary>The target by name; skips the test where the target's program is absent.</summary>
    public KmsTarget Get(string name)
    {
        switch (name)
        {
            case KmsTarget.Local:
                if (_localFailure is SkipException skip)
                {
                    throw skip;
                }

                if (_localFailure is not null)
                {
                    throw new InvalidOperationException("The local KMS endpoint did not start.", _localFailure);
                }

                break;
            case KmsTarget.Moto:
                Skip.If(_motoSkipReason is not null, _motoSkipReason);
                if (_motoFailure is not null)
                {
                    throw new InvalidOperationException("moto_server is installed but did not start.", _motoFailure);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(name), name, "unknown target");
        }

        return _targets[name];
    }

    public async Task DisposeAsync()
    {
        foreach (var target in _targets.Values)
        {
            target.Dispose();
        }

        if (_moto is not null)
        {
            await _moto.DisposeAsync();
        }

        if (_local is not null)
        {
            await _local.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ExternalEndpointsCollection : ICollectionFixture<ExternalEndpointsFixture>
{
    public const string Name = "External KMS endpoints";
}
