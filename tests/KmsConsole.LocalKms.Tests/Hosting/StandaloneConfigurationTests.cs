using System.Net;
using System.Net.Sockets;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Tests.Support;
using KmsConsole.Testing;

namespace KmsConsole.LocalKms.Tests.Hosting;

/// <summary>The standalone program (its own process) reads ordinary ASP.NET Core configuration and guards its listener.</summary>
public sealed class StandaloneConfigurationTests
{
    private static string Program => Path.Combine(AppContext.BaseDirectory, "KmsConsole.LocalKms.dll");

    [Fact]
    public async Task Help_prints_the_options_and_exits_0()
    {
        var result = await ExternalTool.RunAsync("dotnet", [Program, "--help"], timeout: TimeSpan.FromMinutes(1));

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("--allow-remote", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("LocalKms:Faults:ThrottlingShare", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("LocalKms:Authentication:AnyCredentials", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Command_line_keys_and_environment_variables_set_LocalKms_options()
    {
        var data = Directory.CreateTempSubdirectory("kms-standalone-config-");
        try
        {
            await using var process = await LocalKmsProcess.StartAsync(data.FullName, seed: false,
                new Dictionary<string, string>
                {
                    ["LocalKms__Quotas__Enabled"] = "true",
                    ["LocalKms__Quotas__RequestsPerSecond__CreateKey"] = "0.01",
                    ["LocalKms__Quotas__RequestsPerSecond__GenerateDataKeyPair_ECC_NIST_P256"] = "0.01",
                },
                ["--LocalKms:AccountId=444455556666"]);
            using var kms = KmsTestEndpoint.CreateClient(process.Endpoint);
            GenerateDataKeyPairRequest Pair(string keyId) => new() { KeyId = keyId, KeyPairSpec = DataKeyPairSpec.ECC_NIST_P256 };

            var created = (await kms.CreateKeyAsync(new CreateKeyRequest { Description = "first" })).KeyMetadata;
            var throttled = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => kms.CreateKeyAsync(new CreateKeyRequest { Description = "second" }));
            await kms.GenerateDataKeyPairAsync(Pair(created.KeyId));
            var pairThrottled = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => kms.GenerateDataKeyPairAsync(Pair(created.KeyId)));

            Assert.Equal("444455556666", created.AWSAccountId);
            Assert.Equal("ThrottlingException", throttled.ErrorCode);
            Assert.Equal("ThrottlingException", pairThrottled.ErrorCode);
        }
        finally
        {
            data.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_non_loopback_address_is_refused_without_allow_remote()
    {
        var data = Directory.CreateTempSubdirectory("kms-standalone-remote-");
        try
        {
            var port = LoopbackPorts.Free()[0];
            var result = await ExternalTool.RunAsync("dotnet", [Program, "--urls", $"http://0.0.0.0:{port}", "--data", data.FullName], timeout: TimeSpan.FromMinutes(1));

            Assert.Equal(1, result.ExitCode);
            Assert.Contains("--allow-remote", result.StandardError, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(data.FullName, "localkms.db")), "nothing was opened");
        }
        finally
        {
            data.Delete(recursive: true);
        }
    }

    [SkippableFact]
    public async Task With_allow_remote_it_warns_and_its_clock_answers_only_loopback_callers()
    {
        var address = Dns.GetHostAddresses(Dns.GetHostName()).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        Skip.If(address is null, "This machine has no non-loopback IPv4 address to call the endpoint from.");
        var data = Directory.CreateTempSubdirectory("kms-standalone-clock-");
        try
        {
            var port = LoopbackPorts.Free()[0];
            var start = new System.Diagnostics.ProcessStartInfo("dotnet")
            {
                ArgumentList = { Program, "--urls", $"http://0.0.0.0:{port}", "--allow-remote", "--data", data.FullName, "--no-seed" },
            };
            await using var server = ChildServer.Start("the local endpoint", start);
            using var http = new HttpClient();
            await server.WaitUntilAnsweringAsync(async ct =>
            {
                try
                {
                    await http.GetAsync($"http://127.0.0.1:{port}/_localkms/clock", ct);
                    return true;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, TimeSpan.FromMinutes(1));

            var fromLoopback = await http.GetAsync($"http://127.0.0.1:{port}/_localkms/clock");
            var fromNetwork = await http.GetAsync($"http://{address}:{port}/_localkms/clock");

            Assert.Equal(HttpStatusCode.OK, fromLoopback.StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, fromNetwork.StatusCode);
            Assert.Contains("WARNING", server.Log, StringComparison.Ordinal);
        }
        finally
        {
            data.Delete(recursive: true);
        }
    }
}
