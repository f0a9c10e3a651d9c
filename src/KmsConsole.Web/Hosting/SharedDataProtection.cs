using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.DataProtection;

namespace KmsConsole.Web.Hosting;

/// <summary>
/// Several console instances behind one load balancer must read each other's sign-in cookies, antiforgery tokens and
/// circuit state, all protected by ASP.NET Core data protection. By default every instance makes its own key ring (under
/// the user's profile), so a user the balancer sends to another instance is signed out. With
/// <c>Console:DataProtection:KeysPath</c> every instance keeps one key ring in that shared folder, encrypted at rest with
/// the certificate of <c>CertificatePath</c> (a PKCS#12 file holding its private key; <c>CertificatePassword</c> if it has
/// one): a shared folder is never given unencrypted keys.
/// </summary>
public static class SharedDataProtection
{
    public const string SectionName = "Console:DataProtection";

    /// <summary>One name for every instance: data protection isolates applications by it.</summary>
    public const string ApplicationName = "KmsConsole";

    public static WebApplicationBuilder AddSharedDataProtection(this WebApplicationBuilder builder)
    {
        var settings = builder.Configuration.GetSection(SectionName).Get<SharedDataProtectionOptions>() ?? new SharedDataProtectionOptions();
        var keysPath = settings.KeysPath;
        if (string.IsNullOrWhiteSpace(keysPath))
        {
            return builder;
        }

        var certificatePath = settings.CertificatePath;
        if (string.IsNullOrWhiteSpace(certificatePath))
        {
            throw new InvalidOperationException($"{SectionName}:KeysPath is set but {SectionName}:CertificatePath is not: the shared key ring " +
                                                "would be written unencrypted. Give a PKCS#12 certificate with its private key to encrypt it.");
        }

        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(certificatePath, settings.CertificatePassword);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            // The loader's message names neither the password nor the key.
            throw new InvalidOperationException($"{SectionName}:CertificatePath {certificatePath} could not be read as a PKCS#12 certificate " +
                                                $"(wrong file or password?): {e.Message}", e);
        }

        if (!certificate.HasPrivateKey)
        {
            throw new InvalidOperationException($"{SectionName}:CertificatePath {certificatePath} holds no private key; the key ring could not be decrypted.");
        }

        // Data protection encrypts its keys with the certificate's RSA key (EncryptedXml); any other key fails only at
        // the first key it writes, long after start.
        using (var rsa = certificate.GetRSAPrivateKey())
        {
            if (rsa is null)
            {
                throw new InvalidOperationException($"{SectionName}:CertificatePath {certificatePath} holds no RSA key; the key ring is encrypted with RSA.");
            }
        }

        builder.Services.AddDataProtection()
            .SetApplicationName(ApplicationName)
            .PersistKeysToFileSystem(new DirectoryInfo(keysPath))
            .ProtectKeysWithCertificate(certificate)
            .UnprotectKeysWithAnyCertificate(certificate);
        return builder;
    }
}
