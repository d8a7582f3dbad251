using System.Globalization;

namespace HealthLedger.Detection.Features;

/// <summary>One raw field of a device submission: a number (flow feature or vital) or a text value (a category).</summary>
public readonly record struct FeatureValue
{
    private FeatureValue(double number, string? text)
    {
        Number = number;
        Text = text;
    }

    /// <summary>The number, when <see cref="IsText"/> is false.</summary>
    public double Number { get; }

    /// <summary>The text, when <see cref="IsText"/> is true.</summary>
    public string? Text { get; }

    /// <summary>True when the value was given as text (it is parsed when a number is needed).</summary>
    public bool IsText => Text is not null;

    /// <summary>A numeric value.</summary>
    public static FeatureValue FromNumber(double number) => new(number, null);

    /// <summary>A text value (a category, or a number still in text form as read from a CSV file).</summary>
    public static FeatureValue FromText(string text) => new(0, text ?? throw new ArgumentNullException(nameof(text)));

    /// <summary>A numeric value.</summary>
    public static implicit operator FeatureValue(double number) => FromNumber(number);

    /// <summary>A text value.</summary>
    public static implicit operator FeatureValue(string text) => FromText(text);

    /// <inheritdoc />
    public override string ToString() => Text ?? Number.ToString("R", CultureInfo.InvariantCulture);
}
