using System.Diagnostics;
using System.Text;

namespace KmsConsole.Testing;

/// <summary>Result of one run of an external program.</summary>
public sealed record ToolResult(string Command, int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;

    public override string ToString() =>
        $"$ {Command}\nexit {ExitCode}\nstdout: {StandardOutput.Trim()}\nstderr: {StandardError.Trim()}";
}

/// <summary>
/// Finds and runs the machine's own programs (aws, openssl, moto_server). Tests that need one
/// skip with the reason when it is absent.
/// </summary>
public static class ExternalTool
{
    private static readonly string[] ExtraDirectories =
    [
        "/root/.pyenv/shims",
        "/usr/local/bin",
        "/usr/bin",
    ];

    /// <summary>Absolute path of <paramref name="name"/> on PATH (or a well-known folder), or null.</summary>
    public static string? Find(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        var folders = path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Concat(ExtraDirectories);
        foreach (var folder in folders)
        {
            var candidate = Path.Combine(folder, name);
            if (File.Exists(candidate) && Works(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    // A pyenv shim exists even when the program is not installed in the active Python; ask it.
    private static bool Works(string candidate)
    {
        try
        {
            var result = RunAsync(candidate, ["--version"], timeout: TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
            if (result.ExitCode == 0)
            {
                return true;
            }

            // moto_server has no --version; --help proves it starts.
            result = RunAsync(candidate, ["--help"], timeout: TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
            return result.ExitCode == 0;
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or TimeoutException)
        {
            return false;
        }
    }

    public static async Task<ToolResult> RunAsync(
        string fileName,
        IReadOnlyList<string> arguments,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (environment is not null)
        {
            foreach (var (name, value) in environment)
            {
                start.Environment[name] = value;
            }
        }

        var command = $"{Path.GetFileName(fileName)} {string.Join(' ', arguments.Select(Quote))}";
        using var process = new Process { StartInfo = start };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (stdout) { stdout.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (stderr) { stderr.AppendLine(e.Data); } } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout ?? TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeoutSource.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{command}' did not finish within {timeout ?? TimeSpan.FromMinutes(2)}.");
        }

        // WaitForExitAsync returns after the output streams close, so both buffers are complete.
        return new ToolResult(command, process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    private static string Quote(string argument) =>
        argument.Length == 0 || argument.Any(char.IsWhiteSpace) ? $"\"{argument}\"" : argument;
}
