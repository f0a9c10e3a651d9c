using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using KmsConsole.LocalKms.Hosting;
using Microsoft.AspNetCore.Http;

namespace KmsConsole.LocalKms.Protocol;

/// <summary>
/// Checks a request's AWS Signature Version 4 as AWS does before it runs anything: no Authorization header is
/// MissingAuthenticationTokenException; an unknown access key id is UnrecognizedClientException; a date more than
/// 5 minutes off the host's clock is InvalidSignatureException "Signature expired" (or "not yet current"); a signature
/// that does not verify is InvalidSignatureException with the canonical request and string to sign the endpoint
/// expected. Time is the host's wall clock (clients sign with it), never the endpoint's rehearsal clock.
/// </summary>
public sealed class SignatureV4(AuthenticationOptions options, TimeProvider wallClock)
{
    public const string Algorithm = "AWS4-HMAC-SHA256";
    private static readonly TimeSpan AllowedSkew = TimeSpan.FromMinutes(5);

    public void Verify(HttpRequest request, ReadOnlySpan<byte> body)
    {
        if (options.AnyCredentials)
        {
            return;
        }

        var authorization = request.Headers.Authorization.ToString();
        if (authorization.Length == 0)
        {
            throw new KmsException("MissingAuthenticationTokenException", "Request is missing Authentication Token");
        }

        var (credential, signedHeaders, signature) = Parse(authorization);
        var scope = credential.Split('/');
        if (scope.Length != 5 || scope[4] != "aws4_request")
        {
            throw Incomplete($"Credential should be scoped to a valid region. ");
        }

        var amzDate = request.Headers["X-Amz-Date"].ToString();
        if (!DateTimeOffset.TryParseExact(amzDate, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var signedAt))
        {
            throw Incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ");
        }

        var now = wallClock.GetUtcNow();
        if (signedAt < now - AllowedSkew)
        {
            throw InvalidSignature($"Signature expired: {amzDate} is now earlier than {Stamp(now - AllowedSkew)} ({Stamp(now)} - 5 min.)");
        }

        if (signedAt > now + AllowedSkew)
        {
            throw InvalidSignature($"Signature not yet current: {amzDate} is still later than {Stamp(now + AllowedSkew)} ({Stamp(now)} + 5 min.)");
        }

        var accessKeyId = scope[0];
        var secrets = options.Credentials.TryGetValue(accessKeyId, out var registered) ? [registered] : options.CallerSecrets;
        if (secrets.Count == 0)
        {
            throw new KmsException("UnrecognizedClientException", "The security token included in the request is invalid.");
        }

        var canonicalRequest = CanonicalRequest(request, signedHeaders, body);
        var credentialScope = string.Join('/', scope[1..]);
        var stringToSign = $"{Algorithm}\n{amzDate}\n{credentialScope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)))}";
        var provided = Convert.FromHexString(signature.Length % 2 == 0 && signature.All(Uri.IsHexDigit) ? signature : "");
        foreach (var secret in secrets)
        {
            var expected = HMACSHA256.HashData(SigningKey(secret, scope[1], scope[2], scope[3]), Encoding.UTF8.GetBytes(stringToSign));
            if (CryptographicOperations.FixedTimeEquals(expected, provided))
            {
                return;
            }
        }

        // AWS's words, with the canonical request and string to sign it computed (neither holds a secret).
        throw InvalidSignature(
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. "
            + $"Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'{canonicalRequest}'\n\n"
            + $"The String-to-Sign should have been\n'{stringToSign}'\n");
    }

    private static (string Credential, string SignedHeaders, string Signature) Parse(string authorization)
    {
        if (!authorization.StartsWith(Algorithm + " ", StringComparison.Ordinal))
        {
            throw Incomplete($"Unsupported authorization type; use {Algorithm}. ");
        }

        string? credential = null, signedHeaders = null, signature = null;
        foreach (var part in authorization[(Algorithm.Length + 1)..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            var (name, value) = equals < 0 ? (part, "") : (part[..equals], part[(equals + 1)..]);
            switch (name)
            {
                case "Credential": credential = value; break;
                case "SignedHeaders": signedHeaders = value; break;
                case "Signature": signature = value; break;
            }
        }

        return credential is null ? throw Incomplete("Authorization header requires 'Credential' parameter. ")
            : signedHeaders is null ? throw Incomplete("Authorization header requires 'SignedHeaders' parameter. ")
            : signature is null ? throw Incomplete("Authorization header requires 'Signature' parameter. ")
            : (credential, signedHeaders, signature);
    }

    private static string CanonicalRequest(HttpRequest request, string signedHeaders, ReadOnlySpan<byte> body)
    {
        var builder = new StringBuilder();
        builder.Append(request.Method).Append('\n');
        var path = (request.PathBase + request.Path).Value;
        builder.Append(string.IsNullOrEmpty(path) ? "/" : string.Join('/', path.Split('/').Select(Uri.EscapeDataString))).Append('\n');
        builder.Append(string.Join('&', request.Query
            .SelectMany(q => q.Value.Select(v => (Key: Uri.EscapeDataString(q.Key), Value: Uri.EscapeDataString(v ?? ""))))
            .OrderBy(q => q.Key, StringComparer.Ordinal).ThenBy(q => q.Value, StringComparer.Ordinal)
            .Select(q => $"{q.Key}={q.Value}"))).Append('\n');
        foreach (var name in signedHeaders.Split(';'))
        {
            var values = request.Headers[name].Select(v => string.Join(' ', (v ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries)));
            builder.Append(name).Append(':').Append(string.Join(',', values)).Append('\n');
        }

        builder.Append('\n').Append(signedHeaders).Append('\n');
        var declared = request.Headers["X-Amz-Content-Sha256"].ToString();
        builder.Append(declared.Length > 0 && declared != "UNSIGNED-PAYLOAD" ? declared : Hex(SHA256.HashData(body)));
        return builder.ToString();
    }

    /// <summary>
    /// The derived signing key (four HMACs), kept per secret, date, Region and service as AWS's SDKs keep it: one day's
    /// requests of one caller share it. Bounded; it lives only in memory.
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Secret, string Date, string Region, string Service), byte[]> _signingKeys = new();

    private byte[] SigningKey(string secret, string date, string region, string service)
    {
        if (_signingKeys.TryGetValue((secret, date, region, service), out var cached))
        {
            return cached;
        }

        if (_signingKeys.Count >= 1024)
        {
            _signingKeys.Clear();
        }

        return _signingKeys[(secret, date, region, service)] = DeriveSigningKey(secret, date, region, service);
    }

    private static byte[] DeriveSigningKey(string secret, string date, string region, string service)
    {
        var key = HMACSHA256.HashData(Encoding.UTF8.GetBytes("AWS4" + secret), Encoding.UTF8.GetBytes(date));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(region));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(service));
        return HMACSHA256.HashData(key, "aws4_request"u8);
    }

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    private static string Stamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);

    private static KmsException InvalidSignature(string message) => new("InvalidSignatureException", message);

    private static KmsException Incomplete(string message) => new("IncompleteSignatureException", message, HttpStatusCode.BadRequest);
}
