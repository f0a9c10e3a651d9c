using System.Diagnostics;

using Xunit;

namespace KmsConsole.Testing;

/// <summary>
/// A throwaway PostgreSQL cluster on 127.0.0.1 on a free port (initdb, pg_ctl; as the postgres user when run as root),
/// for the tests that need a real server; the test is skipped, saying why, where the server binaries are absent.
/// </summary>
public sealed class TemporaryPostgres : IAsyncDisposable
{
    private readonly string _directory;

    private TemporaryPostgres(string directory, int port)
    {
        _directory = directory;
        ConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=false";
    }

    public string ConnectionString { get; }

    public static async Task<TemporaryPostgres> StartAsync()
    {
        var initdb = Find("initdb");
        var pgCtl = Find("pg_ctl");
        Skip.If(initdb is null || pgCtl is null, "PostgreSQL server binaries (initdb, pg_ctl) are not installed.");
        var asRoot = Environment.UserName == "root";
        Skip.If(asRoot && Find("runuser") is null, "Running as root without runuser to start PostgreSQL as the postgres user.");
        var directory = Directory.CreateTempSubdirectory("kmsconsole-pg-").FullName;
        var port = LoopbackPorts.Free()[0];
        if (asRoot)
        {
            await RunAsync("chown", $"postgres \"{directory}\"");
        }

        var data = Path.Combine(directory, "data");
        await RunAsync(initdb!, $"-D \"{data}\" -U postgres --auth=trust -E UTF8", asRoot);
        await RunAsync(pgCtl!, $"-D \"{data}\" -l \"{Path.Combine(directory, "log")}\" -w -o \"-p {port} -k {directory} -c listen_addresses=127.0.0.1\" start", asRoot);
        return new TemporaryPostgres(directory, port);
    }

    public async ValueTask DisposeAsync()
    {
        Npgsql.NpgsqlConnection.ClearAllPools();
        await RunAsync(Find("pg_ctl")!, $"-D \"{Path.Combine(_directory, "data")}\" -m immediate -w stop", Environment.UserName == "root");
        Directory.Delete(_directory, recursive: true);
    }

    private static string? Find(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")) : [])
            .Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);

    private static async Task RunAsync(string file, string arguments, bool asPostgres = false)
    {
        var start = asPostgres
            ? new ProcessStartInfo(Find("runuser")!, $"-u postgres -- \"{file}\" {arguments}")
            : new ProcessStartInfo(file, arguments);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Skip.If(process.ExitCode != 0, $"Could not run {Path.GetFileName(file)}: {await error}{await output}");
    }
}
