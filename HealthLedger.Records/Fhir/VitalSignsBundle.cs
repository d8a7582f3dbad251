using Address = HealthLedger.Core.Crypto.Address;
using HealthLedger.Records.Crypto;
using Hl7.Fhir.Model;

namespace HealthLedger.Records.Fhir;

/// <summary>
/// Builds a FHIR R4 <c>Bundle</c> (type collection) of vital-signs <c>Observation</c>s: status final, category
/// vital-signs, a LOINC code, a UCUM <c>valueQuantity</c>, the patient as <c>Patient/&lt;pseudonym address&gt;</c> and
/// the device as <c>Device/&lt;device address&gt;</c>: chain addresses, never names or record numbers.
/// </summary>
public static class VitalSignsBundle
{
    /// <summary>LOINC's system URI.</summary>
    public const string LoincSystem = "http://loinc.org";

    /// <summary>UCUM's system URI.</summary>
    public const string UcumSystem = "http://unitsofmeasure.org";

    /// <summary>The observation-category code system.</summary>
    public const string CategorySystem = "http://terminology.hl7.org/CodeSystem/observation-category";

    /// <summary>The FHIR reference to a patient pseudonym.</summary>
    public static string PatientReference(Address patient) => "Patient/" + patient;

    /// <summary>The FHIR reference to a device.</summary>
    public static string DeviceReference(Address device) => "Device/" + device;

    /// <summary>Builds the bundle; entry ids are random UUIDs from <paramref name="random"/>.</summary>
    public static Bundle Build(Address patient, Address device, DateTimeOffset measuredAt, IReadOnlyList<VitalSignReading> readings, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(readings);
        ArgumentNullException.ThrowIfNull(random);
        var when = new FhirDateTime(measuredAt.ToUniversalTime());
        var bundle = new Bundle { Type = Bundle.BundleType.Collection, Timestamp = measuredAt.ToUniversalTime() };
        foreach (var reading in readings)
        {
            var code = VitalSignCode.Of(reading.Sign);
            var observation = new Observation
            {
                Status = ObservationStatus.Final,
                Category = [new CodeableConcept(CategorySystem, "vital-signs", "Vital Signs")],
                Code = new CodeableConcept(LoincSystem, code.Loinc, code.Display, null),
                Subject = new ResourceReference(PatientReference(patient)),
                Device = new ResourceReference(DeviceReference(device)),
                Effective = when,
                Value = new Quantity(reading.Value, code.Ucum, UcumSystem) { Unit = code.Ucum },
            };
            bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = "urn:uuid:" + NewUuid(random), Resource = observation });
        }
        return bundle;
    }

    private static Guid NewUuid(IRandomSource random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.Fill(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40); // version 4 (Guid's little-endian field layout)
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(bytes);
    }
}
