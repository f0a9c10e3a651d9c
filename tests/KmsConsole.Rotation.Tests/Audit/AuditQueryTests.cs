using System.Text.RegularExpressions;
using KmsConsole.Rotation.Audit;
using KmsConsole.Rotation.Persistence;
using KmsConsole.Testing;

namespace KmsConsole.Rotation.Tests.Audit;

/// <summary>The Audit page's queries: subject search through the trigram index, page seeks, verification on open.</summary>
public sealed class AuditQueryTests
{
    private static readonly string[] Subjects =
    [
        "local:alias/Payments-EU", "local:alias/payments-us", "local:alias/orders", "grant:100%_done", "local:key/1234abcd", "audit",
    ];

    [Fact]
    public async Task Subject_contains_finds_the_subjects_holding_the_text_anywhere_whatever_its_case_on_sqlite()
    {
        await using var world = await RotationWorld.StartAsync(seed: false);
        await AppendAsync(world, Subjects);

        Assert.Equal(["local:alias/payments-us", "local:alias/Payments-EU"], await SubjectsMatchingAsync(world, "PAYMENTS"));
        Assert.Equal(["local:alias/Payments-EU"], await SubjectsMatchingAsync(world, "s-eu"));
        Assert.Equal(["local:key/1234abcd"], await SubjectsMatchingAsync(world, "34ab"));
        Assert.Empty(await SubjectsMatchingAsync(world, "paymentz"));
        // % and _ are characters of the subject, and a quote cannot break out of the search.
        Assert.Equal(["grant:100%_done"], await SubjectsMatchingAsync(world, "0%_"));
        Assert.Empty(await SubjectsMatchingAsync(world, "\" OR \"a"));
        // Shorter than a trigram: still the right rows.
        Assert.Equal(["local:alias/Payments-EU", "local:key/1234abcd"], await SubjectsMatchingAsync(world, "-e", "y/"));
    }

    [Fact]
    public async Task Subject_contains_reads_the_trigram_index_and_the_subject_index_not_every_event_on_sqlite()
    {
        await using var world = await RotationWorld.StartAsync(seed: false);
        await AppendAsync(world, Subjects);
        await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { Subject = "payments" }, 0, 50);

        var query = world.Logs.Lines.Last(l => l.Contains("AuditSubjectSearch MATCH", StringComparison.Ordinal) && l.Contains("LIMIT", StringComparison.Ordinal));
        // The logged command with its parameters in place: the phrase searched, and the page's bounds.
        var sql = Regex.Replace(Regex.Replace(query[(query.IndexOf("commandText=", StringComparison.Ordinal) + "commandText=".Length)..query.IndexOf(';', query.LastIndexOf("LIMIT", StringComparison.Ordinal))], @"MATCH @\w+", "MATCH '\"payments\"'"), @"@\w+", "50");
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={world.DatabaseFile}");
        await connection.OpenAsync();
        await using var explain = connection.CreateCommand();
        explain.CommandText = "EXPLAIN QUERY PLAN " + sql;
        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(3));
            }
        }

        Assert.Contains(plan, p => p.Contains("AuditSubjectSearch VIRTUAL TABLE INDEX", StringComparison.Ordinal));
        Assert.Contains(plan, p => p.Contains("USING INDEX IX_AuditEvents_Subject", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, p => p.StartsWith("SCAN", StringComparison.Ordinal) && p.Contains("AuditEvents", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Subject_search_counts_and_pages_events_appended_after_the_index_was_built()
    {
        await using var world = await RotationWorld.StartAsync(seed: false);
        await AppendAsync(world, Enumerable.Range(0, 30).Select(i => $"local:alias/service-{i % 3:D3}").ToArray());

        var second = await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { Subject = "service-001" }, 1, 4);

        Assert.Equal(10, second.TotalCount);
        Assert.Equal(4, second.Items.Count);
        Assert.All(second.Items, e => Assert.Equal("local:alias/service-001", e.Subject));
        Assert.True(second.Items.Zip(second.Items.Skip(1)).All(p => p.First.Sequence > p.Second.Sequence));
    }

    [Fact]
    public async Task Pages_of_the_whole_trail_list_every_event_once_newest_first_and_still_do_after_a_row_is_cut()
    {
        await using var world = await RotationWorld.StartAsync(seed: false);
        await AppendAsync(world, Enumerable.Range(0, 23).Select(i => $"s-{i}").ToArray());

        Assert.Equal(Enumerable.Range(1, 23).Reverse().Select(i => (long)i), await AllSequencesAsync(world));
        Assert.Equal(23, (await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter(), 0, 5)).TotalCount);
        // A seek on the sequence, not an OFFSET past every newer event.
        Assert.DoesNotContain(world.Logs.Lines, l => l.Contains("FROM \"AuditEvents\"", StringComparison.Ordinal) && l.Contains("OFFSET", StringComparison.Ordinal));

        await world.ExecuteSqlAsync("DROP TRIGGER AuditEvents_append_only_delete; DELETE FROM AuditEvents WHERE Sequence = 20");
        Assert.Equal(Enumerable.Range(1, 23).Reverse().Where(i => i != 20).Select(i => (long)i), await AllSequencesAsync(world));
    }

    [Fact]
    public async Task Opening_the_trail_walks_only_the_events_after_the_verified_head_and_still_sees_that_head_altered()
    {
        await using var world = await RotationWorld.StartAsync(seed: false);
        await AppendAsync(world, Enumerable.Range(0, 8).Select(i => $"s-{i}").ToArray());
        var whole = await world.Audit.VerifyAsync(RotationWorld.Erin);
        Assert.Equal(new AuditAnchor(8, whole.Head!.Hash), world.Get<AuditIntegrity>().VerifiedHead);
        await AppendAsync(world, "s-8", "s-9");

        var opened = await world.Audit.VerifyLatestAsync(RotationWorld.Erin);

        Assert.True(opened.Intact);
        Assert.Equal(10, opened.EventsChecked);
        Assert.Equal(10, opened.Head!.Sequence);
        Assert.Equal(10, world.Get<AuditIntegrity>().VerifiedHead!.Sequence);
        await world.ExecuteSqlAsync("DROP TRIGGER AuditEvents_append_only_update; UPDATE AuditEvents SET Details = 'forged' WHERE Sequence = 10");
        var altered = await world.Audit.VerifyLatestAsync(RotationWorld.Erin);
        Assert.False(altered.Intact);
        Assert.Equal(10, altered.FirstBrokenSequence);
        await Assert.ThrowsAsync<RotationAuthorizationException>(() => world.Audit.VerifyLatestAsync(RotationWorld.Alice));
    }

    [SkippableFact]
    public async Task Subject_contains_finds_the_same_subjects_through_the_trigram_index_on_postgres()
    {
        await using var cluster = await TemporaryPostgres.StartAsync();
        await using var world = await RotationWorld.StartAsync(seed: false,
            database: new DatabaseOptions { Provider = DatabaseOptions.Postgres, ConnectionString = cluster.ConnectionString });
        await AppendAsync(world, Subjects);

        Assert.Equal(["local:alias/payments-us", "local:alias/Payments-EU"], await SubjectsMatchingAsync(world, "PAYMENTS"));
        Assert.Equal(["grant:100%_done"], await SubjectsMatchingAsync(world, "0%_"));
        Assert.Equal(["local:alias/Payments-EU", "local:key/1234abcd"], await SubjectsMatchingAsync(world, "-e", "y/"));
        await using var connection = new Npgsql.NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync();
        await using (var off = new Npgsql.NpgsqlCommand("SET enable_seqscan = off", connection))
        {
            await off.ExecuteNonQueryAsync();
        }

        await using var explain = new Npgsql.NpgsqlCommand("""EXPLAIN SELECT * FROM "AuditSubjects" WHERE "Subject" ILIKE '%payments%'""", connection);
        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(0));
            }
        }

        Assert.Contains(plan, line => line.Contains("IX_AuditSubjects_Subject_trgm", StringComparison.Ordinal));
    }

    private static async Task AppendAsync(RotationWorld world, params string[] subjects)
    {
        foreach (var subject in subjects)
        {
            await world.Get<RotationStore>().WriteAsync(audit => audit.AppendAsync("tester", "test.event", subject, "details"), CancellationToken.None);
        }
    }

    private static async Task<List<string>> SubjectsMatchingAsync(RotationWorld world, params string[] texts)
    {
        var found = new List<string>();
        foreach (var text in texts)
        {
            found.AddRange((await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { Subject = text }, 0, 50)).Items.Select(e => e.Subject));
        }

        return found;
    }

    private static async Task<List<long>> AllSequencesAsync(RotationWorld world)
    {
        var sequences = new List<long>();
        for (var page = 0; page < 10; page++)
        {
            sequences.AddRange((await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter(), page, 5)).Items.Select(e => e.Sequence));
        }

        return sequences;
    }
}
