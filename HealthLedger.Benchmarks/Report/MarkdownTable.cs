using System.Text;

namespace HealthLedger.Benchmarks.Report;

/// <summary>A GitHub markdown table built row by row.</summary>
internal sealed class MarkdownTable
{
    private readonly string[] _headers;
    private readonly List<string[]> _rows = [];

    public MarkdownTable(params string[] headers) => _headers = headers;

    public int RowCount => _rows.Count;

    public MarkdownTable Row(params string[] cells)
    {
        if (cells.Length != _headers.Length)
        {
            throw new ArgumentException($"Expected {_headers.Length} cells, got {cells.Length}.", nameof(cells));
        }

        _rows.Add([.. cells.Select(c => c.Replace("|", "\\|", StringComparison.Ordinal))]);
        return this;
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("| ").AppendJoin(" | ", _headers).AppendLine(" |");
        sb.Append('|').AppendJoin(string.Empty, _headers.Select(_ => "---|")).AppendLine();
        foreach (var row in _rows)
        {
            sb.Append("| ").AppendJoin(" | ", row).AppendLine(" |");
        }

        return sb.ToString();
    }
}
