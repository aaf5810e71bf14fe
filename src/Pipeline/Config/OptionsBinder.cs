using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using Pipeline.Stages;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization.NamingConventions;

namespace Pipeline.Config;

/// <summary>
/// Binds a stage's YAML keys (all but <c>type</c>) to its options type in one call, as Click's
/// <c>Args(...).read_mp(...).complete()</c> does, so stages hold no parsing code. The keys are the options
/// type's constructor parameters and writable (<c>init</c> or <c>set</c>) properties, hyphenated
/// (<c>BufferSize</c> is <c>buffer-size</c>). Values are converted here rather than by YamlDotNet's
/// deserializer so that every error carries the file position of its key or value.
/// </summary>
internal sealed class OptionsBinder(ConfigDiagnostics diagnostics)
{
    private static readonly Dictionary<Type, (Int128 Min, Int128 Max)> IntegerRanges = new()
    {
        [typeof(sbyte)] = (sbyte.MinValue, sbyte.MaxValue),
        [typeof(byte)] = (byte.MinValue, byte.MaxValue),
        [typeof(short)] = (short.MinValue, short.MaxValue),
        [typeof(ushort)] = (ushort.MinValue, ushort.MaxValue),
        [typeof(int)] = (int.MinValue, int.MaxValue),
        [typeof(uint)] = (uint.MinValue, uint.MaxValue),
        [typeof(long)] = (long.MinValue, long.MaxValue),
        [typeof(ulong)] = (ulong.MinValue, ulong.MaxValue),
    };

    private static readonly MethodInfo ParseWithIParsable =
        typeof(OptionsBinder).GetMethod(nameof(TryParseParsable), BindingFlags.NonPublic | BindingFlags.Static)!;

    // Not thread-safe, hence one per binder.
    private readonly NullabilityInfoContext _nullability = new();

    private sealed record Member(string Key, Type Type, bool AllowsNull, bool Required, PropertyInfo? Property, int Parameter);

    private sealed record Shape(ConstructorInfo? Constructor, ParameterInfo[] Parameters, List<Member> Members);

    /// <summary>The YAML key of a property or parameter name.</summary>
    public static string KeyOf(string name) => HyphenatedNamingConvention.Instance.Apply(name);

    /// <summary>Binds <paramref name="stage"/>'s keys but <c>type</c>; false (with errors reported) when any is bad.</summary>
    public bool TryBind(StageDescriptor descriptor, YamlScalarNode nameKey, YamlMappingNode stage, out object? options)
    {
        options = null;
        // type, node and instances are the pipeline's keys (PipelineReader reads them), not the stage's options.
        var entries = stage.Children.Where(e => e.Key is not YamlScalarNode { Value: "type" or NodePlacementReader.NodeKey or NodePlacementReader.InstancesKey }).ToList();
        var shape = descriptor.OptionsType is { } type ? ShapeOf(type) : null;
        if (shape is null || shape.Members.Count == 0)
        {
            foreach (var entry in entries)
            {
                diagnostics.Add(entry.Key, $"stage type '{descriptor.Name}' takes no parameters");
            }

            return entries.Count == 0;
        }

        return TryBindObject(descriptor.OptionsType!, shape, entries, $"stage '{nameKey.Value}'", diagnostics.At(nameKey), ["type", NodePlacementReader.NodeKey, NodePlacementReader.InstancesKey], out options);
    }

    private bool TryBindObject(
        Type type, Shape shape, List<KeyValuePair<YamlNode, YamlNode>> entries, string owner, SourceSpan ownerAt, string[] reservedKeys, out object? result)
    {
        result = null;
        var members = shape.Members;
        var values = new object?[members.Count];
        var keys = new YamlNode?[members.Count];
        var ok = true;
        foreach (var (keyNode, valueNode) in entries)
        {
            if (keyNode is not YamlScalarNode { Value: { } key })
            {
                diagnostics.Add(keyNode, $"expected a key name, found {ConfigDiagnostics.Describe(keyNode)}");
                ok = false;
                continue;
            }

            var index = members.FindIndex(m => m.Key == key);
            if (index < 0)
            {
                diagnostics.Add(keyNode, PipelineReader.UnknownKey(key, [.. reservedKeys, .. members.Select(m => m.Key)]));
                ok = false;
                continue;
            }

            keys[index] = keyNode;
            var member = members[index];
            ok &= TryConvert(member.Type, member.AllowsNull, keyNode, valueNode, $"'{key}'", out values[index]);
        }

        for (var i = 0; i < members.Count; i++)
        {
            if (members[i].Required && keys[i] is null)
            {
                diagnostics.Add(ownerAt, $"{owner} is missing required key '{members[i].Key}'");
                ok = false;
            }
        }

        if (!ok)
        {
            return false;
        }

        try
        {
            if (shape.Constructor is null)
            {
                result = Activator.CreateInstance(type)!;
            }
            else
            {
                var args = new object?[shape.Parameters.Length];
                for (var p = 0; p < args.Length; p++)
                {
                    var parameter = shape.Parameters[p];
                    args[p] = parameter.HasDefaultValue ? parameter.DefaultValue ?? DefaultOf(parameter.ParameterType) : DefaultOf(parameter.ParameterType);
                }

                for (var i = 0; i < members.Count; i++)
                {
                    if (members[i].Property is null && keys[i] is not null)
                    {
                        args[members[i].Parameter] = values[i];
                    }
                }

                result = shape.Constructor.Invoke(args);
            }
        }
        catch (TargetInvocationException ex)
        {
            diagnostics.Add(ownerAt, $"invalid options for {owner}: {Reason(ex)}");
            return false;
        }

        for (var i = 0; i < members.Count; i++)
        {
            if (members[i].Property is { } property && keys[i] is { } keyNode)
            {
                try
                {
                    property.SetValue(result, values[i]);
                }
                catch (TargetInvocationException ex)
                {
                    diagnostics.Add(keyNode, $"invalid '{members[i].Key}': {Reason(ex)}");
                    ok = false;
                }
            }
        }

        return ok;
    }

    // Converts one value, reporting a mismatch at the value (or at the key when the value is missing).
    // A key with no value, '~' or 'null' is null where the type allows it.
    private bool TryConvert(Type type, bool allowsNull, YamlNode keyNode, YamlNode node, string label, out object? value)
    {
        value = null;
        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            type = underlying;
            allowsNull = true;
        }

        if (node is YamlScalarNode scalar && IsNull(scalar, allowsNull))
        {
            if (allowsNull)
            {
                return true;
            }

            diagnostics.Add(keyNode, $"{label} needs a value");
            return false;
        }

        if (type == typeof(string))
        {
            return TryText(node, label, "a string", out var text) && Set(text, out value);
        }

        if (type == typeof(bool))
        {
            if (!TryText(node, label, "true or false", out var text))
            {
                return false;
            }

            if (bool.TryParse(text, out var flag))
            {
                value = flag;
                return true;
            }

            return Mismatch(node, label, "true or false");
        }

        if (type.IsEnum)
        {
            var names = Enum.GetNames(type);
            var expected = $"one of [{string.Join(", ", names.Select(KeyOf))}]";
            if (!TryText(node, label, expected, out var text))
            {
                return false;
            }

            var match = names.FirstOrDefault(n => KeyOf(n) == text || string.Equals(n, text, StringComparison.OrdinalIgnoreCase));
            return match is not null ? Set(Enum.Parse(type, match), out value) : Mismatch(node, label, expected);
        }

        if (IntegerRanges.TryGetValue(type, out var range))
        {
            var expected = $"an integer from {range.Min} to {range.Max}";
            if (!TryText(node, label, expected, out var text))
            {
                return false;
            }

            if (TryParseInteger(text, out var integer) && integer >= range.Min && integer <= range.Max)
            {
                value = type == typeof(ulong) ? (ulong)integer : Convert.ChangeType((long)integer, type, CultureInfo.InvariantCulture);
                return true;
            }

            return Mismatch(node, label, expected);
        }

        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal))
        {
            if (!TryText(node, label, "a number", out var text))
            {
                return false;
            }

            if (type == typeof(decimal))
            {
                if (decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var exact))
                {
                    value = exact;
                    return true;
                }
            }
            else if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real))
            {
                value = type == typeof(double) ? real : (float)real;
                return true;
            }

            return Mismatch(node, label, "a number");
        }

        if (ElementTypeOf(type) is { } elementType)
        {
            return TryConvertList(type, elementType, keyNode, node, label, out value);
        }

        if (type == typeof(System.Net.IPAddress))
        {
            // IPAddress.TryParse takes "1" as 0.0.0.1 and "10.1" as 10.0.0.1 (inet_aton's forms): an address in a
            // pipeline file is written in full.
            const string expected = "an IP address (IPv4 as a dotted quad like 192.0.2.1, or IPv6)";
            if (!TryText(node, label, expected, out var text))
            {
                return false;
            }

            return System.Net.IPAddress.TryParse(text, out var ip)
                && (ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || text.Count(c => c == '.') == 3)
                ? Set(ip, out value)
                : Mismatch(node, label, expected);
        }

        if (Array.Exists(type.GetInterfaces(), i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IParsable<>) && i.GenericTypeArguments[0] == type))
        {
            var expected = $"a valid {type.Name}";
            if (!TryText(node, label, expected, out var text))
            {
                return false;
            }

            var args = new object?[] { text, null };
            return (bool)ParseWithIParsable.MakeGenericMethod(type).Invoke(null, args)! ? Set(args[1], out value) : Mismatch(node, label, expected);
        }

        // A nested options object: a mapping bound the same way.
        if (type != typeof(object) && ShapeOf(type) is { Members.Count: > 0 } shape)
        {
            if (node is not YamlMappingNode mapping)
            {
                return Mismatch(node, label, "a mapping");
            }

            return TryBindObject(type, shape, [.. mapping.Children], label, diagnostics.At(keyNode), [], out value);
        }

        diagnostics.Add(keyNode, $"{label} has a type the loader cannot bind ({type.Name})");
        return false;
    }

    private bool TryConvertList(Type type, Type elementType, YamlNode keyNode, YamlNode node, string label, out object? value)
    {
        value = null;
        if (node is not YamlSequenceNode sequence)
        {
            return Mismatch(node, label, "a list");
        }

        var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(elementType))!;
        var ok = true;
        foreach (var item in sequence.Children)
        {
            if (TryConvert(elementType, allowsNull: false, item, item, $"{label} item", out var converted))
            {
                list.Add(converted);
            }
            else
            {
                ok = false;
            }
        }

        if (!ok)
        {
            return false;
        }

        if (type.IsArray)
        {
            var array = Array.CreateInstance(elementType, list.Count);
            list.CopyTo(array, 0);
            value = array;
        }
        else
        {
            value = list;
        }

        return true;
    }

    private bool TryText(YamlNode node, string label, string expected, out string text)
    {
        if (node is YamlScalarNode { Value: { } value })
        {
            text = value;
            return true;
        }

        text = string.Empty;
        return Mismatch(node, label, expected);
    }

    private bool Mismatch(YamlNode node, string label, string expected)
    {
        diagnostics.Add(node, $"{label} must be {expected}, found {ConfigDiagnostics.Describe(node)}");
        return false;
    }

    private static bool Set(object? converted, out object? value)
    {
        value = converted;
        return true;
    }

    private static bool IsNull(YamlScalarNode scalar, bool allowsNull) =>
        ConfigDiagnostics.IsEmpty(scalar)
        || (allowsNull && scalar.Style is YamlDotNet.Core.ScalarStyle.Plain && scalar.Value is "~" or "null" or "Null" or "NULL");

    // Decimal, or hexadecimal after 0x; an optional sign.
    private static bool TryParseInteger(string text, out Int128 value)
    {
        var span = text.AsSpan().Trim();
        var negative = span.StartsWith("-");
        if (negative || span.StartsWith("+"))
        {
            span = span[1..];
        }

        var parsed = span.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? UInt128.TryParse(span[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var magnitude)
            : UInt128.TryParse(span, NumberStyles.None, CultureInfo.InvariantCulture, out magnitude);
        if (!parsed || magnitude > (UInt128)Int128.MaxValue)
        {
            value = default;
            return false;
        }

        value = negative ? -(Int128)magnitude : (Int128)magnitude;
        return true;
    }

    private static bool TryParseParsable<T>(string text, out object? value)
        where T : IParsable<T>
    {
        var ok = T.TryParse(text, CultureInfo.InvariantCulture, out var parsed);
        value = parsed;
        return ok;
    }

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

    // The exception's own words: an ArgumentException without its " (Parameter 'x')" tail.
    private static string Reason(TargetInvocationException ex)
    {
        var inner = ex.InnerException ?? ex;
        var message = inner.Message;
        if (inner is ArgumentException { ParamName: { } name })
        {
            var tail = $" (Parameter '{name}')";
            if (message.EndsWith(tail, StringComparison.Ordinal))
            {
                message = message[..^tail.Length];
            }
        }

        return message;
    }

    // The parameterless constructor (or a struct's default) and the writable properties; else the public
    // constructor with the most parameters (a positional record) and the writable properties it does not take.
    private Shape? ShapeOf(Type type)
    {
        if (type.IsAbstract || type.IsInterface || type.IsPrimitive)
        {
            return null;
        }

        ConstructorInfo? constructor = null;
        ParameterInfo[] parameters = [];
        if (!type.IsValueType && type.GetConstructor(Type.EmptyTypes) is null)
        {
            constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).FirstOrDefault();
            if (constructor is null)
            {
                return null;
            }

            parameters = constructor.GetParameters();
        }

        var members = new List<Member>();
        for (var p = 0; p < parameters.Length; p++)
        {
            var parameter = parameters[p];
            var allowsNull = _nullability.Create(parameter).WriteState == NullabilityState.Nullable;
            members.Add(new Member(KeyOf(parameter.Name!), parameter.ParameterType, allowsNull, !parameter.HasDefaultValue, null, p));
        }

        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.SetMethod is not { IsPublic: true } || property.GetIndexParameters().Length > 0
                || Array.Exists(parameters, p => string.Equals(p.Name, property.Name, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            var allowsNull = _nullability.Create(property).WriteState == NullabilityState.Nullable;
            var required = property.IsDefined(typeof(RequiredMemberAttribute), inherit: true);
            members.Add(new Member(KeyOf(property.Name), property.PropertyType, allowsNull, required, property, -1));
        }

        return new Shape(constructor, parameters, members);
    }
}
