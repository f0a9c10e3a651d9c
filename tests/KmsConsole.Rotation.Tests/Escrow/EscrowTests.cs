using System.Text;
using KmsConsole.Rotation.Escrow;
using KmsConsole.Rotation.Persistence;
using Microsoft.EntityFrameworkCore;

namespace KmsConsole.Rotation.Tests.Escrow;

public sealed class EscrowTests
{
    [Fact]
    public async Task After_an_imported_key_swap_neither_the_database_file_nor_the_logs_hold_the_material()
    {
        await using var world = await RotationWorld.StartAsync();
        var (_, alias) = await world.NewImportedKeyAsync();
        var run = await world.DriveAsync((await world.SubmitAsync(alias, WorkflowKind.AliasSwapImportedKey)).Id);
        Assert.Equal(RunState.Succeeded, run.State);

        // The material as escrowed; opened here only to know what to look for.
        Guid escrowId;
        await using (var db = await world.Get<RotationStore>().ReadAsync(CancellationToken.None))
        {
            escrowId = (await db.EscrowedMaterials.SingleAsync(e => e.RunId == run.Id)).Id;
        }

        var material = await world.Get<MaterialEscrow>().OpenAsync(world.Kms, escrowId, CancellationToken.None);
        Assert.Equal(32, material.Length);
        Assert.Contains(material, b => b != 0);

        SqliteFiles(world, out var fileBytes);
        Assert.False(Contains(fileBytes, material), "the raw material is in the SQLite file");
        foreach (var encoded in Encodings(material))
        {
            Assert.False(Contains(fileBytes, Encoding.UTF8.GetBytes(encoded)), $"an encoding of the material ({encoded[..6]}…) is in the SQLite file");
            Assert.DoesNotContain(encoded, world.Logs.AllText, StringComparison.OrdinalIgnoreCase);
        }

        // The logs did see the run: every step outcome and the SQL it issued.
        Assert.Contains(world.Logs.Lines, l => l.Contains("Wrap and import new key material succeeded", StringComparison.Ordinal));
        Assert.Contains(world.Logs.Lines, l => l.Contains("INSERT INTO \"EscrowedMaterial\"", StringComparison.Ordinal));
    }

    private static void SqliteFiles(RotationWorld world, out byte[] bytes)
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        bytes = Directory.GetFiles(world.Directory, "kmsconsole.db*").SelectMany(File.ReadAllBytes).ToArray();
        Assert.True(bytes.Length > 4096);
    }

    private static IEnumerable<string> Encodings(byte[] material) =>
        [Convert.ToBase64String(material), Convert.ToHexString(material), Convert.ToHexStringLower(material), BitConverter.ToString(material)];

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
