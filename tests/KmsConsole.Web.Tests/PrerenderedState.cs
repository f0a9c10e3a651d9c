using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace KmsConsole.Web.Tests;

/// <summary>
/// Carries component state from one render to the next as the framework carries it from prerendering into the
/// interactive render: its own <see cref="ComponentStatePersistenceManager"/> and the provider behind
/// <see cref="PersistentStateAttribute"/>, persisting into this in-memory store (where the app writes the page's HTML)
/// and restoring from it before the second render.
/// </summary>
public sealed class PrerenderedState : IPersistentComponentStateStore
{
    private Dictionary<string, byte[]> persisted = [];

    /// <summary>The keys persisted, one per persisted property of each component.</summary>
    public IReadOnlyCollection<string> Keys => persisted.Keys;

    /// <summary>Gives a context the framework's persistent component state; call before anything is rendered.</summary>
    public static void Enable(BunitContext context)
    {
        context.Services.AddSingleton(sp => new ComponentStatePersistenceManager(NullLogger<ComponentStatePersistenceManager>.Instance, sp));
        context.Services.AddSingleton(sp => sp.GetRequiredService<ComponentStatePersistenceManager>().State);
        context.Services.AddSupplyValueFromPersistentComponentStateProvider();
    }

    /// <summary>What the app does at the end of prerendering: every persisted property of the rendered components, into this store.</summary>
    public Task PersistFromAsync(BunitContext prerendered) =>
        prerendered.Services.GetRequiredService<ComponentStatePersistenceManager>().PersistStateAsync(this, prerendered.Renderer);

    /// <summary>What the circuit does when it starts: the persisted state, restored before the first interactive render.</summary>
    public Task RestoreIntoAsync(BunitContext interactive) =>
        interactive.Services.GetRequiredService<ComponentStatePersistenceManager>().RestoreStateAsync(this);

    Task<IDictionary<string, byte[]>> IPersistentComponentStateStore.GetPersistedStateAsync() =>
        Task.FromResult<IDictionary<string, byte[]>>(new Dictionary<string, byte[]>(persisted));

    Task IPersistentComponentStateStore.PersistStateAsync(IReadOnlyDictionary<string, byte[]> state)
    {
        persisted = new Dictionary<string, byte[]>(state);
        return Task.CompletedTask;
    }

    bool IPersistentComponentStateStore.SupportsRenderMode(IComponentRenderMode renderMode) => true;
}
