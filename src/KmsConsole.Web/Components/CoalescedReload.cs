namespace KmsConsole.Web.Components;

/// <summary>
/// Runs a page's reload at most once at a time. Requests that arrive while one runs collapse into a single
/// reload after it, so a burst of changes costs two reloads, not one per change, and the last one reads
/// everything the burst changed.
/// </summary>
public sealed class CoalescedReload(Func<Task> reload)
{
    private readonly Lock gate = new();
    private bool running;
    private bool queued;

    /// <summary>Reloads, or when a reload is already running, makes sure one more follows it.</summary>
    public async Task RequestAsync()
    {
        lock (gate)
        {
            if (running)
            {
                queued = true;
                return;
            }

            running = true;
        }

        try
        {
            while (true)
            {
                await reload();
                lock (gate)
                {
                    if (!queued)
                    {
                        running = false;
                        return;
                    }

                    queued = false;
                }
            }
        }
        catch
        {
            lock (gate)
            {
                running = false;
                queued = false;
            }

            throw;
        }
    }
}
