using AngleSharp.Dom;
using Bunit;
using Microsoft.AspNetCore.Components;

namespace KmsConsole.Web.Tests;

internal static class Elements
{
    /// <summary>The input (or textarea) a test id marks: the element itself or the one inside it.</summary>
    public static IElement Field<T>(this IRenderedComponent<T> page, string testId) where T : IComponent
    {
        var marked = page.Find($"[data-testid='{testId}']");
        return marked.TagName is "INPUT" or "TEXTAREA" ? marked : marked.QuerySelector("input, textarea") ?? marked;
    }

    public static IElement Button<T>(this IRenderedComponent<T> page, string name) where T : IComponent =>
        page.FindAll("button").Single(b => b.TextContent.Trim() == name);

    /// <summary>
    /// Clicks a button by its name, finding and clicking it on the renderer's own thread so no render
    /// lands in between (a render replaces the button's event handler).
    /// </summary>
    public static void ClickButton<T>(this IRenderedComponent<T> page, string name) where T : IComponent =>
        page.InvokeAsync(() => page.Button(name).Click()).GetAwaiter().GetResult();

    /// <summary>Clicks the element a test id marks, on the renderer's own thread (see <see cref="ClickButton{T}"/>).</summary>
    public static void ClickMarked<T>(this IRenderedComponent<T> page, string testId) where T : IComponent =>
        page.InvokeAsync(() => page.Find($"[data-testid='{testId}']").Click()).GetAwaiter().GetResult();

    /// <summary>Types into a field, finding it on the renderer's own thread (see <see cref="ClickButton{T}"/>).</summary>
    public static void InputField<T, TValue>(this IRenderedComponent<T> page, string testId, TValue value) where T : IComponent =>
        page.InvokeAsync(() => page.Field(testId).Input(value)).GetAwaiter().GetResult();

    /// <summary>Changes a field's value, finding it on the renderer's own thread (see <see cref="ClickButton{T}"/>).</summary>
    public static void ChangeField<T, TValue>(this IRenderedComponent<T> page, string testId, TValue value) where T : IComponent =>
        page.InvokeAsync(() => page.Field(testId).Change(value)).GetAwaiter().GetResult();

    public static bool HasButton<T>(this IRenderedComponent<T> page, string name) where T : IComponent =>
        page.FindAll("button").Any(b => b.TextContent.Trim() == name);
}
