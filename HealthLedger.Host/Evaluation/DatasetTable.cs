using System.Text.RegularExpressions;

namespace HealthLedger.Detection.Evaluation;

/// <summary>A delimited data file as column names and rows of raw text fields.</summary>
internal sealed partial class DatasetTable
{
    private DatasetTable(IReadOnlyList<string> header, List<string[]> rows, Func<string[], bool> isAttack)
    {
        Header = header;
        Rows = rows;
        IsAttack = isAttack;
    }

    /// <summary>Column names.</summary>
    public IReadOnlyList<string> Header { get; }

    /// <summary>Data rows in file order (header excluded).</summary>
    public IReadOnlyList<string[]> Rows { get; }

    /// <summary>The label rule of the dataset (true = attack).</summary>
    public Func<string[], bool> IsAttack { get; }

    /// <summary>
    /// Loads a data file of the given dataset: WUSTL-EHMS (CSV with header; label column <c>Label</c>, 1 = attack) or
    /// NSL-KDD (no header; 41 features named by <c>attributes_from_arff.txt</c>, field 42 = attack name, <c>normal</c> = 0).
    /// </summary>
    public static DatasetTable Load(string dataDirectory, string relativeFile, string dataset)
    {
        var path = Path.Combine(dataDirectory, relativeFile);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Data file {path} not found (the model's hl.split names '{relativeFile}').", path);
        }

        var lines = File.ReadLines(path).Where(l => l.Length > 0).Select(l => l.TrimEnd('\r'));
        if (dataset.StartsWith("nsl-kdd", StringComparison.Ordinal))
        {
            var header = NslKddHeader(dataDirectory, Path.GetDirectoryName(relativeFile) ?? "");
            var labelIndex = header.Count - 2;
            var rows = lines.Select(l => l.Split(',')).ToList();
            return new DatasetTable(header, rows, r => r[labelIndex] != "normal");
        }

        using var enumerator = lines.GetEnumerator();
        if (!enumerator.MoveNext())
        {
            throw new InvalidDataException($"{path} is empty.");
        }

        var columns = enumerator.Current.Split(',');
        var label = Array.IndexOf(columns, "Label");
        if (label < 0)
        {
            throw new InvalidDataException($"{path} has no 'Label' column.");
        }

        var data = new List<string[]>();
        while (enumerator.MoveNext())
        {
            data.Add(enumerator.Current.Split(','));
        }

        return new DatasetTable(columns, data, r => r[label].Trim() != "0");
    }

    private static List<string> NslKddHeader(string dataDirectory, string folder)
    {
        var path = Path.Combine(dataDirectory, folder, "attributes_from_arff.txt");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"NSL-KDD attribute names {path} not found.", path);
        }

        var names = File.ReadLines(path)
            .Select(l => AttributeName().Match(l))
            .Where(m => m.Success)
            .Select(m => m.Groups[1].Value)
            .ToList();
        if (names.Count < 41)
        {
            throw new InvalidDataException($"{path} names {names.Count} attributes, expected at least 41.");
        }

        // 41 features, then the attack name (label) and the difficulty level.
        var header = names.Take(41).ToList();
        header.Add("attack_name");
        header.Add("difficulty");
        return header;
    }

    [GeneratedRegex(@"^\s*@attribute\s+'([^']+)'", RegexOptions.IgnoreCase)]
    private static partial Regex AttributeName();
}
