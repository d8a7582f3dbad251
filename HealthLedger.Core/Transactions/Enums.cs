namespace HealthLedger.Core.Transactions;

/// <summary>The kind of a transaction; one payload type per kind. Numbers are part of the format.</summary>
public enum TransactionKind : byte
{
    /// <summary>An authority registers a node (validator, provider, gateway).</summary>
    NodeRegistration = 1,
    /// <summary>An authority revokes a node.</summary>
    NodeRevocation = 2,
    /// <summary>A patient registers a pseudonymous identity.</summary>
    PatientRegistration = 3,
    /// <summary>A provider registers a device bound to a patient, with the device's proof of possession.</summary>
    DeviceRegistration = 4,
    /// <summary>A device is revoked by its provider, its patient or an authority.</summary>
    DeviceRevocation = 5,
    /// <summary>A device anchors an encrypted off-chain record.</summary>
    RecordAnchor = 6,
    /// <summary>A patient grants a provider access to some record types.</summary>
    AccessGrant = 7,
    /// <summary>A patient revokes some or all of a grant.</summary>
    AccessRevoke = 8,
    /// <summary>A validator vouches for a block hash (counts toward the block's threshold).</summary>
    Attestation = 9,
    /// <summary>Proof that a node signed two conflicting headers or attestations.</summary>
    MisbehaviourEvidence = 10,
    /// <summary>A gateway reports a device whose submission the detector refused.</summary>
    IntrusionReport = 11,
    /// <summary>A node records that it released a record's key to the patient or to a grantee.</summary>
    KeyRelease = 12,
}

/// <summary>Kinds of medical IoT device.</summary>
public enum DeviceClass : byte
{
    /// <summary>Wearable sensor (watch, patch).</summary>
    Wearable = 1,
    /// <summary>Implantable device (pacemaker, pump).</summary>
    Implantable = 2,
    /// <summary>Bedside or ward monitor.</summary>
    BedsideMonitor = 3,
    /// <summary>Home sensor (scale, glucometer, blood pressure cuff).</summary>
    HomeSensor = 4,
    /// <summary>Any other device.</summary>
    Other = 255,
}

/// <summary>Types of anchored record.</summary>
public enum RecordType : byte
{
    /// <summary>Vital signs (heart rate, SpO2, temperature, blood pressure...).</summary>
    Vitals = 1,
    /// <summary>Electrocardiogram.</summary>
    Ecg = 2,
    /// <summary>Glucose readings.</summary>
    Glucose = 3,
    /// <summary>Imaging.</summary>
    Imaging = 4,
    /// <summary>Clinical note.</summary>
    ClinicalNote = 5,
    /// <summary>Laboratory result.</summary>
    Lab = 6,
    /// <summary>Anything else.</summary>
    Other = 7,
}

/// <summary>A set of record types, as flags (bit n-1 for <see cref="RecordType"/> n).</summary>
[Flags]
public enum RecordScope : byte
{
    /// <summary>Nothing.</summary>
    None = 0,
    /// <summary>Vitals.</summary>
    Vitals = 1,
    /// <summary>ECG.</summary>
    Ecg = 2,
    /// <summary>Glucose.</summary>
    Glucose = 4,
    /// <summary>Imaging.</summary>
    Imaging = 8,
    /// <summary>Clinical notes.</summary>
    ClinicalNote = 16,
    /// <summary>Lab results.</summary>
    Lab = 32,
    /// <summary>Other records.</summary>
    Other = 64,
    /// <summary>Every record type.</summary>
    All = 127,
}

/// <summary>Helpers for record types and scopes.</summary>
public static class RecordScopeExtensions
{
    /// <summary>The scope flag of a record type.</summary>
    public static RecordScope ToScope(this RecordType type) => (RecordScope)(1 << ((int)type - 1));

    /// <summary>True when the scope covers the record type.</summary>
    public static bool Covers(this RecordScope scope, RecordType type) => (scope & type.ToScope()) != 0;
}
