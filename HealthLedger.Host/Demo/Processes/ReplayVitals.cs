using System.Globalization;
using System.Text.Json;
using HealthLedger.Core.Crypto;
using HealthLedger.Records.Crypto;
using HealthLedger.Records.Fhir;

namespace HealthLedger.Host.Demo.Processes;

/// <summary>
/// Turns a replayed WUSTL-EHMS-2020 row into the FHIR vital-signs bundle its device stores: the dataset's biometric
/// columns <c>Heart_rate</c>, <c>SpO2</c>, <c>Temp</c>, <c>SYS</c>, <c>DIA</c> and <c>Resp_Rate</c> become LOINC-coded
/// observations. A value outside the sign's plausible range (the dataset writes 0 for "no reading", and its
/// <c>Temp</c> is a skin-sensor temperature that dips below 25 °C) is left out rather than altered; <c>Pulse_Rate</c>
/// (the oximeter's pulse, a second heart rate) and <c>ST</c> (ST-segment deviation, no vital-signs LOINC code) are
/// not stored.
/// </summary>
internal static class ReplayVitals
{
    /// <summary>The dataset's column of each sign.</summary>
    public static IReadOnlyList<(string Column, VitalSign Sign)> Columns { get; } =
    [
        ("Heart_rate", VitalSign.HeartRate),
        ("SpO2", VitalSign.OxygenSaturation),
        ("Temp", VitalSign.BodyTemperature),
        ("SYS", VitalSign.SystolicBloodPressure),
        ("DIA", VitalSign.DiastolicBloodPressure),
        ("Resp_Rate", VitalSign.RespiratoryRate),
    ];

    /// <summary>The plausible readings of a row, in <see cref="Columns"/> order (empty when it has none).</summary>
    public static IReadOnlyList<VitalSignReading> Readings(IReadOnlyDictionary<string, JsonElement> fields)
    {
        var readings = new List<VitalSignReading>(Columns.Count);
        foreach (var (column, sign) in Columns)
        {
            if (fields.TryGetValue(column, out var element) && Number(element) is { } value)
            {
                var code = VitalSignCode.Of(sign);
                if (value >= code.Minimum && value <= code.Maximum)
                {
                    readings.Add(new VitalSignReading(sign, value));
                }
            }
        }

        return readings;
    }

    /// <summary>The bundle's JSON (Firely's serialisation), or null when the row has no plausible reading.</summary>
    public static string? BundleJson(FhirRecordCodec codec, Address patient, Address device, DateTimeOffset measuredAt, IReadOnlyDictionary<string, JsonElement> fields)
    {
        var readings = Readings(fields);
        if (readings.Count == 0)
        {
            return null;
        }

        var bundle = VitalSignsBundle.Build(patient, device, measuredAt, readings, SystemRandomSource.Instance);
        return System.Text.Encoding.UTF8.GetString(codec.Serialize(bundle));
    }

    private static decimal? Number(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Number when element.TryGetDecimal(out var d) => d,
        JsonValueKind.String when decimal.TryParse(element.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        _ => null,
    };
}
