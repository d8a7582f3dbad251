using HealthLedger.Detection.Features;

namespace HealthLedger.Tests.Detection.Features;

public sealed class FeatureExtractorTests
{
    private static readonly string[] Names = ["duration", "src_bytes", "protocol_type=tcp", "protocol_type=udp", "protocol_type=icmp", "Temp"];

    private static Dictionary<string, FeatureValue> Valid() => new()
    {
        ["duration"] = 2.5,
        ["src_bytes"] = 491,
        ["protocol_type"] = "udp",
        ["Temp"] = 36.6,
        ["unused"] = "ignored",
    };

    [Test]
    public void Writes_features_in_model_order_with_one_hot_categories()
    {
        var extractor = new FeatureExtractor(Names);
        var vector = new float[6];

        var ok = extractor.TryExtract(Valid(), vector, out var error);

        Assert.Multiple(() =>
        {
            Assert.That(ok, Is.True, error?.Message);
            Assert.That(vector, Is.EqualTo(new[] { 2.5f, 491f, 0f, 1f, 0f, 36.6f }));
            Assert.That(extractor.Fields, Is.EqualTo(new[] { "duration", "src_bytes", "protocol_type", "Temp" }));
        });
    }

    [Test]
    public void Numbers_given_as_text_parse_with_the_invariant_culture()
    {
        var fields = Valid();
        fields["duration"] = "1e-3";
        fields["protocol_type"] = " tcp ";
        var vector = new float[6];

        Assert.That(new FeatureExtractor(Names).TryExtract(fields, vector, out _), Is.True);
        Assert.That(vector[..3], Is.EqualTo(new[] { 0.001f, 491f, 1f }));
    }

    [TestCase(double.NaN, FeatureErrorKind.NaN)]
    [TestCase(double.PositiveInfinity, FeatureErrorKind.Infinite)]
    [TestCase(double.NegativeInfinity, FeatureErrorKind.Infinite)]
    [TestCase(1e13, FeatureErrorKind.OutOfRange)]
    [TestCase(-1e300, FeatureErrorKind.OutOfRange)]
    public void Invalid_numbers_are_refused_with_their_reason(double value, FeatureErrorKind expected)
    {
        var fields = Valid();
        fields["src_bytes"] = value;

        var ok = new FeatureExtractor(Names).TryExtract(fields, new float[6], out var error);

        Assert.Multiple(() =>
        {
            Assert.That(ok, Is.False);
            Assert.That(error!.Kind, Is.EqualTo(expected));
            Assert.That(error.Field, Is.EqualTo("src_bytes"));
            Assert.That(error.Message, Does.Contain("src_bytes"));
        });
    }

    [TestCase("NaN", FeatureErrorKind.NaN)]
    [TestCase("Infinity", FeatureErrorKind.Infinite)]
    [TestCase("abc", FeatureErrorKind.NotANumber)]
    [TestCase("", FeatureErrorKind.NotANumber)]
    [TestCase("1,5", FeatureErrorKind.NotANumber)]
    public void Invalid_numeric_text_is_refused_with_its_reason(string text, FeatureErrorKind expected)
    {
        var fields = Valid();
        fields["Temp"] = text;

        Assert.That(new FeatureExtractor(Names).TryExtract(fields, new float[6], out var error), Is.False);
        Assert.That(error!.Kind, Is.EqualTo(expected));
    }

    [TestCase("duration")]
    [TestCase("protocol_type")]
    [TestCase("Temp")]
    public void Missing_field_is_refused(string field)
    {
        var fields = Valid();
        fields.Remove(field);

        Assert.That(new FeatureExtractor(Names).TryExtract(fields, new float[6], out var error), Is.False);
        Assert.Multiple(() =>
        {
            Assert.That(error!.Kind, Is.EqualTo(FeatureErrorKind.Missing));
            Assert.That(error.Field, Is.EqualTo(field));
        });
    }

    [Test]
    public void Unknown_category_encodes_as_all_zero_by_default()
    {
        var fields = Valid();
        fields["protocol_type"] = "sctp";
        var vector = Enumerable.Repeat(9f, 6).ToArray();

        Assert.That(new FeatureExtractor(Names).TryExtract(fields, vector, out _), Is.True);
        Assert.That(vector[2..5], Is.EqualTo(new[] { 0f, 0f, 0f }));
    }

    [Test]
    public void Unknown_category_is_refused_when_the_options_say_so()
    {
        var fields = Valid();
        fields["protocol_type"] = "sctp";
        var extractor = new FeatureExtractor(Names, new FeatureExtractorOptions { RefuseUnknownCategories = true });

        Assert.That(extractor.TryExtract(fields, new float[6], out var error), Is.False);
        Assert.That(error!.Kind, Is.EqualTo(FeatureErrorKind.UnknownCategory));
    }

    [Test]
    public void Numeric_category_values_match_numbers_and_text()
    {
        var extractor = new FeatureExtractor(["land=0", "land=1"]);
        var fromNumber = new float[2];
        var fromText = new float[2];

        extractor.TryExtract(new Dictionary<string, FeatureValue> { ["land"] = 1.0 }, fromNumber, out _);
        extractor.TryExtract(new Dictionary<string, FeatureValue> { ["land"] = "1" }, fromText, out _);

        Assert.That(fromNumber, Is.EqualTo(new[] { 0f, 1f }));
        Assert.That(fromText, Is.EqualTo(new[] { 0f, 1f }));
    }

    [TestCase(-0.5, false)]
    [TestCase(0.0, true)]
    [TestCase(100.0, true)]
    [TestCase(100.5, false)]
    public void Configured_range_is_enforced(double spo2, bool accepted)
    {
        var extractor = new FeatureExtractor(["SpO2"], new FeatureExtractorOptions
        {
            Ranges = new Dictionary<string, FeatureRange> { ["SpO2"] = new(0, 100) },
        });

        var ok = extractor.TryExtract(new Dictionary<string, FeatureValue> { ["SpO2"] = spo2 }, new float[1], out var error);

        Assert.That(ok, Is.EqualTo(accepted));
        Assert.That(error?.Kind, Is.EqualTo(accepted ? (FeatureErrorKind?)null : FeatureErrorKind.OutOfRange));
    }

    [Test]
    public void Destination_of_the_wrong_length_is_a_programmer_error()
    {
        Assert.That(() => new FeatureExtractor(Names).TryExtract(Valid(), new float[5], out _), Throws.ArgumentException);
    }

    [Test]
    public void Row_encoder_reads_columns_by_header_name()
    {
        var extractor = new FeatureExtractor(Names);
        var encoder = extractor.CreateRowEncoder(["Temp", "protocol_type", "x", "src_bytes", "duration"]);
        var vector = new float[6];

        Assert.That(encoder.TryEncode(["37", "icmp", "?", "10", "0"], vector, out _), Is.True);
        Assert.That(vector, Is.EqualTo(new[] { 0f, 10f, 0f, 0f, 1f, 37f }));
    }

    [Test]
    public void Row_encoder_needs_every_model_field_in_the_header()
    {
        Assert.That(() => new FeatureExtractor(Names).CreateRowEncoder(["Temp", "duration"]), Throws.TypeOf<InvalidDataException>().With.Message.Contains("src_bytes"));
    }
}
