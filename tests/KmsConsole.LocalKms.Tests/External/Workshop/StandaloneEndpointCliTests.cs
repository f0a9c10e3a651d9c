using KmsConsole.LocalKms.Tests.External.Endpoints;
using KmsConsole.Testing;
using Xunit.Abstractions;

namespace KmsConsole.LocalKms.Tests.External.Workshop;

/// <summary>
/// The endpoint run standalone with its documented switches, driven by the machine's aws CLI:
/// the seeded workshop world, --no-seed, and state kept across a restart on the same --data folder.
/// </summary>
[Collection(ExternalEndpointsCollection.Name)]
public sealed class StandaloneEndpointCliTests(ITestOutputHelper output)
{
    private static readonly Lazy<string?> Aws = new(() => ExternalTool.Find("aws"));

    [SkippableFact]
    public async Task The_standalone_endpoint_seeds_the_workshop_world_and_keeps_it_across_a_restart()
    {
        Skip.If(Aws.Value is null, "The AWS CLI (aws) is not installed; this test drives the standalone endpoint with it (.ci/run installs awscli).");
        var data = Directory.CreateTempSubdirectory("kms-standalone-");
        var work = Directory.CreateTempSubdirectory("kms-standalone-cli-");
        try
        {
            string createdKeyId;
            await using (var first = await LocalKmsProcess.StartAsync(data.FullName, seed: true))
            {
                var aws = new AwsCli(Aws.Value!, first.Endpoint, work.FullName, output.WriteLine);
                var aliases = await AliasTargetsAsync(aws);
                Assert.True(aliases.ContainsKey("alias/FirstCMK"), "the seed has alias/FirstCMK");
                Assert.True(aliases.ContainsKey("alias/ImportedCMK"), "the seed has alias/ImportedCMK");
                var imported = (await aws.KmsAsync("describe-key", "--key-id", "alias/ImportedCMK"))!.Value.GetProperty("KeyMetadata");
                Assert.Equal("EXTERNAL", imported.GetProperty("Origin").GetString());
                Assert.Equal("Enabled", imported.GetProperty("KeyState").GetString());
                var firstCmk = (await aws.KmsAsync("describe-key", "--key-id", "alias/FirstCMK"))!.Value.GetProperty("KeyMetadata");
                Assert.Equal("AWS_KMS", firstCmk.GetProperty("Origin").GetString());

                createdKeyId = (await aws.KmsAsync("create-key", "--description", "kept across restart"))!.Value
                    .GetProperty("KeyMetadata").GetProperty("KeyId").GetString()!;
                await aws.KmsAsync("create-alias", "--alias-name", "alias/kept", "--target-key-id", createdKeyId);
            }

            // Same data folder, no seed switch needed: nothing is lost and nothing is seeded twice.
            await using (var second = await LocalKmsProcess.StartAsync(data.FullName, seed: true))
            {
                var aws = new AwsCli(Aws.Value!, second.Endpoint, work.FullName, output.WriteLine);
                var aliases = await AliasTargetsAsync(aws);
                Assert.Equal(createdKeyId, aliases["alias/kept"]);
                var keys = (await aws.KmsAsync("list-keys"))!.Value.GetProperty("Keys").GetArrayLength();
                Assert.Equal(3, keys);
                var kept = (await aws.KmsAsync("describe-key", "--key-id", "alias/kept"))!.Value.GetProperty("KeyMetadata");
                Assert.Equal("kept across restart", kept.GetProperty("Description").GetString());
            }
        }
        finally
        {
            data.Delete(recursive: true);
            work.Delete(recursive: true);
        }
    }

    [SkippableFact]
    public async Task The_standalone_endpoint_with_no_seed_starts_empty()
    {
        Skip.If(Aws.Value is null, "The AWS CLI (aws) is not installed; this test drives the standalone endpoint with it (.ci/run installs awscli).");
        var data = Directory.CreateTempSubdirectory("kms-standalone-");
        var work = Directory.CreateTempSubdirectory("kms-standalone-cli-");
        try
        {
            await using var server = await LocalKmsProcess.StartAsync(data.FullName, seed: false);
            var aws = new AwsCli(Aws.Value!, server.Endpoint, work.FullName, output.WriteLine);

            Assert.Equal(0, (await aws.KmsAsync("list-keys"))!.Value.GetProperty("Keys").GetArrayLength());
            Assert.DoesNotContain("alias/FirstCMK", (await AliasTargetsAsync(aws)).Keys);
            var missing = await aws.RunAsync("describe-key", "--key-id", "alias/FirstCMK");
            Assert.NotEqual(0, missing.ExitCode);
            Assert.Contains("NotFoundException", missing.StandardError, StringComparison.Ordinal);
        }
        finally
        {
            data.Delete(recursive: true);
            work.Delete(recursive: true);
        }
    }

    private static async Task<Dictionary<string, string>> AliasTargetsAsync(AwsCli aws) =>
        (await aws.KmsAsync("list-aliases"))!.Value.GetProperty("Aliases").EnumerateArray()
            .Where(a => a.TryGetProperty("TargetKeyId", out _))
            .ToDictionary(a => a.GetProperty("AliasName").GetString()!, a => a.GetProperty("TargetKeyId").GetString()!);
}
