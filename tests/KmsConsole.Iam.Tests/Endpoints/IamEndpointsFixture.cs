using KmsConsole.LocalKms.Iam;
using KmsConsole.Testing;

namespace KmsConsole.Iam.Tests.Endpoints;

/// <summary>
/// Starts the local IAM endpoint (fresh data folder) and, where it is installed, moto_server, once for all tests
/// of the collection; stops both afterwards.
/// </summary>
public sealed class IamEndpointsFixture : IAsyncLifetime
{
    private MotoServer? _moto;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "kmsconsole-iam-tests-" + Guid.NewGuid().ToString("N"));

    public LocalIamServer LocalServer { get; private set; } = null!;

    public IamTarget LocalTarget { get; private set; } = null!;

    public IamTarget? MotoTarget { get; private set; }

    /// <summary>Why the moto side is skipped, when it is.</summary>
    public string? MotoUnavailable { get; private set; }

    public async Task InitializeAsync()
    {
        LocalServer = await LocalIamServer.StartAsync(DataDirectory);
        LocalTarget = new IamTarget(IamTarget.Local, LocalServer.Endpoint, LocalServer.Options.AccountId);

        if (MotoServer.Locate() is not { } executable)
        {
            MotoUnavailable = "moto_server is not installed (set MOTO_SERVER or put it on PATH; .ci/run installs the test tools)";
            return;
        }

        try
        {
            _moto = await MotoServer.StartAsync(executable);
            MotoTarget = new IamTarget(IamTarget.Moto, _moto.Endpoint, MotoServer.AccountId);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
            MotoUnavailable = $"moto_server could not be started: {ex.Message}";
        }
    }

    /// <summary>The target by name; skips the calling test when moto is asked for and absent.</summary>
    public IamTarget Get(string name)
    {
        if (name == IamTarget.Local)
        {
            return LocalTarget;
        }

        Skip.If(MotoTarget is null, MotoUnavailable ?? "moto_server unavailable");
        return MotoTarget!;
    }

    public async Task DisposeAsync()
    {
        LocalTarget?.Dispose();
        MotoTarget?.Dispose();
        if (_moto is not null)
        {
            await _moto.DisposeAsync();
        }

        if (LocalServer is not null)
        {
            await LocalServer.DisposeAsync();
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a closing SQLite connection; the temp folder is cleaned by the OS.
        }
    }
}

[CollectionDefinition(Name)]
public sealed class IamEndpointsCollection : ICollectionFixture<IamEndpointsFixture>
{
    public const string Name = "IAM endpoints";
}
