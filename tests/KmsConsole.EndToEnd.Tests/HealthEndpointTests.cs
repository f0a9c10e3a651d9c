using System.Net;
using System.Text.Json;
using KmsConsole.Testing;

namespace KmsConsole.EndToEnd.Tests;

/// <summary>The console's health endpoints, as a load balancer and a container runtime call them: anonymous, JSON.</summary>
public sealed class HealthEndpointTests
{
    [Fact]
    public async Task Live_and_ready_answer_anonymously_with_json_naming_every_ready_check_and_nothing_secret()
    {
        await using var console = await ConsoleProcess.StartAsync();
        using var http = new HttpClient { BaseAddress = console.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

        using var live = await http.GetAsync("/health/live");
        using var ready = await WaitForReadyAsync(http);

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("application/json", live.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Healthy", JsonDocument.Parse(await live.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
        var body = await ready.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var checks = JsonDocument.Parse(body).RootElement.GetProperty("checks").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("status").GetString());
        Assert.Equal("Healthy", checks["database"]);
        Assert.Equal("Healthy", checks["kms-targets"]);
        Assert.Equal("Healthy", checks["orchestrator"]);
        // Checks other parts register with the ready tag show up too (the audit trail's integrity).
        Assert.True(checks.Count > 3, body);
        Assert.DoesNotContain("local-endpoint", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Data Source", body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(console.WorkingDirectory, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ready_answers_503_naming_the_kms_target_that_does_not_answer_while_live_stays_200()
    {
        var silent = LoopbackPorts.Free()[0];
        await using var console = await ConsoleProcess.StartAsync(
            "--Rotation:Targets:0:Name=prod", $"--Rotation:Targets:0:ServiceUrl=http://127.0.0.1:{silent}", "--Rotation:Targets:0:Region=eu-west-1",
            "--Rotation:Targets:0:AccessKeyId=unused", "--Rotation:Targets:0:SecretAccessKey=unused", "--Rotation:Kms:MaxRetries=0");
        using var http = new HttpClient { BaseAddress = console.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

        using var ready = await http.GetAsync("/health/ready");
        using var live = await http.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        var kms = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement.GetProperty("checks").EnumerateArray()
            .Single(c => c.GetProperty("name").GetString() == "kms-targets");
        Assert.Equal("Unhealthy", kms.GetProperty("status").GetString());
        Assert.True(kms.GetProperty("data").TryGetProperty("prod (eu-west-1)", out _));
    }

    /// <summary>The first inventory sync and the orchestrator's first poll happen just after start.</summary>
    private static async Task<HttpResponseMessage> WaitForReadyAsync(HttpClient http)
    {
        for (var attempt = 0; ; attempt++)
        {
            var response = await http.GetAsync("/health/ready");
            if (response.StatusCode == HttpStatusCode.OK || attempt == 40)
            {
                return response;
            }

            response.Dispose();
            await Task.Delay(250);
        }
    }
}
