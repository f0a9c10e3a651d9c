using System.Collections.Concurrent;
using System.Net;
using System.Text;
using KmsConsole.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace KmsConsole.EndToEnd.Tests;

/// <summary>The console's telemetry as an operator's monitoring reads it: a Prometheus scrape and an OTLP/HTTP collector.</summary>
public sealed class TelemetryTests
{
    [Fact]
    public async Task Metrics_are_served_in_prometheus_format_with_the_rotation_metrics_when_enabled()
    {
        await using var console = await ConsoleProcess.StartAsync("--Telemetry:Prometheus=true");
        using var http = new HttpClient { BaseAddress = console.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

        var text = await ScrapeUntilAsync(http, "/metrics", "kmsconsole_notifications_outbox_backlog", "kmsconsole_inventory_keys_read");

        // The first inventory sync (just after start) read the local KMS's keys, each with a timed KMS call.
        Assert.Contains("kmsconsole_inventory_keys_read", text, StringComparison.Ordinal);
        Assert.Contains("kmsconsole_kms_call_duration_seconds_bucket", text, StringComparison.Ordinal);
        Assert.Contains("rpc_method=\"ListKeys\"", text, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^kmsconsole_notifications_outbox_backlog(\{[^}]*\})? 0( |$)", text);
        Assert.DoesNotContain("SecretAccessKey", text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Metrics_are_404_when_not_enabled()
    {
        await using var console = await ConsoleProcess.StartAsync();
        using var http = new HttpClient { BaseAddress = console.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

        using var metrics = await http.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.NotFound, metrics.StatusCode);
    }

    [Fact]
    public async Task Metrics_on_their_own_port_are_404_on_the_console_port()
    {
        var metricsPort = LoopbackPorts.Free()[0];
        await using var console = await ConsoleProcess.StartAsync(Repository.WebAssemblyPath(),
            ["--Telemetry:Prometheus=true", $"--Telemetry:PrometheusPort={metricsPort}"], new Dictionary<string, string>(),
            new Uri($"http://127.0.0.1:{metricsPort}/"));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        var text = await ScrapeUntilAsync(http, $"http://127.0.0.1:{metricsPort}/metrics", "kmsconsole_inventory_keys_read");
        using var onConsolePort = await http.GetAsync(new Uri(console.BaseAddress, "metrics"));

        Assert.Contains("kmsconsole_inventory_keys_read", text, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, onConsolePort.StatusCode);
    }

    [Fact]
    public async Task Traces_metrics_and_logs_reach_an_otlp_http_collector_when_the_endpoint_is_set()
    {
        await using var collector = await OtlpCollector.StartAsync();
        await using var console = await ConsoleProcess.StartAsync(Repository.WebAssemblyPath(), [], new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Endpoint.ToString().TrimEnd('/'),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_BLRP_SCHEDULE_DELAY"] = "200",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
        });
        using var http = new HttpClient { BaseAddress = console.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using var signIn = await http.GetAsync("/signin");

        // Protobuf carries strings as their UTF-8 bytes: the service, the instrumentation scopes and the metric names.
        var traces = await collector.WaitForAsync("/v1/traces", "Microsoft.AspNetCore", "KmsConsole.Rotation", "/signin");
        var metrics = await collector.WaitForAsync("/v1/metrics", "kmsconsole.inventory.keys.read", "kmsconsole.kms.call.duration");
        var logs = await collector.WaitForAsync("/v1/logs", "kmsconsole");

        Assert.Contains("kmsconsole", traces, StringComparison.Ordinal);
        Assert.Contains("/signin", traces, StringComparison.Ordinal);
        Assert.Contains("kmsconsole.kms.call.duration", metrics, StringComparison.Ordinal);
        Assert.NotEmpty(logs);
        Assert.False(traces.Contains("/health", StringComparison.Ordinal), $"A probe was traced: {Around(traces, "/health")}");
    }

    private static string Around(string text, string value)
    {
        var at = text.IndexOf(value, StringComparison.Ordinal);
        var start = Math.Max(0, at - 300);
        var window = text.Substring(start, Math.Min(text.Length - start, 600));
        return new string(window.Select(c => char.IsControl(c) ? '.' : c).ToArray());
    }

    private static async Task<string> ScrapeUntilAsync(HttpClient http, string url, params string[] expected)
    {
        var text = "";
        for (var attempt = 0; attempt < 60 && !expected.All(e => text.Contains(e, StringComparison.Ordinal)); attempt++)
        {
            if (attempt > 0)
            {
                await Task.Delay(500);
            }

            using var response = await http.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
            text = await response.Content.ReadAsStringAsync();
        }

        return text;
    }

    /// <summary>An OTLP/HTTP receiver on a loopback port: keeps every body posted to /v1/traces, /v1/metrics and /v1/logs.</summary>
    private sealed class OtlpCollector : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _bodies = new();

        private OtlpCollector(WebApplication app, Uri endpoint)
        {
            _app = app;
            Endpoint = endpoint;
        }

        public Uri Endpoint { get; }

        public static async Task<OtlpCollector> StartAsync()
        {
            var endpoint = new Uri($"http://127.0.0.1:{LoopbackPorts.Free()[0]}/");
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls(endpoint.ToString());
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var collector = new OtlpCollector(app, endpoint);
            app.MapPost("/v1/{signal}", async (string signal, HttpRequest request) =>
            {
                Assert.Equal("application/x-protobuf", request.ContentType);
                using var body = new MemoryStream();
                await request.Body.CopyToAsync(body);
                // Latin-1 keeps every byte as one char, so UTF-8 strings inside the protobuf are found as they are.
                collector._bodies.GetOrAdd("/v1/" + signal, _ => new()).Enqueue(Encoding.Latin1.GetString(body.ToArray()));
                return Results.Ok();
            });
            await app.StartAsync();
            return collector;
        }

        public async Task<string> WaitForAsync(string path, params string[] expected)
        {
            for (var attempt = 0; attempt < 120; attempt++)
            {
                var all = string.Concat(_bodies.GetOrAdd(path, _ => new()));
                if (all.Length > 0 && expected.All(e => all.Contains(e, StringComparison.Ordinal)))
                {
                    return all;
                }

                await Task.Delay(250);
            }

            var received = string.Concat(_bodies.GetOrAdd(path, _ => new()));
            Assert.Fail($"The collector received {received.Length} bytes on {path} without all of: {string.Join(", ", expected)}.");
            return received;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
