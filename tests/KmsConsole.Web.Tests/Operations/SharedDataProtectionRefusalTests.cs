using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KmsConsole.Web.Hosting;
using KmsConsole.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace KmsConsole.Web.Tests.Operations;

/// <summary>
/// A shared key ring (Console:DataProtection) is never written unencrypted or with a certificate that cannot decrypt
/// it: the console refuses to start, naming the setting and never the password.
/// </summary>
public sealed class SharedDataProtectionRefusalTests : IDisposable
{
    private const string Password = "pfx-Secret-4711";

    private readonly string _folder = Directory.CreateTempSubdirectory("kmsconsole-dp-").FullName;

    private string Keys => Path.Combine(_folder, "keys");

    [Fact]
    public void Keys_path_without_a_certificate_is_refused()
    {
        var message = Refusal(new() { ["Console:DataProtection:KeysPath"] = Keys });

        Assert.Contains("Console:DataProtection:KeysPath", message, StringComparison.Ordinal);
        Assert.Contains("Console:DataProtection:CertificatePath", message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Keys), "nothing may be written to the shared folder");
    }

    [Fact]
    public void A_missing_certificate_file_is_refused()
    {
        var missing = Path.Combine(_folder, "absent.pfx");

        var message = Refusal(Sharing(missing, Password));

        Assert.Contains("Console:DataProtection:CertificatePath", message, StringComparison.Ordinal);
        Assert.Contains(missing, message, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_password_is_refused_without_printing_either_password()
    {
        var certificate = Pkcs12(Password);

        var message = Refusal(Sharing(certificate, "wrong-Password-0815"));

        Assert.Contains("Console:DataProtection:CertificatePath", message, StringComparison.Ordinal);
        Assert.Contains("password", message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Password, message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-Password-0815", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_certificate_file_without_its_private_key_is_refused()
    {
        using var made = SelfSigned();
        var publicOnly = Path.Combine(_folder, "dataprotection.cer");
        File.WriteAllBytes(publicOnly, made.Export(X509ContentType.Cert));

        var message = Refusal(Sharing(publicOnly, Password));

        Assert.Contains("Console:DataProtection:CertificatePath", message, StringComparison.Ordinal);
        Assert.Contains(publicOnly, message, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pkcs12_file_holding_only_the_certificate_is_refused()
    {
        using var made = SelfSigned();
        using var withoutKey = X509CertificateLoader.LoadCertificate(made.Export(X509ContentType.Cert));
        var certificateOnly = Path.Combine(_folder, "certificate-only.pfx");
        File.WriteAllBytes(certificateOnly, withoutKey.Export(X509ContentType.Pkcs12, Password));

        var message = Refusal(Sharing(certificateOnly, Password));

        Assert.Contains("Console:DataProtection:CertificatePath", message, StringComparison.Ordinal);
        Assert.Contains("no private key", message, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_certificate_with_an_ecdsa_key_is_refused_since_the_ring_is_encrypted_with_rsa()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var made = new CertificateRequest("CN=KmsConsole data protection", key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var ecdsa = Path.Combine(_folder, "ecdsa.pfx");
        File.WriteAllBytes(ecdsa, made.Export(X509ContentType.Pkcs12, Password));

        var message = Refusal(Sharing(ecdsa, Password));

        Assert.Contains("Console:DataProtection:CertificatePath", message, StringComparison.Ordinal);
        Assert.Contains("RSA", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_refusal_ends_the_start_with_exit_code_1_instead_of_an_unhandled_exception()
    {
        var exitCode = StartupRefusal.Run(() =>
        {
            Configure(new() { ["Console:DataProtection:KeysPath"] = Keys });
            return 0;
        });

        Assert.Equal(StartupRefusal.ExitCode, exitCode);
    }

    [Fact]
    public void A_readable_pkcs12_certificate_with_its_password_keeps_the_ring_in_the_folder_encrypted()
    {
        var builder = Configure(Sharing(Pkcs12(Password), Password));
        using var app = builder.Build();

        var protector = app.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test");
        Assert.Equal("signed in", protector.Unprotect(protector.Protect("signed in")));

        var ring = Assert.Single(Directory.GetFiles(Keys, "*.xml"));
        var xml = File.ReadAllText(ring);
        Assert.Contains("EncryptedXml", xml, StringComparison.Ordinal);
        Assert.DoesNotContain("<masterKey", xml, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private Dictionary<string, string?> Sharing(string certificatePath, string password) => new()
    {
        ["Console:DataProtection:KeysPath"] = Keys,
        ["Console:DataProtection:CertificatePath"] = certificatePath,
        ["Console:DataProtection:CertificatePassword"] = password,
    };

    /// <summary>What the console's start throws with these settings (the message StartupRefusal logs).</summary>
    private string Refusal(Dictionary<string, string?> settings) =>
        Assert.Throws<InvalidOperationException>(() => Configure(settings)).Message;

    /// <summary>The console's wiring as Program.cs does it, with its database and local KMS in the temp folder.</summary>
    private WebApplicationBuilder Configure(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = "KmsConsole.Web",
            EnvironmentName = Environments.Production,
            ContentRootPath = _folder,
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["LocalKms:DataDirectory"] = Path.Combine(_folder, "localkms"),
            ["Rotation:Database:ConnectionString"] = $"Data Source={Path.Combine(_folder, "kmsconsole.db")}",
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddWebConsole([]);
        return builder;
    }

    private string Pkcs12(string password)
    {
        using var made = SelfSigned();
        var path = Path.Combine(_folder, "dataprotection.pfx");
        File.WriteAllBytes(path, made.Export(X509ContentType.Pkcs12, password));
        return path;
    }

    private static X509Certificate2 SelfSigned()
    {
        using var rsa = RSA.Create(2048);
        return new CertificateRequest("CN=KmsConsole data protection", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }
}
