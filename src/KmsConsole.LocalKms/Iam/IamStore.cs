using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

namespace KmsConsole.LocalKms.Iam;

public sealed record StoredRole(string RoleName, string RoleId, string Path, string Arn, DateTimeOffset CreateDate, string AssumeRolePolicyDocument, string? Description, int MaxSessionDuration);

public sealed record StoredPolicy(string PolicyName, string PolicyId, string Path, string Arn, string? Description, string DefaultVersionId, int AttachmentCount, DateTimeOffset CreateDate, DateTimeOffset UpdateDate);

public sealed record StoredPolicyVersion(string PolicyArn, string VersionId, string Document, bool IsDefaultVersion, DateTimeOffset CreateDate);

/// <summary>An IAM error the endpoint answers in IAM's words (code, HTTP status, message).</summary>
public sealed class IamErrorException(string code, int statusCode, string message) : Exception(message)
{
    public string Code { get; } = code;

    public int StatusCode { get; } = statusCode;

    public static IamErrorException NoSuchEntity(string message) => new("NoSuchEntity", 404, message);

    public static IamErrorException EntityAlreadyExists(string message) => new("EntityAlreadyExists", 409, message);

    public static IamErrorException LimitExceeded(string message) => new("LimitExceeded", 409, message);

    public static IamErrorException InvalidInput(string message) => new("InvalidInput", 400, message);

    public static IamErrorException Malformed(string message) => new("MalformedPolicyDocument", 400, message);

    public static IamErrorException Validation(string message) => new("ValidationError", 400, message);
}

/// <summary>
/// The local IAM world — roles, managed policies with versions, inline role policies, attachments and the
/// access-key → role table — in its own SQLite file (&lt;data&gt;/iam.db). Quotas are IAM's defaults: 5 versions
/// per managed policy, 10 managed policies per role, 6,144 characters per managed policy document (whitespace
/// not counted) and 10,240 for all inline policies of a role together.
/// </summary>
public sealed class IamStore
{
    public const int MaxPolicyVersions = 5;
    public const int MaxManagedPoliciesPerRole = 10;
    public const int MaxManagedPolicySize = 6144;
    public const int MaxInlineRolePoliciesSize = 10240;

    private readonly string _connectionString;
    private readonly LocalIamOptions _options;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public IamStore(LocalIamOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        Directory.CreateDirectory(options.DataDirectory);
        DatabasePath = Path.GetFullPath(Path.Combine(options.DataDirectory, "iam.db"));
        IsNew = !File.Exists(DatabasePath);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString();
        using var connection = Open();
        Execute(connection, """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS roles (
                name TEXT NOT NULL PRIMARY KEY COLLATE NOCASE, role_id TEXT NOT NULL, path TEXT NOT NULL, arn TEXT NOT NULL,
                created TEXT NOT NULL, trust_policy TEXT NOT NULL, description TEXT, max_session INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS policies (
                arn TEXT NOT NULL PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE, policy_id TEXT NOT NULL, path TEXT NOT NULL,
                description TEXT, default_version TEXT NOT NULL, next_version INTEGER NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS policy_versions (
                policy_arn TEXT NOT NULL, version_id TEXT NOT NULL, document TEXT NOT NULL, created TEXT NOT NULL,
                PRIMARY KEY (policy_arn, version_id));
            CREATE TABLE IF NOT EXISTS role_policies (
                role_name TEXT NOT NULL COLLATE NOCASE, policy_name TEXT NOT NULL COLLATE NOCASE, document TEXT NOT NULL,
                PRIMARY KEY (role_name, policy_name));
            CREATE TABLE IF NOT EXISTS role_attachments (
                role_name TEXT NOT NULL COLLATE NOCASE, policy_arn TEXT NOT NULL, attached TEXT NOT NULL,
                PRIMARY KEY (role_name, policy_arn));
            CREATE TABLE IF NOT EXISTS access_keys (
                access_key_id TEXT NOT NULL PRIMARY KEY, role_name TEXT NOT NULL COLLATE NOCASE);
            """);
    }

    public string DatabasePath { get; }

    /// <summary>True when this start created iam.db (a fresh data folder).</summary>
    public bool IsNew { get; }

    public string AccountId => _options.AccountId;

    public string RoleArn(string path, string roleName) => $"arn:aws:iam::{_options.AccountId}:role{path}{roleName}";

    public string PolicyArn(string path, string policyName) => $"arn:aws:iam::{_options.AccountId}:policy{path}{policyName}";

    public Task<StoredRole> CreateRoleAsync(string roleName, string path, string assumeRolePolicyDocument, string? description, int maxSessionDuration, CancellationToken cancellationToken = default) =>
        WithConnectionAsync(connection =>
        {
            if (FindRole(connection, roleName) is not null)
            {
                throw IamErrorException.EntityAlreadyExists($"Role with name {roleName} already exists.");
            }

            var role = new StoredRole(roleName, NewId("AROA"), path, RoleArn(path, roleName), Now(), assumeRolePolicyDocument, description, maxSessionDuration);
            Execute(connection, "INSERT INTO roles VALUES ($n, $id, $p, $arn, $c, $t, $d, $m)",
                ("$n", role.RoleName), ("$id", role.RoleId), ("$p", role.Path), ("$arn", role.Arn), ("$c", Format(role.CreateDate)),
                ("$t", role.AssumeRolePolicyDocument), ("$d", role.Description), ("$m", role.MaxSessionDuration));
            return role;
        }, cancellationToken);

    public Task<StoredRole> GetRoleAsync(string roleName, CancellationToken cancellationToken = default) =>
        WithConnectionAsync(connection => RequireRole(connection, roleName), cancellationToken);

    public Task<StoredRole?> FindRoleAsync(string roleName, CancellationToken cancellationToken = default) =>
        WithConnectionAsync(connection => FindRole(connection, roleName), cancellationToken);

    public Task PutRolePolicyAsync(string roleName, string policyName, string document, CancellationToken cancellationToken = default) =>
        WithConnectionAsync(connection =>
        {
            var role = RequireRole(connection, roleName);
            var others = Query(connection, "SELECT document FROM role_policies WHERE role_name = $r AND policy_name <> $p", r => r.GetString(0), ("$r", role.RoleName), ("$p", policyName));
            if (others.Sum(NonWhitespaceLength) + NonWhitespaceLength(document) > MaxInlineRolePoliciesSize)
            {
                throw IamErrorException.LimitExceeded($"Maximum policy size of {MaxInlineRolePoliciesSize} bytes exceeded for role {role.RoleName}");
            }

            Execute(connection, "INSERT INTO role_policies VALUES ($r, $p, $d) ON CONFLICT (role_name, policy_name) DO UPDATE SET document = excluded.document",
                ("$r", role.RoleName), ("$p", policyName), ("$d", document));
            return 0;
        }, cancellationToken);

    public Task<IReadOnlyList<string>> ListRolePoliciesAsync(string roleName, CancellationToken cancellationToken = default) =>
        WithConnectionAsync<IReadOnlyList<string>>(connection =>
        {
            var role = RequireRole(connection, roleName);
            return Query(connection, "SELECT policy_name FROM role_policies WHERE role_name = $r ORDER BY policy_name", r => r.GetString(0), ("$r", role.RoleName));
        }, cancellationToken);

    public Task<(string RoleName, string PolicyName, string Document)> GetRolePolicyAsync(string roleName, string policyName, CancellationToken cancellationToken = default) =>
        WithConnectionAsync(connection =>
        {
            var role = RequireRole(connection, roleName);
            var found = Query(connection, "SELECT policy_name, document FROM role_policies WHERE role_name = $r AND policy_name = $p",
                r => (r.GetString(0), r.GetString(1)), ("$r", role.RoleName), ("$p", policyName));
            if (found.Count == 0)
            {
                throw IamErrorException.NoSuchEntity($"The role policy with name {policyName} cannot be found.");
            }

            return (role.RoleName, found[0].Item1, found[0].Item2);
        }, cancellationToken);

    public Task<StoredPolicy> CreatePolicyAsync(string policyName, string path, string document, string? description, CancellationToken cancellationToken = default) =>
        WithConnectionAsync(connection =>
        {
            if (Query(connection, "SELECT arn FROM policies WHERE name = $n", r => r.GetString(0), ("$n", policyName)).Count > 0)
            {
                throw IamErrorException.EntityAlreadyExists($"A policy called {policyName} already exists. Duplicate names are not allowed.");
            }

            CheckManagedSize(document);
            var now = Now();
            var policy = new StoredPolicy(policyName, NewId("ANPA"), path, PolicyArn(path, policyName), description, "v1", 0, now, now);
            using var transaction = connection.BeginTransaction();
            Execute(connection, "INSERT INTO policies VALUES ($arn, $n, $id, $p, $d, 'v1', 2, $c, $c)",
                ("$arn", policy.Arn), ("$n", policyName), ("$id", policy.PolicyId), ("$p", path), ("$d", description), ("$c", Format(now)));
            Execute(connection, "INSERT INTO policy_versions VALUES ($arn, 'v1', $doc, $c)", ("$arn", policy.Arn), ("$doc", document), ("$c", Format(now)));
            transaction.Commit();
            return policy;
        }, cancellationToken);

    public Task<StoredPolicy> GetPolicyAsync(string policyArn, CancellationToken cancellationToken = default) =>
        WithConnectionAsync(connection => FindPolicy(connection, policyArn) ?? throw IamErrorException.NoSuchEntity($"Policy {policyArn} was not found."), cancellationToken);

    public Task<StoredPolicyVersion> GetPolicyVersionAsync(string policyArn, string versionId, CancellationToken cancellationToken = default) =>
        WithConnectionAsync(connection =>
        {
            var policy = FindPolicy(connection, policyArn) ?? throw IamErrorException.NoSuchEntity($"Policy {policyArn} was not found.");
            var found = Query(connection, "SELECT document, created FROM policy_versions WHERE policy_arn = $arn AND version_id = $v",
                r => (r.GetString(0), Parse(r.GetString(1))), ("$arn", policy.Arn), ("$v", versionId));
            if (found.Count == 0)
            {
                throw IamErrorException.NoSuchEntity($"Policy {policyArn} version {versionId} does not exist or is not attachable.");
            }

            return new StoredPolicyVersion(policy.Arn, versionId, found[0].Item1, versionId == policy.DefaultVersionId, found[0].Item2);
        }, cancellationToken);

    public Task<StoredPolicyVersion> CreatePolicyVersionAsync(string policyArn, string document, bool setAsDefault, CancellationToken cancellationToken = default) =>
        WithConnectionAsync(connection =>
        {
            var policy = FindPolicy(connection, policyArn) ?? throw IamErrorException.NoSuchEntity($"Policy {policyArn} was not found.");
            var count = Query(connection, "SELECT COUNT(*) FROM policy_versions WHERE policy_arn = $arn", r => r.GetInt32(0), ("$arn", policy.Arn))[0];
            if (count >= MaxPolicyVersions)
            {
                throw IamErrorException.LimitExceeded($"A managed policy can have up to {MaxPolicyVersions} versions. Before you create a new version, you must delete an existing version.");
            }

            CheckManagedSize(document);
            var next = Query(connection, "SELECT next_version FROM policies WHERE arn = $arn", r => r.GetInt32(0), ("$arn", policy.Arn))[0];
            var versionId = "v" + next.ToString(CultureInfo.InvariantCulture);
            var now = Now();
            using var transaction = connection.BeginTransaction();
            Execute(connection, "INSERT INTO policy_versions VALUES ($arn, $v, $doc, $c)", ("$arn", policy.Arn), ("$v", versionId), ("$doc", document), ("$c", Format(now)));
            Execute(connection, setAsDefault
                    ? "UPDATE policies SET next_version = next_version + 1, default_version = $v, updated = $c WHERE arn = $arn"
                    : "UPDATE policies SET next_version = next_version + 1 WHERE arn = $arn",
                ("$arn", policy.Arn), ("$v", versionId), ("$c", Format(now)));
            transaction.Commit();
            return new StoredPolicyVersion(policy.Arn, versionId, document, setAsDefault, now);
        }, cancellationToken);

    public Task AttachRolePolicyAsync(string roleName, string policyArn, CancellationToken cancellationToken = default) =>
        WithConnectionAsync(connection =>
        {
            var role = RequireRole(connection, roleName);
            var policy = FindPolicy(connection, policyArn) ?? throw IamErrorException.NoSuchEntity($"Policy {policyArn} does not exist or is not attachable.");
            var attached = Query(connection, "SELECT policy_arn FROM role_attachments WHERE role_name = $r", r => r.GetString(0), ("$r", role.RoleName));
            if (attached.Contains(policy.Arn, StringComparer.Ordinal))
            {
                return 0; // IAM answers success when the policy is already attached.
            }

            if (attached.Count >= MaxManagedPoliciesPerRole)
            {
                throw IamErrorException.LimitExceeded($"Cannot exceed quota for PoliciesPerRole: {MaxManagedPoliciesPerRole}");
            }

            Execute(connection, "INSERT INTO role_attachments VALUES ($r, $arn, $c)", ("$r", role.RoleName), ("$arn", policy.Arn), ("$c", Format(Now())));
            return 0;
        }, cancellationToken);

    public Task<IReadOnlyList<(string PolicyName, string PolicyArn)>> ListAttachedRolePoliciesAsync(string roleName, CancellationToken cancellationToken = default) =>
        WithConnectionAsync<IReadOnlyList<(string, string)>>(connection =>
        {
            var role = RequireRole(connection, roleName);
            return Query(connection, "SELECT p.name, p.arn FROM role_attachments a JOIN policies p ON p.arn = a.policy_arn WHERE a.role_name = $r ORDER BY a.attached, p.name",
                r => (r.GetString(0), r.GetString(1)), ("$r", role.RoleName));
        }, cancellationToken);

    /// <summary>The role's identity policies ready for evaluation: attached managed policies (default versions), then inline ones.</summary>
    public Task<IReadOnlyList<IamPolicySource>> LoadRolePoliciesAsync(string roleName, CancellationToken cancellationToken = default) =>
        WithConnectionAsync(connection => LoadRolePolicies(connection, roleName), cancellationToken);

    /// <summary>Synchronous <see cref="LoadRolePoliciesAsync"/>, for the KMS request pipeline's synchronous authorizers.</summary>
    public IReadOnlyList<IamPolicySource> LoadRolePolicies(string roleName) => WithConnection(connection => LoadRolePolicies(connection, roleName));

    private IReadOnlyList<IamPolicySource> LoadRolePolicies(SqliteConnection connection, string roleName)
    {
        var role = RequireRole(connection, roleName);
        var sources = new List<IamPolicySource>();
        foreach (var (name, document) in Query(connection,
            "SELECT p.name, v.document FROM role_attachments a JOIN policies p ON p.arn = a.policy_arn JOIN policy_versions v ON v.policy_arn = p.arn AND v.version_id = p.default_version WHERE a.role_name = $r ORDER BY a.attached, p.name",
            r => (r.GetString(0), r.GetString(1)), ("$r", role.RoleName)))
        {
            sources.Add(new IamPolicySource(name, "user-managed", IamPolicyDocument.Parse(document)));
        }

        foreach (var (name, document) in Query(connection, "SELECT policy_name, document FROM role_policies WHERE role_name = $r ORDER BY policy_name",
            r => (r.GetString(0), r.GetString(1)), ("$r", role.RoleName)))
        {
            sources.Add(new IamPolicySource(name, "role", IamPolicyDocument.Parse(document)));
        }

        return sources;
    }

    /// <summary>Makes requests signed with <paramref name="accessKeyId"/> act as the role (see <see cref="IamPolicyEnforcer"/>).</summary>
    public Task MapAccessKeyAsync(string accessKeyId, string roleName, CancellationToken cancellationToken = default) =>
        WithConnectionAsync(connection =>
        {
            var role = RequireRole(connection, roleName);
            Execute(connection, "INSERT INTO access_keys VALUES ($k, $r) ON CONFLICT (access_key_id) DO UPDATE SET role_name = excluded.role_name",
                ("$k", accessKeyId), ("$r", role.RoleName));
            return 0;
        }, cancellationToken);

    /// <summary>The role an access key id acts as: a mapped key first, else the role named exactly like the key id; null when neither.</summary>
    public Task<StoredRole?> ResolvePrincipalAsync(string accessKeyId, CancellationToken cancellationToken = default) =>
        WithConnectionAsync(connection => ResolvePrincipal(connection, accessKeyId), cancellationToken);

    /// <summary>Synchronous <see cref="ResolvePrincipalAsync"/>.</summary>
    public StoredRole? ResolvePrincipal(string accessKeyId) => WithConnection(connection => ResolvePrincipal(connection, accessKeyId));

    private static StoredRole? ResolvePrincipal(SqliteConnection connection, string accessKeyId)
    {
        var mapped = Query(connection, "SELECT role_name FROM access_keys WHERE access_key_id = $k", r => r.GetString(0), ("$k", accessKeyId));
        return mapped.Count > 0 ? FindRole(connection, mapped[0]) : FindRole(connection, accessKeyId);
    }

    private static void CheckManagedSize(string document)
    {
        if (NonWhitespaceLength(document) > MaxManagedPolicySize)
        {
            throw IamErrorException.LimitExceeded($"Cannot exceed quota for PolicySize: {MaxManagedPolicySize}");
        }
    }

    private static int NonWhitespaceLength(string text) => text.Count(c => !char.IsWhiteSpace(c));

    private StoredRole RequireRole(SqliteConnection connection, string roleName) =>
        FindRole(connection, roleName) ?? throw IamErrorException.NoSuchEntity($"The role with name {roleName} cannot be found.");

    private static StoredRole? FindRole(SqliteConnection connection, string roleName) =>
        Query(connection, "SELECT name, role_id, path, arn, created, trust_policy, description, max_session FROM roles WHERE name = $n",
            r => new StoredRole(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), Parse(r.GetString(4)), r.GetString(5),
                r.IsDBNull(6) ? null : r.GetString(6), r.GetInt32(7)), ("$n", roleName)).FirstOrDefault();

    private static StoredPolicy? FindPolicy(SqliteConnection connection, string policyArn) =>
        Query(connection, """
            SELECT name, policy_id, path, arn, description, default_version, created, updated,
                   (SELECT COUNT(*) FROM role_attachments a WHERE a.policy_arn = policies.arn)
            FROM policies WHERE arn = $arn
            """,
            r => new StoredPolicy(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
                r.GetString(5), r.GetInt32(8), Parse(r.GetString(6)), Parse(r.GetString(7))), ("$arn", policyArn)).FirstOrDefault();

    private async Task<T> WithConnectionAsync<T>(Func<SqliteConnection, T> work, CancellationToken cancellationToken)
    {
        // One writer at a time keeps read-modify-write steps (version numbers, quotas) consistent.
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var connection = Open();
            return work(connection);
        }
        finally
        {
            _gate.Release();
        }
    }

    private T WithConnection<T>(Func<SqliteConnection, T> work)
    {
        _gate.Wait();
        try
        {
            using var connection = Open();
            return work(connection);
        }
        finally
        {
            _gate.Release();
        }
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        command.ExecuteNonQuery();
    }

    private static List<T> Query<T>(SqliteConnection connection, string sql, Func<SqliteDataReader, T> read, params (string Name, object? Value)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        using var reader = command.ExecuteReader();
        var list = new List<T>();
        while (reader.Read())
        {
            list.Add(read(reader));
        }

        return list;
    }

    private DateTimeOffset Now()
    {
        var now = _time.GetUtcNow();
        return new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
    }

    private static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    // IAM unique ids: a four-letter kind prefix (AROA role, ANPA managed policy) and 17 upper-case letters/digits.
    private static string NewId(string prefix)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        Span<char> id = stackalloc char[21];
        prefix.AsSpan().CopyTo(id);
        for (var i = 4; i < id.Length; i++)
        {
            id[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
        }

        return new string(id);
    }
}
