using KmsConsole.LocalKms.Hosting;

// Standalone local KMS endpoint: dotnet run --project src/KmsConsole.LocalKms -- --help
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(StandaloneHost.Help);
    return 0;
}

StandaloneHost host;
try
{
    host = StandaloneHost.Read(args, AppContext.BaseDirectory);
}
catch (ArgumentException error)
{
    Console.Error.WriteLine(error.Message);
    return 2;
}

if (!StandaloneHost.IsLoopbackOnly(host.Url))
{
    if (!host.AllowRemote)
    {
        Console.Error.WriteLine($"Refusing to listen on {host.Url}: not a loopback address. Start with --allow-remote to accept callers from other machines.");
        return 1;
    }

    Console.Error.WriteLine(host.Options.Authentication.AnyCredentials
        ? $"WARNING: listening on {host.Url} with LocalKms:Authentication:AnyCredentials=true: any caller that can reach it may use every key."
        : $"WARNING: listening on {host.Url}: any caller that can reach it and knows a registered credential (AKIDLOCAL/local-secret is documented) may use every key.");
}

await using var server = await LocalKmsServer.StartAsync(host.Options, host.Url);
var options = host.Options;
Console.WriteLine($"Local KMS endpoint listening on {server.Endpoint} (data: {Path.GetFullPath(options.DataDirectory)}, region {options.Region}, account {options.AccountId}).");
Console.WriteLine($"Move its clock: curl -X POST {server.Endpoint}_localkms/clock -d '{{\"advanceDays\":366}}'");
await server.WaitForShutdownAsync();
return 0;
