using System.Globalization;
using System.Text.Json;
using KmsConsole.Testing;

namespace KmsConsole.LocalKms.Tests.External.Workshop;

/// <summary>
/// The machine's own AWS CLI pointed at an endpoint, with test credentials and empty config files
/// so nothing of the user's AWS setup leaks in (or out).
/// </summary>
public sealed class AwsCli
{
    private readonly string _aws;
    private readonly Uri _endpoint;
    private readonly string _workingDirectory;
    private readonly Dictionary<string, string> _environment;
    private readonly Action<string> _log;

    public AwsCli(string awsPath, Uri endpoint, string workingDirectory, Action<string> log)
    {
        _aws = awsPath;
        _endpoint = endpoint;
        _workingDirectory = workingDirectory;
        _log = log;
        var config = Path.Combine(workingDirectory, ".aws-config");
        var credentials = Path.Combine(workingDirectory, ".aws-credentials");
        File.WriteAllText(config, string.Empty);
        File.WriteAllText(credentials, string.Empty);
        _environment = new Dictionary<string, string>
        {
            ["AWS_ACCESS_KEY_ID"] = "AKIDLOCAL",
            ["AWS_SECRET_ACCESS_KEY"] = "local-secret",
            ["AWS_CONFIG_FILE"] = config,
            ["AWS_SHARED_CREDENTIALS_FILE"] = credentials,
            ["AWS_EC2_METADATA_DISABLED"] = "true",
            ["AWS_PAGER"] = string.Empty,
        };
    }

    /// <summary>Runs <c>aws kms &lt;arguments&gt;</c>; fails the test with the CLI's output on a non-zero exit.</summary>
    public async Task<JsonElement?> KmsAsync(params string[] arguments)
    {
        var result = await RunAsync(arguments);
        Assert.True(result.Succeeded, $"the workshop command failed:\n{result}");
        var output = result.StandardOutput.Trim();
        if (output.Length == 0)
        {
            return null;
        }

        using var document = JsonDocument.Parse(output);
        return document.RootElement.Clone();
    }

    /// <summary>Runs <c>aws kms &lt;arguments&gt;</c> and returns the result whatever the exit code.</summary>
    public async Task<ToolResult> RunAsync(params string[] arguments)
    {
        string[] all = ["kms", .. arguments, "--endpoint-url", _endpoint.ToString(), "--region", "us-east-1", "--output", "json"];
        var result = await ExternalTool.RunAsync(_aws, all, _workingDirectory, _environment, TimeSpan.FromMinutes(2));
        _log($"$ aws {string.Join(' ', arguments)}  → exit {result.ExitCode}");
        return result;
    }

    /// <summary>The CLI prints timestamps as epoch seconds (v1's default) or ISO 8601 (cli_timestamp_format=iso8601).</summary>
    public static DateTimeOffset Timestamp(JsonElement value) =>
        value.ValueKind == JsonValueKind.Number
            ? DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(value.GetDouble() * 1000))
            : DateTimeOffset.Parse(value.GetString()!, CultureInfo.InvariantCulture);
}
