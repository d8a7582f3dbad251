using System.Text.Json;

namespace HealthLedger.Detection.Evaluation;

/// <summary>A contiguous range of data rows [<paramref name="Start"/>, <paramref name="End"/>) whose windows never cross its edges.</summary>
internal readonly record struct RowBlock(int Start, int End);

/// <summary>
/// One evaluated set: a data file and the blocks of it that are scored (null = the whole file as one block), or one
/// contiguous row range of it (<paramref name="Rows"/>, the NSL-KDD validation rows).
/// </summary>
internal sealed record TestSetSpec(string Name, string File, int? BlockSize, IReadOnlyList<int>? Blocks, RowBlock? Rows = null)
{
    /// <summary>The blocks of a file with <paramref name="rows"/> data rows.</summary>
    public IReadOnlyList<RowBlock> BlocksFor(int rows)
    {
        if (Rows is { } range)
        {
            if (range.Start < 0 || range.End > rows || range.Start >= range.End)
            {
                throw new InvalidDataException($"hl.split names rows [{range.Start}, {range.End}), but the file has {rows} rows.");
            }

            return [range];
        }

        if (BlockSize is not { } size || Blocks is null)
        {
            return [new RowBlock(0, rows)];
        }

        var list = new List<RowBlock>(Blocks.Count);
        foreach (var b in Blocks)
        {
            var start = (long)b * size;
            if (b < 0 || start >= rows)
            {
                throw new InvalidDataException($"hl.split names test block {b}, but the file has only {rows} rows ({(rows + size - 1) / size} blocks of {size}).");
            }

            list.Add(new RowBlock((int)start, (int)Math.Min(start + size, rows)));
        }

        return list;
    }
}

/// <summary>The test split described by a model's <c>hl.split</c>, rebuilt without any RNG.</summary>
internal static class EvaluationSplit
{
    /// <summary>The training file named by the split (for the dataset hash check), and the test sets.</summary>
    public static (string TrainFile, IReadOnlyList<TestSetSpec> TestSets) Parse(string splitJson)
    {
        using var doc = JsonDocument.Parse(splitJson);
        var root = doc.RootElement;
        var kind = root.TryGetProperty("kind", out var k) ? k.GetString() : null;
        switch (kind)
        {
            case "blocked":
                {
                    var file = RequiredString(root, "file");
                    var size = root.GetProperty("block_size").GetInt32();
                    if (size < 1)
                    {
                        throw new InvalidDataException("hl.split block_size must be positive.");
                    }

                    var blocks = root.GetProperty("test").EnumerateArray().Select(e => e.GetInt32()).ToArray();
                    return (file, [new TestSetSpec("test", file, size, blocks)]);
                }

            case "files":
                {
                    var train = RequiredString(root, "train");
                    var test = root.GetProperty("test");
                    var sets = test.ValueKind == JsonValueKind.String
                        ? [new TestSetSpec("test", test.GetString()!, null, null)]
                        : test.EnumerateObject().Select(p => new TestSetSpec(p.Name, p.Value.GetString()!, null, null)).ToList();
                    return (train, sets);
                }

            default:
                throw new InvalidDataException($"hl.split kind '{kind}' is not one this runtime can rebuild (expected 'blocked' or 'files').");
        }
    }

    /// <summary>
    /// The validation rows described by a model's <c>hl.split</c>, on which every operating point was chosen: the
    /// <c>validation</c> blocks of a blocked split, or the <c>validation.rows</c> range of the training file.
    /// </summary>
    public static TestSetSpec ParseValidation(string splitJson)
    {
        using var doc = JsonDocument.Parse(splitJson);
        var root = doc.RootElement;
        if (!root.TryGetProperty("validation", out var validation))
        {
            throw new InvalidDataException("hl.split has no 'validation'.");
        }

        switch (root.TryGetProperty("kind", out var k) ? k.GetString() : null)
        {
            case "blocked":
                return new TestSetSpec(
                    "validation",
                    RequiredString(root, "file"),
                    root.GetProperty("block_size").GetInt32(),
                    validation.EnumerateArray().Select(e => e.GetInt32()).ToArray());

            case "files":
                {
                    var rows = validation.GetProperty("rows");
                    if (rows.GetArrayLength() != 2)
                    {
                        throw new InvalidDataException("hl.split validation.rows must be [start, end).");
                    }

                    return new TestSetSpec("validation", RequiredString(validation, "file"), null, null, new RowBlock(rows[0].GetInt32(), rows[1].GetInt32()));
                }

            default:
                throw new InvalidDataException("hl.split kind is not one this runtime can rebuild (expected 'blocked' or 'files').");
        }
    }

    /// <summary>
    /// Writes the window of row <paramref name="row"/> (rows max(start, row−T+1)..row of its block, left-padded with the
    /// earliest) from the encoded rows matrix <paramref name="encoded"/> (rows × F) to <paramref name="destination"/>.
    /// </summary>
    public static void CopyWindow(ReadOnlySpan<float> encoded, int features, int window, int blockStart, int row, Span<float> destination)
    {
        var first = Math.Max(blockStart, row - window + 1);
        var pad = window - (row - first + 1);
        for (var t = 0; t < window; t++)
        {
            var source = t < pad ? first : first + (t - pad);
            encoded.Slice(source * features, features).CopyTo(destination.Slice(t * features, features));
        }
    }

    private static string RequiredString(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()!
            : throw new InvalidDataException($"hl.split has no string '{name}'.");
}
