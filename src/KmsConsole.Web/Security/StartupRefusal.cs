using Microsoft.Extensions.Options;

namespace KmsConsole.Web.Security;

/// <summary>
/// Settings the console refuses to start with (local sign-in beyond loopback, a half-configured identity provider,
/// an option out of bounds) end the process with one critical log line naming the setting, and exit code 1,
/// instead of an unhandled exception's stack trace and abort.
/// </summary>
public static class StartupRefusal
{
    public const int ExitCode = 1;

    public static int Run(Func<int> start)
    {
        try
        {
            return start();
        }
        catch (Exception refused) when (refused is InvalidOperationException or OptionsValidationException)
        {
            using (var loggers = LoggerFactory.Create(logging => logging.AddSimpleConsole(console => console.SingleLine = true)))
            {
                loggers.CreateLogger("KmsConsole.Web").LogCritical("The console does not start: {Reason}", refused.Message);
            }

            return ExitCode;
        }
    }
}
