using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace HealthLedger.Detection.Features;

/// <summary>
/// Turns a device submission (raw fields by name) into the model's feature vector, in <c>hl.features</c> order.
/// A feature named <c>column</c> takes the numeric field <c>column</c>; features named <c>column=value</c> one-hot encode the
/// categorical field <c>column</c> (a value matching none of them encodes as all-zero, per the model contract).
/// Pure and thread-safe. NaN, ±∞, unparseable, missing or out-of-range values are refused with a <see cref="FeatureError"/>.
/// </summary>
public sealed class FeatureExtractor
{
    private readonly Column[] _columns;
    private readonly FeatureExtractorOptions _options;

    /// <summary>Creates an extractor for the given feature names (a model's <c>hl.features</c>).</summary>
    public FeatureExtractor(IReadOnlyList<string> featureNames, FeatureExtractorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(featureNames);
        _options = options ?? FeatureExtractorOptions.Default;
        FeatureNames = featureNames.ToArray();
        var columns = new Dictionary<string, Column>(StringComparer.Ordinal);
        var order = new List<Column>();
        for (var i = 0; i < FeatureNames.Count; i++)
        {
            var name = FeatureNames[i];
            var eq = name.IndexOf('=', StringComparison.Ordinal);
            var field = eq < 0 ? name : name[..eq];
            if (!columns.TryGetValue(field, out var column))
            {
                column = new Column(field);
                columns.Add(field, column);
                order.Add(column);
            }

            if (eq < 0)
            {
                column.NumericIndex = i;
            }
            else
            {
                column.Categories.Add(new Category(name[(eq + 1)..].Trim(), i));
            }
        }

        _columns = [.. order];
        foreach (var column in _columns)
        {
            column.Range = _options.Ranges.TryGetValue(column.Name, out var range) ? range : null;
        }

        Fields = _columns.Select(c => c.Name).ToArray();
    }

    /// <summary>The feature names, in model input order.</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>The raw submission fields the features are computed from.</summary>
    public IReadOnlyList<string> Fields { get; }

    /// <summary>F, the length of one feature vector.</summary>
    public int FeatureCount => FeatureNames.Count;

    /// <summary>
    /// Writes the feature vector of <paramref name="fields"/> to <paramref name="destination"/> (length F).
    /// Returns false with the first refused field in <paramref name="error"/>; <paramref name="destination"/> is then unspecified.
    /// </summary>
    public bool TryExtract(IReadOnlyDictionary<string, FeatureValue> fields, Span<float> destination, [NotNullWhen(false)] out FeatureError? error)
    {
        ArgumentNullException.ThrowIfNull(fields);
        CheckDestination(destination);
        foreach (var column in _columns)
        {
            if (!fields.TryGetValue(column.Name, out var value))
            {
                error = new FeatureError(FeatureErrorKind.Missing, column.Name, $"Field '{column.Name}' is missing.");
                return false;
            }

            if (!TryEncode(column, value, destination, out error))
            {
                return false;
            }
        }

        error = null;
        return true;
    }

    /// <summary>Creates an encoder for delimited text rows (a dataset file) with the given header (column names in file order).</summary>
    /// <exception cref="InvalidDataException">The header lacks a field the model needs.</exception>
    public RowEncoder CreateRowEncoder(IReadOnlyList<string> header)
    {
        var positions = new int[_columns.Length];
        for (var i = 0; i < _columns.Length; i++)
        {
            positions[i] = -1;
            for (var h = 0; h < header.Count; h++)
            {
                if (header[h] == _columns[i].Name)
                {
                    positions[i] = h;
                    break;
                }
            }

            if (positions[i] < 0)
            {
                throw new InvalidDataException($"The data has no column '{_columns[i].Name}' needed by feature(s) of the model.");
            }
        }

        return new RowEncoder(this, positions);
    }

    private void CheckDestination(Span<float> destination)
    {
        if (destination.Length != FeatureCount)
        {
            throw new ArgumentException($"The destination must hold {FeatureCount} floats, it holds {destination.Length}.", nameof(destination));
        }
    }

    private bool TryEncode(Column column, FeatureValue value, Span<float> destination, [NotNullWhen(false)] out FeatureError? error)
    {
        if (column.NumericIndex >= 0)
        {
            if (!TryNumber(column, value, out var number, out error))
            {
                return false;
            }

            destination[column.NumericIndex] = (float)number;
        }

        if (column.Categories.Count > 0)
        {
            var matched = false;
            foreach (var category in column.Categories)
            {
                var hit = !matched && category.Matches(value);
                destination[category.Index] = hit ? 1f : 0f;
                matched |= hit;
            }

            if (!matched && _options.RefuseUnknownCategories)
            {
                error = new FeatureError(FeatureErrorKind.UnknownCategory, column.Name, $"Field '{column.Name}' has value '{value}', which the model does not know.");
                return false;
            }
        }

        error = null;
        return true;
    }

    private bool TryNumber(Column column, FeatureValue value, out double number, [NotNullWhen(false)] out FeatureError? error)
    {
        number = value.Number;
        if (value.IsText && !double.TryParse(value.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out number))
        {
            error = new FeatureError(FeatureErrorKind.NotANumber, column.Name, $"Field '{column.Name}' is '{value.Text}', not a number.");
            return false;
        }

        if (double.IsNaN(number))
        {
            error = new FeatureError(FeatureErrorKind.NaN, column.Name, $"Field '{column.Name}' is NaN.");
            return false;
        }

        if (double.IsInfinity(number))
        {
            error = new FeatureError(FeatureErrorKind.Infinite, column.Name, $"Field '{column.Name}' is infinite.");
            return false;
        }

        if (Math.Abs(number) > _options.MaxMagnitude)
        {
            error = new FeatureError(FeatureErrorKind.OutOfRange, column.Name, string.Create(CultureInfo.InvariantCulture, $"Field '{column.Name}' is {number:R}, beyond the accepted magnitude {_options.MaxMagnitude:R}."));
            return false;
        }

        if (column.Range is { } range && (number < range.Min || number > range.Max))
        {
            error = new FeatureError(FeatureErrorKind.OutOfRange, column.Name, string.Create(CultureInfo.InvariantCulture, $"Field '{column.Name}' is {number:R}, outside [{range.Min:R}, {range.Max:R}]."));
            return false;
        }

        error = null;
        return true;
    }

    /// <summary>
    /// Encodes delimited text rows whose columns were matched once against the model's fields. Holds no mutable state,
    /// so one encoder may be used from several threads.
    /// </summary>
    public sealed class RowEncoder
    {
        private readonly FeatureExtractor _owner;
        private readonly int[] _positions;

        internal RowEncoder(FeatureExtractor owner, int[] positions)
        {
            _owner = owner;
            _positions = positions;
        }

        /// <summary>Encodes one row's fields (split, not trimmed) into <paramref name="destination"/>.</summary>
        public bool TryEncode(IReadOnlyList<string> row, Span<float> destination, [NotNullWhen(false)] out FeatureError? error)
        {
            _owner.CheckDestination(destination);
            for (var i = 0; i < _positions.Length; i++)
            {
                var column = _owner._columns[i];
                if (_positions[i] >= row.Count)
                {
                    error = new FeatureError(FeatureErrorKind.Missing, column.Name, $"Field '{column.Name}' is missing (short row).");
                    return false;
                }

                if (!_owner.TryEncode(column, FeatureValue.FromText(row[_positions[i]]), destination, out error))
                {
                    return false;
                }
            }

            error = null;
            return true;
        }
    }

    private sealed class Column(string name)
    {
        public string Name { get; } = name;

        public int NumericIndex { get; set; } = -1;

        public List<Category> Categories { get; } = [];

        public FeatureRange? Range { get; set; }
    }

    private sealed class Category
    {
        private readonly double? _number;

        public Category(string value, int index)
        {
            Value = value;
            Index = index;
            _number = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n : null;
        }

        public string Value { get; }

        public int Index { get; }

        public bool Matches(FeatureValue value)
        {
            if (value.IsText)
            {
                var text = value.Text.AsSpan().Trim();
                return text.SequenceEqual(Value)
                    || (_number is { } n && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && parsed == n);
            }

            return _number is { } number && value.Number == number;
        }
    }
}
