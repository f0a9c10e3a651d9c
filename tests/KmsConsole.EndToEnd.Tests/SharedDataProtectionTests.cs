using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
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

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();
}
