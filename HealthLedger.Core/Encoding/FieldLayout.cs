namespace HealthLedger.Core.Encoding;

/// <summary>
/// What the payload and message layouts share: the field list of a description (listed once, by
/// <see cref="FieldLister"/>) and the table from a kind or type byte to its layout.
/// </summary>
internal abstract class FieldLayout(IReadOnlyList<FieldInfo> fields)
{
    /// <summary>The fields, in order.</summary>
    public IReadOnlyList<FieldInfo> Fields { get; } = fields;

    /// <summary>A table indexed by <paramref name="entries"/>' tag bytes (null where no entry).</summary>
    public static TLayout?[] Table<TTag, TLayout>(params (TTag Tag, TLayout Layout)[] entries)
        where TTag : struct, Enum
        where TLayout : FieldLayout
    {
        var table = new TLayout?[entries.Max(e => Convert.ToInt32(e.Tag, System.Globalization.CultureInfo.InvariantCulture)) + 1];
        foreach (var (tag, layout) in entries)
        {
            table[Convert.ToInt32(tag, System.Globalization.CultureInfo.InvariantCulture)] = layout;
        }

        return table;
    }

    /// <summary>The table's entries, in tag order.</summary>
    public static IEnumerable<(TTag Tag, TLayout Layout)> Entries<TTag, TLayout>(TLayout?[] table)
        where TTag : struct, Enum
        where TLayout : FieldLayout =>
        table.Select((layout, i) => (Tag: (TTag)Enum.ToObject(typeof(TTag), i), Layout: layout)).Where(e => e.Layout is not null).Select(e => (e.Tag, e.Layout!));
}
