using System.Text.Json;
using HealthLedger.Detection.Evaluation;
using HealthLedger.Detection.Features;
using HealthLedger.Detection.Model;
using HealthLedger.Detection.Runtime;

namespace HealthLedger.Host.Demo.Processes;

/// <summary>One record a device submits: its traffic and vital-sign fields as the dataset has them, and its label (null when unknown).</summary>
internal sealed record ReplayRecord(IReadOnlyDictionary<string, JsonElement> Fields, bool? IsAttack);

/// <summary>One device's records, oldest first.</summary>
internal sealed record ReplayDevice(string Source, IReadOnlyList<ReplayRecord> Records);

/// <summary>
/// The records the demo replays. From the WUSTL-EHMS-2020 test split the model never saw (its <c>hl.split</c>: six
/// blocks of 500 consecutive rows): each test block is one device, whose records are a contiguous run of its block in
/// file order, so each device's window at the gateway is what the evaluator builds. With fewer records than the split,
/// each device's run is centred a third of the way before its first attack, so small runs still hold both classes.
/// Without the dataset, a clearly labelled synthetic stream (random values, no labels).
/// </summary>
internal sealed class ReplayStream
{
    private ReplayStream(IReadOnlyList<ReplayDevice> devices, bool synthetic, string description)
    {
        Devices = devices;
        Synthetic = synthetic;
        Description = description;
    }

    public IReadOnlyList<ReplayDevice> Devices { get; }

    public bool Synthetic { get; }

    public string Description { get; }

    public int Count => Devices.Sum(d => d.Records.Count);

    /// <summary>Loads the test split from the data folder, or null with the reason when it is not there.</summary>
    public static ReplayStream? LoadWustl(DetectorModel model, int records, out string why)
    {
        var location = DataLocator.Find();
        if (location.Directory is null)
        {
            why = location.Explanation;
            return null;
        }

        var (_, sets) = EvaluationSplit.Parse(model.Metadata.SplitJson);
        var spec = sets[0];
        DatasetTable table;
        try
        {
            table = DatasetTable.Load(location.Directory, spec.File, model.Metadata.Dataset);
        }
        catch (FileNotFoundException e)
        {
            why = e.Message;
            return null;
        }

        var fields = new FeatureExtractor(model.Metadata.Features).Fields;
        var positions = fields.Select(f => (Name: f, Index: table.Header.ToList().IndexOf(f))).ToArray();
        if (positions.FirstOrDefault(p => p.Index < 0) is { Name: { } missing })
        {
            why = $"{spec.File} has no column '{missing}'";
            return null;
        }

        var blocks = spec.BlocksFor(table.Rows.Count);
        var perDevice = (int)Math.Ceiling(records / (double)blocks.Count);
        var devices = new List<ReplayDevice>();
        foreach (var block in blocks)
        {
            var size = block.End - block.Start;
            var take = Math.Min(size, perDevice);
            var firstAttack = Enumerable.Range(block.Start, size).FirstOrDefault(r => table.IsAttack(table.Rows[r]), block.Start) - block.Start;
            var start = block.Start + Math.Clamp(firstAttack - take / 3, 0, size - take);
            var list = new List<ReplayRecord>(take);
            for (var r = start; r < start + take && devices.Sum(d => d.Records.Count) + list.Count < records; r++)
            {
                var row = table.Rows[r];
                list.Add(new ReplayRecord(positions.ToDictionary(p => p.Name, p => JsonSerializer.SerializeToElement(p.Index < row.Length ? row[p.Index] : "")), table.IsAttack(row)));
            }

            devices.Add(new ReplayDevice($"{spec.File} rows {start}..{start + list.Count - 1}", list));
        }

        why = "";
        return new ReplayStream(devices, false, $"WUSTL-EHMS-2020 test split ({location.Directory}, {string.Join(", ", blocks.Select(b => $"[{b.Start},{b.End})"))}): {devices.Sum(d => d.Records.Count)} records, {devices.Sum(d => d.Records.Count(r => r.IsAttack == true))} attacks");
    }

    /// <summary>A synthetic stream (random values within the model's fields, no labels): what the demo runs without the dataset.</summary>
    public static ReplayStream CreateSynthetic(DetectorModel model, int records, int devices)
    {
        var submissions = SyntheticSubmissions.Create(model, records, devices);
        var list = Enumerable.Range(0, devices)
            .Select(d => new ReplayDevice("synthetic", [.. submissions.Where((_, i) => i % devices == d).Select(s => new ReplayRecord(s.Fields.ToDictionary(f => f.Key, f => JsonSerializer.SerializeToElement(f.Value.ToString())), null))]))
            .ToList();
        return new ReplayStream(list, true, $"SYNTHETIC stream (random values, no labels): {records} records");
    }
}
