using System.Reflection;
using Microsoft.Extensions.DependencyInjection;

namespace KmsConsole.Rotation;

/// <summary>
/// The console's public services keep their constructors internal, since those take internal types such as the
/// store; the container only calls public constructors, so these registrations let it build them all the same,
/// each argument resolved from the container (an optional one left at its default when nothing is registered).
/// </summary>
internal static class InternalConstructorRegistration
{
    public static IServiceCollection AddInternalSingleton<TService>(this IServiceCollection services) where TService : class =>
        services.AddSingleton(Build<TService>);

    private static TService Build<TService>(IServiceProvider services)
    {
        var constructor = typeof(TService).GetConstructors(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
            .Single(c => !c.IsPrivate);
        var arguments = constructor.GetParameters().Select(p => Resolve(services, p)).ToArray();
        return (TService)constructor.Invoke(arguments);
    }

    private static object? Resolve(IServiceProvider services, ParameterInfo parameter) =>
        services.GetService(parameter.ParameterType)
        ?? (parameter.HasDefaultValue
            ? parameter.DefaultValue
            : throw new InvalidOperationException($"{parameter.Member.DeclaringType?.Name} needs a {parameter.ParameterType.Name}, and none is registered."));
}
