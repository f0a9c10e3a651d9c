using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace KmsConsole.Testing;

/// <summary>
/// A server the tests run as a child process: its output kept (the tail) for failure messages, a wait until it
/// answers, and the whole process tree killed on dispose.
/// </summary>
public sealed class ChildServer : IAsyncDisposable
{
    private const int LogLimit = 64 * 1024;
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private ChildServer(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    /// <summary>The child's process id (e.g. to read its memory from /proc).</summary>
    public int ProcessId => _process.Id;

    /// <summary>What the server printed so far (the last 32–64 KiB: some servers log a line per request).</summary>
    public string Log
    {
        get { lock (_log) { return _log.ToString(); } }
    }

    /// <summary>Starts <paramref name="start"/> with its output captured.</summary>
    public static ChildServer Start(string name, ProcessStartInfo start)
    {
        ArgumentNullException.ThrowIfNull(start);
        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var server = new ChildServer(name, new Process { StartInfo = start });
        server._process.OutputDataReceived += (_, e) => server.Append(e.Data);
        server._process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        server._process.Start();
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        return server;
    }

    /// <summary>
    /// Polls <paramref name="answers"/> until it returns true. Connection failures count as "not yet"; the server
    /// exiting or the timeout passing throws with what it printed.
    /// </summary>
    public async Task WaitUntilAnsweringAsync(Func<CancellationToken, Task<bool>> answers, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(answers);
        var clock = Stopwatch.StartNew();
        Exception? last = null;
        while (clock.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} before answering:\n{Log}");
            }

            try
            {
                if (await answers(cancellationToken))
                {
                    return;
                }
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested
                && ex is HttpRequestException or SocketException or IOException or TaskCanceledException or TimeoutException)
            {
                last = ex;
            }

            await Task.Delay(200, cancellationToken);
        }

        throw new TimeoutException($"{Name} did not answer within {timeout}:\n{Log}", last);
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            if (_log.Length > LogLimit)
            {
                _log.Remove(0, _log.Length - LogLimit / 2);
            }

            _log.AppendLine(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                await _process.WaitForExitAsync(wait.Token);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException)
        {
            // Already gone, or a child that will not die: the test run ends it.
        }
        finally
        {
            _process.Dispose();
        }
    }
}
