using System.Text.Json;
using HealthLedger.Core.Crypto;
using HealthLedger.Detection.Model;
using HealthLedger.Host.Demo.Processes;
using HealthLedger.Records.Fhir;
using HealthLedger.Tests.Detection;

namespace HealthLedger.Tests.Host;

/// <summary>How the demo turns a replayed WUSTL-EHMS-2020 row into the FHIR vital-signs bundle its device stores.</summary>
[TestFixture]
public sealed class ReplayVitalsTests
{
    private static Dictionary<string, JsonElement> Row(params (string Column, string Value)[] values) =>
        values.ToDictionary(v => v.Column, v => JsonSerializer.SerializeToElement(v.Value));

    [Test]
    public void The_biometric_columns_become_their_vital_signs_and_zero_readings_are_left_out()
    {
        var row = Row(("Heart_rate", "78"), ("SpO2", "97"), ("Temp", "28.9"), ("SYS", "0"), ("DIA", "0"), ("Resp_Rate", "17"), ("Pulse_Rate", "80"), ("ST", "0.4"), ("SrcBytes", "496"));
        Assert.That(ReplayVitals.Readings(row), Is.EqualTo(new[]
        {
            new VitalSignReading(VitalSign.HeartRate, 78m),
            new VitalSignReading(VitalSign.OxygenSaturation, 97m),
            new VitalSignReading(VitalSign.BodyTemperature, 28.9m),
            new VitalSignReading(VitalSign.RespiratoryRate, 17m),
        }));
    }

    [TestCase("Temp", "23.6")]
    [TestCase("SpO2", "0")]
    [TestCase("Heart_rate", "301")]
    [TestCase("SYS", "n/a")]
    public void A_value_outside_its_plausible_range_or_not_a_number_is_left_out_not_altered(string column, string value) =>
        Assert.That(ReplayVitals.Readings(Row((column, value))), Is.Empty);

    [Test]
    public void A_row_without_a_plausible_reading_gives_no_bundle()
    {
        var patient = KeyPair.FromLabel("vitals-patient").Address;
        var device = KeyPair.FromLabel("vitals-device").Address;
        Assert.That(ReplayVitals.BundleJson(new FhirRecordCodec(), patient, device, DateTimeOffset.UnixEpoch, Row(("Temp", "20"), ("SpO2", "0"))), Is.Null);
    }

    [Test]
    public void The_bundle_validates_for_its_patient_device_and_time()
    {
        var patient = KeyPair.FromLabel("vitals-patient").Address;
        var device = KeyPair.FromLabel("vitals-device").Address;
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_123);
        var codec = new FhirRecordCodec();
        var json = ReplayVitals.BundleJson(codec, patient, device, at, Row(("Heart_rate", "72"), ("SYS", "121"), ("DIA", "79")));
        Assert.That(json, Is.Not.Null);
        var parsed = codec.Parse(System.Text.Encoding.UTF8.GetBytes(json!));
        Assert.That(parsed.IsSuccess, Is.True, parsed.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(codec.Validate(parsed.Value, new FhirSubject(patient, device, at.ToUnixTimeMilliseconds())).IsSuccess, Is.True);
            Assert.That(codec.Validate(parsed.Value, new FhirSubject(patient, device, at.ToUnixTimeMilliseconds() + 1)).IsSuccess, Is.False, "another time");
            Assert.That(parsed.Value.Entry, Has.Count.EqualTo(3));
        });
    }

    [Test]
    public void Every_row_of_the_test_split_has_a_plausible_vital_sign()
    {
        DetectionTestSupport.RequireDataDirectory();
        using var model = DetectorModel.LoadDefault();
        var stream = ReplayStream.LoadWustl(model, 3_000, out var why);
        Assert.That(stream, Is.Not.Null, why);
        Assert.That(stream!.Devices.SelectMany(d => d.Records).Count(r => ReplayVitals.Readings(r.Fields).Count == 0), Is.Zero);
    }
}
