using System.Text.Json;
using Address = HealthLedger.Core.Crypto.Address;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace HealthLedger.Records.Fhir;

/// <summary>What a record's FHIR payload must be about: every observation names this patient and device and was taken at this time.</summary>
/// <param name="Patient">The patient (pseudonym address).</param>
/// <param name="Device">The measuring device.</param>
/// <param name="MeasuredAtMs">The record's measurement time, Unix milliseconds (the anchor's).</param>
public sealed record FhirSubject(Address Patient, Address Device, long MeasuredAtMs);

/// <summary>Limits on FHIR payloads.</summary>
public sealed record FhirLimits
{
    /// <summary>Largest serialised bundle, in bytes (default 1 MiB).</summary>
    public int MaxPayloadBytes { get; init; } = 1024 * 1024;

    /// <summary>Most observations in one bundle (default 256).</summary>
    public int MaxObservations { get; init; } = 256;

    /// <summary>Deepest JSON nesting accepted (default 32; a vital-signs bundle needs about 8).</summary>
    public int MaxJsonDepth { get; init; } = 32;
}

/// <summary>
/// Serialises, parses and validates vital-signs bundles with the Firely SDK. Parsing is Firely's strict mode
/// (unknown elements, wrong types, bad primitive formats and missing required elements are errors), after a size check
/// and with a JSON depth limit; validation then applies the vital-signs rules <see cref="VitalSignsBundle"/> builds to
/// and checks that every observation names the expected patient and device.
/// </summary>
/// <remarks>Thread safety: safe for concurrent use: its serializer options are fixed at construction.</remarks>
public sealed class FhirRecordCodec
{
    private readonly JsonSerializerOptions _options;

    /// <summary>Creates a codec.</summary>
    public FhirRecordCodec(FhirLimits? limits = null)
    {
        Limits = limits ?? new FhirLimits();
        _options = new JsonSerializerOptions { MaxDepth = Limits.MaxJsonDepth }.ForFhir(ModelInfo.ModelInspector).UsingMode(DeserializationMode.Strict);
    }

    /// <summary>The limits in force.</summary>
    public FhirLimits Limits { get; }

    /// <summary>UTF-8 JSON of the bundle.</summary>
    public byte[] Serialize(Bundle bundle) => JsonSerializer.SerializeToUtf8Bytes(bundle, _options);

    /// <summary>Parses untrusted JSON strictly (no validation of the vital-signs rules; see <see cref="Validate"/>).</summary>
    public RecordResult<Bundle> Parse(ReadOnlySpan<byte> json)
    {
        if (json.Length > Limits.MaxPayloadBytes)
        {
            return RecordResult<Bundle>.Fail(RecordErrorCode.TooLarge, "FHIR payload larger than allowed", json.Length, Limits.MaxPayloadBytes);
        }
        try
        {
            var bundle = JsonSerializer.Deserialize<Bundle>(json, _options);
            return bundle is null ? RecordResult<Bundle>.Fail(RecordErrorCode.InvalidFhir, "the payload is JSON null") : bundle;
        }
        catch (DeserializationFailedException e)
        {
            var first = e.Exceptions.Take(3).Select(x => x.Message);
            return RecordResult<Bundle>.Fail(RecordErrorCode.InvalidFhir, "FHIR parse: " + string.Join("; ", first), e.Exceptions.Count);
        }
        catch (JsonException e)
        {
            return RecordResult<Bundle>.Fail(RecordErrorCode.InvalidFhir, "JSON: " + e.Message);
        }
    }

    /// <summary>
    /// Checks a bundle: Firely's strict parse of its serialised form (structure, cardinality, formats), then the
    /// vital-signs rules, with every observation about the <paramref name="subject"/>'s patient, from its device, at its time.
    /// Returns the serialised bytes, so what is validated is exactly what gets encrypted.
    /// </summary>
    public RecordResult<byte[]> Validate(Bundle bundle, FhirSubject subject)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        byte[] json;
        try
        {
            json = Serialize(bundle);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NotSupportedException)
        {
            return RecordResult<byte[]>.Fail(RecordErrorCode.InvalidFhir, "not serialisable: " + e.Message);
        }
        var parsed = Parse(json);
        if (!parsed.IsSuccess)
        {
            return parsed.Error!;
        }
        var rules = CheckRules(parsed.Value, subject);
        return rules.IsSuccess ? json : rules.Error!;
    }

    /// <summary>Parses untrusted JSON and checks the vital-signs rules.</summary>
    public RecordResult<Bundle> ParseAndValidate(ReadOnlySpan<byte> json, FhirSubject subject)
    {
        var parsed = Parse(json);
        if (!parsed.IsSuccess)
        {
            return parsed;
        }
        var rules = CheckRules(parsed.Value, subject);
        return rules.IsSuccess ? parsed : rules.Error!;
    }

    private RecordResult CheckRules(Bundle bundle, FhirSubject subject)
    {
        if (bundle.Type != Bundle.BundleType.Collection)
        {
            return Invalid("the bundle is not of type collection");
        }
        if (bundle.Entry.Count == 0 || bundle.Entry.Count > Limits.MaxObservations)
        {
            return RecordResult.Fail(RecordErrorCode.InvalidFhir, "observation count out of range", bundle.Entry.Count, Limits.MaxObservations);
        }
        ArgumentNullException.ThrowIfNull(subject);
        var patientRef = VitalSignsBundle.PatientReference(subject.Patient);
        var deviceRef = VitalSignsBundle.DeviceReference(subject.Device);
        for (int i = 0; i < bundle.Entry.Count; i++)
        {
            if (bundle.Entry[i].Resource is not Observation o)
            {
                return Invalid($"entry {i} is not an Observation");
            }
            if (o.Status is not (ObservationStatus.Final or ObservationStatus.Amended or ObservationStatus.Corrected))
            {
                return Invalid($"entry {i}: status must be final, amended or corrected");
            }
            if (!o.Category.Any(c => c.Coding.Any(x => x.System == VitalSignsBundle.CategorySystem && x.Code == "vital-signs")))
            {
                return Invalid($"entry {i}: category vital-signs missing");
            }
            var loinc = o.Code?.Coding.Where(x => x.System == VitalSignsBundle.LoincSystem).ToList() ?? [];
            if (loinc.Count != 1 || VitalSignCode.ByLoinc(loinc[0].Code) is not { } code)
            {
                return Invalid($"entry {i}: exactly one known LOINC vital-sign code is required");
            }
            if (o.Subject?.Reference != patientRef)
            {
                return Invalid($"entry {i}: subject is not the record's patient");
            }
            if (o.Device?.Reference != deviceRef)
            {
                return Invalid($"entry {i}: device is not the record's device");
            }
            if (o.Effective is not FhirDateTime effective || !effective.TryToDateTimeOffset(out var at))
            {
                return Invalid($"entry {i}: effectiveDateTime missing or not a full date-time");
            }
            if (at.ToUnixTimeMilliseconds() != subject.MeasuredAtMs)
            {
                return RecordResult.Fail(RecordErrorCode.InvalidFhir, $"entry {i}: effectiveDateTime is not the record's measurement time", at.ToUnixTimeMilliseconds(), subject.MeasuredAtMs);
            }
            if (o.Value is not Quantity q || q.System != VitalSignsBundle.UcumSystem || q.Code != code.Ucum || q.Value is not decimal v)
            {
                return Invalid($"entry {i}: valueQuantity in UCUM '{code.Ucum}' required for LOINC {code.Loinc}");
            }
            if (v < code.Minimum || v > code.Maximum)
            {
                return Invalid($"entry {i}: {code.Display} {v} {code.Ucum} outside {code.Minimum}..{code.Maximum}");
            }
        }
        return RecordResult.Ok;
    }

    private static RecordResult Invalid(string detail) => RecordResult.Fail(RecordErrorCode.InvalidFhir, detail);
}
