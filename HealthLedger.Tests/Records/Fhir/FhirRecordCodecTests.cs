using System.Text;
using HealthLedger.Records;
using HealthLedger.Records.Fhir;
using Hl7.Fhir.Model;

namespace HealthLedger.Tests.Records.Fhir;

public sealed class FhirRecordCodecTests
{
    private RecordWorld _w = null!;
    private readonly FhirRecordCodec _codec = new();

    [SetUp]
    public void SetUp() => _w = new RecordWorld();

    private FhirSubject Subject => new(_w.Patient.Address, _w.Device.Address, RecordWorld.MeasuredAt.ToUnixTimeMilliseconds());

    [TearDown]
    public void TearDown() => _w.Dispose();

    [Test]
    public void A_built_bundle_validates_and_round_trips_through_json()
    {
        var bundle = _w.Vitals();

        var json = _codec.Validate(bundle, Subject);
        var parsed = _codec.ParseAndValidate(json.Value, Subject);

        Assert.Multiple(() =>
        {
            Assert.That(parsed.IsSuccess, Is.True, parsed.ToString());
            Assert.That(parsed.Value.IsExactly(bundle), Is.True);
            Assert.That(_codec.Serialize(parsed.Value), Is.EqualTo(json.Value));
            var o = (Observation)parsed.Value.Entry[0].Resource!;
            Assert.That(o.Code.Coding[0].System, Is.EqualTo("http://loinc.org"));
            Assert.That(o.Code.Coding[0].Code, Is.EqualTo("8867-4"));
            Assert.That(o.Subject!.Reference, Is.EqualTo("Patient/" + _w.Patient.Address));
            Assert.That(o.Device!.Reference, Is.EqualTo("Device/" + _w.Device.Address));
        });
    }

    [Test]
    public void Every_vital_sign_in_range_validates()
    {
        var readings = VitalSignCode.All.Select(c => new VitalSignReading(c.Sign, (c.Minimum + c.Maximum) / 2)).ToArray();

        var json = _codec.Validate(_w.Vitals(readings), Subject);

        Assert.That(json.IsSuccess, Is.True, json.ToString());
    }

    private static IEnumerable<TestCaseData> InvalidObservations()
    {
        yield return new TestCaseData(new Action<Observation>(o => o.Status = null)).SetName("Observation_without_status_is_refused");
        yield return new TestCaseData(new Action<Observation>(o => o.Status = ObservationStatus.Preliminary)).SetName("Preliminary_observation_is_refused");
        yield return new TestCaseData(new Action<Observation>(o => o.Code = null!)).SetName("Observation_without_code_is_refused");
        yield return new TestCaseData(new Action<Observation>(o => o.Code.Coding[0].Code = "1234-5")).SetName("Unknown_loinc_code_is_refused");
        yield return new TestCaseData(new Action<Observation>(o => o.Category.Clear())).SetName("Observation_without_vital_signs_category_is_refused");
        yield return new TestCaseData(new Action<Observation>(o => ((Quantity)o.Value!).Code = "kg")).SetName("Wrong_ucum_unit_is_refused");
        yield return new TestCaseData(new Action<Observation>(o => ((Quantity)o.Value!).Value = 900m)).SetName("Implausible_heart_rate_is_refused");
        yield return new TestCaseData(new Action<Observation>(o => o.Value = null)).SetName("Observation_without_value_is_refused");
        yield return new TestCaseData(new Action<Observation>(o => o.Subject = new ResourceReference("Patient/someone-else"))).SetName("Observation_about_another_patient_is_refused");
        yield return new TestCaseData(new Action<Observation>(o => o.Device = null)).SetName("Observation_without_device_is_refused");
        yield return new TestCaseData(new Action<Observation>(o => o.Effective = new FhirDateTime("2026-13-45"))).SetName("Malformed_effective_time_is_refused");
        yield return new TestCaseData(new Action<Observation>(o => o.Effective = new FhirDateTime(RecordWorld.MeasuredAt.AddSeconds(-1)))).SetName("Observation_taken_at_another_time_than_the_record_is_refused");
        yield return new TestCaseData(new Action<Observation>(o => o.Effective = new FhirDateTime("2027-01-15"))).SetName("Observation_with_a_date_only_effective_time_is_refused");
    }

    [TestCaseSource(nameof(InvalidObservations))]
    public void Invalid_observation(Action<Observation> spoil)
    {
        var bundle = _w.Vitals();
        spoil((Observation)bundle.Entry[0].Resource!);

        var result = _codec.Validate(bundle, Subject);

        Assert.That(result.Error?.Code, Is.EqualTo(RecordErrorCode.InvalidFhir), result.ToString());
    }

    [Test]
    public void Json_with_an_unknown_element_is_refused_by_the_strict_parser()
    {
        var json = Encoding.UTF8.GetString(_codec.Validate(_w.Vitals(), Subject).Value);
        var spoiled = json.Replace("\"status\":\"final\"", "\"status\":\"final\",\"statusx\":1", StringComparison.Ordinal);

        var result = _codec.Parse(Encoding.UTF8.GetBytes(spoiled));

        Assert.That(result.Error?.Code, Is.EqualTo(RecordErrorCode.InvalidFhir));
    }

    [Test]
    public void Json_nested_deeper_than_the_limit_is_refused()
    {
        var deep = "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"x\":" + string.Concat(Enumerable.Repeat("[", 100)) + string.Concat(Enumerable.Repeat("]", 100)) + "}";

        var result = _codec.Parse(Encoding.UTF8.GetBytes(deep));

        Assert.That(result.Error?.Code, Is.EqualTo(RecordErrorCode.InvalidFhir));
    }

    [Test]
    public void A_payload_over_the_byte_limit_is_refused_before_parsing()
    {
        var codec = new FhirRecordCodec(new FhirLimits { MaxPayloadBytes = 100 });

        var result = codec.Parse(new byte[101]);

        Assert.Multiple(() =>
        {
            Assert.That(result.Error?.Code, Is.EqualTo(RecordErrorCode.TooLarge));
            Assert.That(result.Error?.Actual, Is.EqualTo(101));
        });
    }

    [Test]
    public void A_bundle_with_more_observations_than_allowed_is_refused()
    {
        var codec = new FhirRecordCodec(new FhirLimits { MaxObservations = 2 });

        var result = codec.Validate(_w.Vitals(), Subject);

        Assert.That(result.Error?.Code, Is.EqualTo(RecordErrorCode.InvalidFhir));
    }
}
