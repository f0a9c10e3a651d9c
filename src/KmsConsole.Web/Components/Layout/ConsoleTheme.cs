using MudBlazor;

namespace KmsConsole.Web.Components.Layout;

/// <summary>The console's light and dark palettes.</summary>
public static class ConsoleTheme
{
    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#1e4b8f",
            Secondary = "#00796b",
            AppbarBackground = "#1e4b8f",
            Background = "#f6f8fb",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#7fb2ff",
            Secondary = "#4db6ac",
            AppbarBackground = "#14223a",
        },
    };
}
