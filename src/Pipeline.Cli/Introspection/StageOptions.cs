using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using YamlDotNet.Serialization.NamingConventions;

namespace Pipeline.Cli.Introspection;

/// <summary>
/// The keys of a stage's options type, found the way the YAML loader binds them: with a parameterless
/// constructor, its writable public properties (defaults read from a default instance, <c>required</c>
/// ones marked); otherwise the parameters of its widest constructor (required unless they have a default)
/// and the writable properties it does not take. Names are hyphenated (<c>BufferSize</c> is <c>buffer-size</c>).
/// </summary>
internal static class StageOptions
{
    /// <summary>The options of <paramref name="optionsType"/> in declaration order; empty for null.</summary>
    public static IReadOnlyList<StageOption> Describe(Type? optionsType)
    {
        if (optionsType is null || optionsType.IsAbstract || optionsType.IsInterface || optionsType.IsPrimitive)
        {
            return [];
        }

        var nullability = new NullabilityInfoContext();
        var options = new List<StageOption>();
        ParameterInfo[] parameters = [];
        object? instance = null;
        if (optionsType.IsValueType || optionsType.GetConstructor(Type.EmptyTypes) is not null)
        {
            instance = TryCreate(() => Activator.CreateInstance(optionsType));
        }
        else if (optionsType.GetConstructors().OrderByDescending(c => c.GetParameters().Length).FirstOrDefault() is { } constructor)
        {
            parameters = constructor.GetParameters();
            foreach (var parameter in parameters)
            {
                var allowsNull = nullability.Create(parameter).WriteState == NullabilityState.Nullable;
                options.Add(new StageOption(
                    KeyOf(parameter.Name!),
                    TypeName(parameter.ParameterType, allowsNull),
                    !parameter.HasDefaultValue,
                    parameter.HasDefaultValue ? Format(parameter.DefaultValue) : null));
            }

            // The properties' defaults as the loader would leave them: the constructor run with each parameter's default.
            instance = TryCreate(() => constructor.Invoke([.. parameters.Select(p => p.HasDefaultValue ? p.DefaultValue ?? DefaultOf(p.ParameterType) : DefaultOf(p.ParameterType))]));
        }
        else
        {
            return [];
        }

        foreach (var property in optionsType.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.SetMethod is not { IsPublic: true } || property.GetIndexParameters().Length > 0
                || Array.Exists(parameters, p => string.Equals(p.Name, property.Name, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            var allowsNull = nullability.Create(property).WriteState == NullabilityState.Nullable;
            var required = property.IsDefined(typeof(RequiredMemberAttribute), inherit: true);
            var value = required || instance is null ? null : Format(TryGet(property, instance));
            options.Add(new StageOption(KeyOf(property.Name), TypeName(property.PropertyType, allowsNull), required, value));
        }

        return options;
    }

    /// <summary>The YAML key of a property or parameter name, as the loader spells it.</summary>
    public static string KeyOf(string name) => HyphenatedNamingConvention.Instance.Apply(name);

    /// <summary>The type as a user reads it in YAML terms.</summary>
    public static string TypeName(Type type, bool allowsNull = false)
    {
        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return TypeName(underlying) + "?";
        }

        var name = type switch
        {
            _ when type == typeof(string) => "string",
            _ when type == typeof(bool) => "bool",
            _ when type == typeof(sbyte) => "sbyte",
            _ when type == typeof(byte) => "byte",
            _ when type == typeof(short) => "short",
            _ when type == typeof(ushort) => "ushort",
            _ when type == typeof(int) => "int",
            _ when type == typeof(uint) => "uint",
            _ when type == typeof(long) => "long",
            _ when type == typeof(ulong) => "ulong",
            _ when type == typeof(float) => "float",
            _ when type == typeof(double) => "double",
            _ when type == typeof(decimal) => "decimal",
            _ when type.IsEnum => $"one of [{string.Join(", ", Enum.GetNames(type).Select(KeyOf))}]",
            _ when ElementTypeOf(type) is { } element => $"list of {TypeName(element)}",
            _ => type.Name,
        };
        return allowsNull && !type.IsValueType ? name + "?" : name;
    }

    // A value as it would be written in the YAML file; null (nothing to show) for a null default.
    private static string? Format(object? value) => value switch
    {
        null or DBNull or Missing => null,
        string text => $"\"{text}\"",
        bool flag => flag ? "true" : "false",
        Enum member => KeyOf(member.ToString()),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable items => $"[{string.Join(", ", items.Cast<object?>().Select(i => Format(i) ?? "~"))}]",
        _ => value.ToString(),
    };

    private static Type? ElementTypeOf(Type type)
    {
        if (type.IsArray)
        {
            return type.GetArrayRank() == 1 ? type.GetElementType() : null;
        }

        if (!type.IsGenericType || type.GenericTypeArguments.Length != 1)
        {
            return null;
        }

        var element = type.GenericTypeArguments[0];
        return type.IsAssignableFrom(typeof(List<>).MakeGenericType(element)) ? element : null;
    }

    private static object? DefaultOf(Type type) => type.IsValueType ? Activator.CreateInstance(type) : null;

    // A constructor that rejects its defaults (validation) leaves the defaults unknown, not the command broken.
    private static object? TryCreate(Func<object?> create)
    {
        try
        {
            return create();
        }
        catch (Exception ex) when (ex is TargetInvocationException or MissingMethodException or MemberAccessException or ArgumentException)
        {
            return null;
        }
    }

    private static object? TryGet(PropertyInfo property, object instance)
    {
        try
        {
            return property.GetValue(instance);
        }
        catch (TargetInvocationException)
        {
            return null;
        }
    }
}
