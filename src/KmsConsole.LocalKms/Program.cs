using KmsConsole.LocalKms.Hosting;

// Standalone local KMS endpoint:
//   dotnet run --project src/KmsConsole.LocalKms -- [--urls http://127.0.0.1:4599] [--data data] [--no-seed] [--enforce-iam]
var options = new LocalKmsOptions();
var url = "http://127.0.0.1:4599";
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--urls" when i + 1 < args.Length:
            url = args[++i];
            break;
        case "--data" when i + 1 < args.Length:
            options.DataDirectory = args[++i];
            break;
        case "--no-seed":
            options.Seed = false;
            break;
        case "--enforce-iam":
            options.Iam.EnforceKmsPermissions = true;
            break;
        case "--region" when i + 1 < args.Length:
            options.Region = args[++i];
            break;
        case "--account" when i + 1 < args.Length:
            options.AccountId = args[++i];
            break;
        default:
            Console.Error.WriteLine($"Unknown argument '{args[i]}'. Usage: [--urls http://127.0.0.1:4599] [--data <dir>] [--no-seed] [--enforce-iam] [--region us-east-1] [--account 111122223333]");
            return 2;
    }
}

await using var server = await LocalKmsServer.StartAsync(options, url);
Console.WriteLine($"Local KMS endpoint listening on {server.Endpoint} (data: {Path.GetFullPath(options.DataDirectory)}, region {options.Region}, account {options.AccountId}).");
Console.WriteLine($"Move its clock: curl -X POST {server.Endpoint}_localkms/clock -d '{{\"advanceDays\":366}}'");
await server.WaitForShutdownAsync();
return 0;
