namespace HealthLedger.Records.Fhir;

/// <summary>The vital signs a device reports, each a LOINC-coded FHIR Observation.</summary>
public enum VitalSign
{
    /// <summary>Heart rate, LOINC 8867-4, /min.</summary>
    HeartRate = 1,

    /// <summary>Respiratory rate, LOINC 9279-1, /min.</summary>
    RespiratoryRate = 2,

    /// <summary>Oxygen saturation by pulse oximetry, LOINC 59408-5, %.</summary>
    OxygenSaturation = 3,

    /// <summary>Body temperature, LOINC 8310-5, Cel.</summary>
    BodyTemperature = 4,

    /// <summary>Systolic blood pressure, LOINC 8480-6, mm[Hg].</summary>
    SystolicBloodPressure = 5,

    /// <summary>Diastolic blood pressure, LOINC 8462-4, mm[Hg].</summary>
    DiastolicBloodPressure = 6,

    /// <summary>Body weight, LOINC 29463-7, kg.</summary>
    BodyWeight = 7,
}

/// <summary>The LOINC code, display, UCUM unit and plausible range of one vital sign.</summary>
/// <param name="Sign">The sign.</param>
/// <param name="Loinc">LOINC code.</param>
/// <param name="Display">LOINC display name.</param>
/// <param name="Ucum">UCUM unit code.</param>
/// <param name="Minimum">Smallest plausible value (inclusive).</param>
/// <param name="Maximum">Largest plausible value (inclusive).</param>
public sealed record VitalSignCode(VitalSign Sign, string Loinc, string Display, string Ucum, decimal Minimum, decimal Maximum)
{
    /// <summary>The table, one row per <see cref="VitalSign"/>.</summary>
    public static IReadOnlyList<VitalSignCode> All { get; } =
    [
        new(VitalSign.HeartRate, "8867-4", "Heart rate", "/min", 20m, 300m),
        new(VitalSign.RespiratoryRate, "9279-1", "Respiratory rate", "/min", 2m, 80m),
        new(VitalSign.OxygenSaturation, "59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "%", 50m, 100m),
        new(VitalSign.BodyTemperature, "8310-5", "Body temperature", "Cel", 25m, 45m),
        new(VitalSign.SystolicBloodPressure, "8480-6", "Systolic blood pressure", "mm[Hg]", 40m, 300m),
        new(VitalSign.DiastolicBloodPressure, "8462-4", "Diastolic blood pressure", "mm[Hg]", 20m, 200m),
        new(VitalSign.BodyWeight, "29463-7", "Body weight", "kg", 0.2m, 500m),
    ];

    /// <summary>The row of a sign.</summary>
    public static VitalSignCode Of(VitalSign sign) => All.FirstOrDefault(c => c.Sign == sign) ?? throw new ArgumentOutOfRangeException(nameof(sign), sign, "Unknown vital sign.");

    /// <summary>The row of a LOINC code, or null.</summary>
    public static VitalSignCode? ByLoinc(string? loinc) => All.FirstOrDefault(c => c.Loinc == loinc);
}

/// <summary>One measured value.</summary>
/// <param name="Sign">What was measured.</param>
/// <param name="Value">The value, in the sign's UCUM unit.</param>
public sealed record VitalSignReading(VitalSign Sign, decimal Value);
