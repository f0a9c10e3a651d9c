using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace KmsConsole.Rotation.Tests.Persistence;

/// <summary>The same orchestrator on PostgreSQL (Rotation:Database:Provider = Postgres), on a throwaway local cluster.</summary>
public sealed class PostgresTests
{
    [SkippableFact]
    public async Task An_alias_swap_runs_on_postgres_with_its_own_migrations_and_an_intact_audit_chain()
    {
        await using var cluster = await TemporaryPostgres.StartAsync();
        await using var world = await RotationWorld.StartAsync(database: new DatabaseOptions { Provider = DatabaseOptions.Postgres, ConnectionString = cluster.ConnectionString });
        var (_, alias) = await world.NewAwsKeyAsync();

        var run = await world.DriveAsync((await world.SubmitAsync(alias, WorkflowKind.AliasSwapNewKey)).Id);

        Assert.Equal(RunState.Succeeded, run.State);
        Assert.Equal(run.NewKeyId, (await world.DescribeAsync(alias)).KeyId);
        Assert.True((await world.Audit.VerifyAsync(RotationWorld.Erin)).Intact);
        Assert.Single((await world.Runs.ListAsync(new RunFilter { Key = alias }, 0, 10)).Items);
        await Assert.ThrowsAsync<RotationRefusedException>(() => world.Requests.RequestRollBackAsync(RotationWorld.Alice, Guid.NewGuid(), "x"));
        await using var connection = new Npgsql.NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync();
        await using var tamper = new Npgsql.NpgsqlCommand("""UPDATE "AuditEvents" SET "Actor" = 'mallory'""", connection);
        var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => tamper.ExecuteNonQueryAsync());
        Assert.Contains("append-only", refused.MessageText);
    }

    internal sealed class TemporaryPostgres : IAsyncDisposable
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
            var port = FreePort();
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

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
