using HealthLedger.Core.Crypto;
using HealthLedger.Detection.Features;

namespace HealthLedger.Detection.Runtime;

/// <summary>
/// One record sent by a medical IoT device: its flow features and vital signs by name (WUSTL column names, or NSL-KDD
/// attribute names). The detector keeps a per-device window of the last T records, keyed by <see cref="Device"/>.
/// </summary>
/// <param name="Device">The submitting device's address.</param>
/// <param name="Timestamp">When the device produced the record (as claimed by the submission).</param>
/// <param name="Fields">Raw fields by name: numbers, or text for categorical fields.</param>
public sealed record DeviceSubmission(Address Device, DateTimeOffset Timestamp, IReadOnlyDictionary<string, FeatureValue> Fields);
