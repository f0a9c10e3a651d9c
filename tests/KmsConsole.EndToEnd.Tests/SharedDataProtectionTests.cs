using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using KmsConsole.Testing;
using KmsConsole.Web.SignIn;

namespace KmsConsole.EndToEnd.Tests;

/// <summary>
/// Behind a load balancer a user signed in on one instance is sent to another: with one key ring in a shared folder
/// (Console:DataProtection) the other instance reads the sign-in cookie; an instance with its own key ring does not.
/// </summary>
public sealed partial class SharedDataProtectionTests
{
    [Fact]
    public async Task A_user_signed_in_on_one_instance_stays_signed_in_on_another_that_shares_the_key_ring_and_only_there()
    {
        var shared = Directory.CreateTempSubdirectory("kmsconsole-e2e-dp-").FullName;
        try
        {
            var keys = Path.Combine(shared, "keys");
            var certificate = Path.Combine(shared, "dataprotection.pfx");
            using (var rsa = RSA.Create(2048))
            {
                var request = new CertificateRequest("CN=KmsConsole data protection", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                using var made = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
                await File.WriteAllBytesAsync(certificate, made.Export(X509ContentType.Pkcs12, "pfx-password"));
            }

            string[] sharing = [$"--Console:DataProtection:KeysPath={keys}", $"--Console:DataProtection:CertificatePath={certificate}",
                "--Console:DataProtection:CertificatePassword=pfx-password"];
            await using var a = await ConsoleProcess.StartAsync(sharing);
            await using var b = await ConsoleProcess.StartAsync(sharing);
            await using var own = await ConsoleProcess.StartAsync();

            // Cookies are not kept per port: the one container carries Rita's sign-in to every instance on 127.0.0.1.
            var cookies = new CookieContainer();
            using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };
            var signInPage = await browser.GetStringAsync(new Uri(a.BaseAddress, LocalSignIn.SignInPath.TrimStart('/')));
            var token = AntiforgeryToken().Match(signInPage);
            Assert.True(token.Success, "The sign-in page has no antiforgery token.");
            using var signedIn = await browser.PostAsync(new Uri(a.BaseAddress, LocalSignIn.SignInEndpoint.TrimStart('/')), new FormUrlEncodedContent(
                new Dictionary<string, string> { ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value), ["user"] = "rita", ["returnUrl"] = "/keys" }));
            Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
            Assert.Equal("/keys", signedIn.Headers.Location?.OriginalString);

            using var onA = await browser.GetAsync(new Uri(a.BaseAddress, "keys"));
            using var onB = await browser.GetAsync(new Uri(b.BaseAddress, "keys"));
            using var onOwn = await browser.GetAsync(new Uri(own.BaseAddress, "keys"));
            Assert.Equal(HttpStatusCode.OK, onA.StatusCode);
            Assert.Equal(HttpStatusCode.OK, onB.StatusCode);
            Assert.Contains("Rita Requester", await onB.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.Redirect, onOwn.StatusCode);
            Assert.Equal(LocalSignIn.SignInPath, new Uri(own.BaseAddress, onOwn.Headers.Location!).AbsolutePath);

            // The shared key ring is encrypted at rest with the certificate: no key's secret in plain text.
            var ring = Directory.GetFiles(keys, "*.xml");
            Assert.NotEmpty(ring);
            Assert.All(ring, file =>
            {
                var xml = File.ReadAllText(file);
                Assert.Contains("EncryptedXml", xml, StringComparison.Ordinal);
                Assert.DoesNotContain("<masterKey", xml, StringComparison.Ordinal);
            });
        }
        finally
        {
            Directory.Delete(shared, recursive: true);
        }
    }

    [Fact]
    public async Task A_certificate_that_cannot_be_opened_with_its_password_stops_the_process_with_one_critical_line_naming_the_setting()
    {
        var folder = Directory.CreateTempSubdirectory("kmsconsole-e2e-dp-").FullName;
        try
        {
            var certificate = Path.Combine(folder, "dataprotection.pfx");
            using (var rsa = RSA.Create(2048))
            {
                var request = new CertificateRequest("CN=KmsConsole data protection", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                using var made = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
                await File.WriteAllBytesAsync(certificate, made.Export(X509ContentType.Pkcs12, "right-Password-31"));
            }

            var startInfo = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = folder,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { Repository.WebAssemblyPath(), "--urls", "http://127.0.0.1:0", $"--Console:DataProtection:KeysPath={Path.Combine(folder, "keys")}",
                         $"--Console:DataProtection:CertificatePath={certificate}", "--Console:DataProtection:CertificatePassword=wrong-Password-17" })
            {
                startInfo.ArgumentList.Add(argument);
            }

            startInfo.Environment.Remove("ASPNETCORE_URLS");
            using var process = Process.Start(startInfo)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);

            var output = await stdout + await stderr;
            Assert.Equal(1, process.ExitCode);
            var critical = Assert.Single(output.Split('\n'), line => line.StartsWith("crit:", StringComparison.Ordinal));
            Assert.Contains("Console:DataProtection:CertificatePath", critical, StringComparison.Ordinal);
            Assert.DoesNotContain("Password-", output, StringComparison.Ordinal);
            Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
            Assert.False(Directory.Exists(Path.Combine(folder, "keys")), "nothing may be written to the key ring's folder");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();
}
