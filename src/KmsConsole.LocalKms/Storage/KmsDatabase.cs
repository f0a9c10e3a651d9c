using System.Text;
using System.Text.Json;
using KmsConsole.LocalKms.Crypto;
using KmsConsole.LocalKms.Keys;
using Microsoft.Data.Sqlite;

namespace KmsConsole.LocalKms.Storage;

/// <summary>
/// The endpoint's state in SQLite: keys and aliases as JSON documents, key material sealed under the master key.
/// Plaintext material never reaches this file. Callers serialize access (the key ring's gate).
/// </summary>
public sealed class KmsDatabase : IDisposable
{
    public const string FileName = "localkms.db";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General);
    private readonly SqliteConnection _connection;
    private readonly MasterKey _masterKey;
    private readonly bool _ownsMasterKey;

    private KmsDatabase(SqliteConnection connection, MasterKey masterKey, bool isNew, bool ownsMasterKey = true)
    {
        _connection = connection;
        _masterKey = masterKey;
        _ownsMasterKey = ownsMasterKey;
        IsNew = isNew;
    }

    /// <summary>True when this start created the database (a fresh data folder).</summary>
    public bool IsNew { get; }

    public static KmsDatabase Open(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, FileName);
        var isNew = !File.Exists(path);
        var masterKey = MasterKey.LoadOrCreate(dataDirectory, mayCreate: isNew);
        return new KmsDatabase(Connect(path), masterKey, isNew);
    }

    /// <summary>
    /// The state of one more Region (regions/&lt;region&gt;/localkms.db in the data folder), sealed under the data folder's
    /// master key, so multi-Region replicas share material across Regions and each Region keeps its own keys and aliases.
    /// </summary>
    public static KmsDatabase OpenRegion(string dataDirectory, string region, MasterKey masterKey)
    {
        var folder = Path.Combine(dataDirectory, RegionsFolder, region);
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, FileName);
        var isNew = !File.Exists(path);
        return new KmsDatabase(Connect(path), masterKey, isNew, ownsMasterKey: false);
    }

    /// <summary>The Regions other than the home Region that hold state in <paramref name="dataDirectory"/>.</summary>
    public static IEnumerable<string> StoredRegions(string dataDirectory)
    {
        var folder = Path.Combine(dataDirectory, RegionsFolder);
        return Directory.Exists(folder)
            ? Directory.EnumerateDirectories(folder).Where(d => File.Exists(Path.Combine(d, FileName))).Select(Path.GetFileName).OfType<string>()
            : [];
    }

    public const string RegionsFolder = "regions";

    private static SqliteConnection Connect(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        Execute(connection, """
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = NORMAL;
            CREATE TABLE IF NOT EXISTS keys (key_id TEXT PRIMARY KEY, document TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS key_material (key_id TEXT NOT NULL, material_id TEXT NOT NULL, sealed BLOB NOT NULL, PRIMARY KEY (key_id, material_id));
            CREATE TABLE IF NOT EXISTS aliases (alias_name TEXT PRIMARY KEY, document TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS key_last_usage (region TEXT NOT NULL, key_id TEXT NOT NULL, document TEXT NOT NULL, PRIMARY KEY (region, key_id));
            CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
            """);
        return connection;
    }

    public MasterKey MasterKey => _masterKey;

    /// <summary>When this data folder began tracking key use (GetKeyLastUsage's TrackingStartDate); set by <see cref="BeginTracking"/>.</summary>
    public DateTimeOffset TrackingStartDate { get; private set; }

    /// <summary>Reads the tracking start date, recording <paramref name="now"/> the first time a folder is opened with tracking.</summary>
    public void BeginTracking(DateTimeOffset now)
    {
        using (var insert = _connection.CreateCommand())
        {
            insert.CommandText = "INSERT OR IGNORE INTO settings (name, value) VALUES ('tracking_start', $value)";
            insert.Parameters.AddWithValue("$value", now.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
            insert.ExecuteNonQuery();
        }

        using var read = _connection.CreateCommand();
        read.CommandText = "SELECT value FROM settings WHERE name = 'tracking_start'";
        TrackingStartDate = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse((string)read.ExecuteScalar()!, System.Globalization.CultureInfo.InvariantCulture));
    }

    public Dictionary<string, KeyLastUsage> LoadLastUsage(string region)
    {
        var usage = new Dictionary<string, KeyLastUsage>(StringComparer.Ordinal);
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT key_id, document FROM key_last_usage WHERE region = $region";
        command.Parameters.AddWithValue("$region", region);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            usage[reader.GetString(0)] = JsonSerializer.Deserialize<KeyLastUsage>(reader.GetString(1), Json)!;
        }

        return usage;
    }

    /// <summary>Writes the last use of each key in one transaction.</summary>
    public void SaveLastUsage(string region, IEnumerable<KmsKey> keys)
    {
        using var transaction = _connection.BeginTransaction();
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO key_last_usage (region, key_id, document) VALUES ($region, $id, $doc) ON CONFLICT(region, key_id) DO UPDATE SET document = excluded.document";
        var id = command.Parameters.Add("$id", SqliteType.Text);
        var document = command.Parameters.Add("$doc", SqliteType.Text);
        command.Parameters.AddWithValue("$region", region);
        foreach (var key in keys)
        {
            id.Value = key.KeyId;
            document.Value = JsonSerializer.Serialize(key.LastUsage, Json);
            command.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    public (List<KmsKey> Keys, List<KmsAlias> Aliases) LoadAll()
    {
        var keys = new Dictionary<string, KmsKey>(StringComparer.Ordinal);
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT document FROM keys";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var key = JsonSerializer.Deserialize<KmsKey>(reader.GetString(0), Json)!;
                keys[key.KeyId] = key;
            }
        }

        using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT key_id, material_id, sealed FROM key_material";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var keyId = reader.GetString(0);
                var materialId = reader.GetString(1);
                var material = keys.GetValueOrDefault(keyId)?.FindMaterial(materialId);
                if (material is null)
                {
                    continue;
                }

                material.Secret = _masterKey.Open((byte[])reader.GetValue(2), MaterialAssociatedData(keyId, materialId))
                    ?? throw new InvalidOperationException($"Key material {materialId} of key {keyId} does not open under this master key.");
            }
        }

        var aliases = new List<KmsAlias>();
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT document FROM aliases";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                aliases.Add(JsonSerializer.Deserialize<KmsAlias>(reader.GetString(0), Json)!);
            }
        }

        return ([.. keys.Values], aliases);
    }

    /// <summary>Writes the key document and its materials: sealed secrets for present material, nothing for deleted or expired material.</summary>
    public void SaveKey(KmsKey key)
    {
        using var transaction = _connection.BeginTransaction();
        using (var command = _connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = "INSERT INTO keys (key_id, document) VALUES ($id, $doc) ON CONFLICT(key_id) DO UPDATE SET document = excluded.document";
            command.Parameters.AddWithValue("$id", key.KeyId);
            command.Parameters.AddWithValue("$doc", JsonSerializer.Serialize(key, Json));
            command.ExecuteNonQuery();
        }

        var stored = new HashSet<string>(StringComparer.Ordinal);
        using (var command = _connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = "SELECT material_id FROM key_material WHERE key_id = $id";
            command.Parameters.AddWithValue("$id", key.KeyId);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                stored.Add(reader.GetString(0));
            }
        }

        foreach (var material in key.Materials)
        {
            if (material.Secret is null && stored.Contains(material.MaterialId))
            {
                DeleteMaterial(transaction, key.KeyId, material.MaterialId);
            }
            else if (material.Secret is not null && !stored.Contains(material.MaterialId))
            {
                using var command = _connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = "INSERT INTO key_material (key_id, material_id, sealed) VALUES ($id, $mid, $sealed)";
                command.Parameters.AddWithValue("$id", key.KeyId);
                command.Parameters.AddWithValue("$mid", material.MaterialId);
                command.Parameters.AddWithValue("$sealed", _masterKey.Seal(material.Secret, MaterialAssociatedData(key.KeyId, material.MaterialId)));
                command.ExecuteNonQuery();
            }
        }

        transaction.Commit();
    }

    public void DeleteKey(string keyId)
    {
        using var transaction = _connection.BeginTransaction();
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "DELETE FROM keys WHERE key_id = $id; DELETE FROM key_material WHERE key_id = $id; DELETE FROM key_last_usage WHERE key_id = $id; DELETE FROM aliases WHERE json_extract(document, '$.TargetKeyId') = $id;";
        command.Parameters.AddWithValue("$id", keyId);
        command.ExecuteNonQuery();
        transaction.Commit();
    }

    public void SaveAlias(KmsAlias alias)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "INSERT INTO aliases (alias_name, document) VALUES ($name, $doc) ON CONFLICT(alias_name) DO UPDATE SET document = excluded.document";
        command.Parameters.AddWithValue("$name", alias.AliasName);
        command.Parameters.AddWithValue("$doc", JsonSerializer.Serialize(alias, Json));
        command.ExecuteNonQuery();
    }

    public void DeleteAlias(string aliasName)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "DELETE FROM aliases WHERE alias_name = $name";
        command.Parameters.AddWithValue("$name", aliasName);
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        _connection.Dispose();
        if (_ownsMasterKey)
        {
            _masterKey.Dispose();
        }
    }

    private void DeleteMaterial(SqliteTransaction transaction, string keyId, string materialId)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "DELETE FROM key_material WHERE key_id = $id AND material_id = $mid";
        command.Parameters.AddWithValue("$id", keyId);
        command.Parameters.AddWithValue("$mid", materialId);
        command.ExecuteNonQuery();
    }

    private static byte[] MaterialAssociatedData(string keyId, string materialId) => Encoding.ASCII.GetBytes($"kms-key-material:{keyId}:{materialId}");

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
