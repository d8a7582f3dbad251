using System.Text;

namespace HealthLedger.Benchmarks.Report;

/// <summary>
/// Writes the report's generated sections into docs/benchmarks.md between <c>&lt;!-- report:begin ID --&gt;</c> and
/// <c>&lt;!-- report:end ID --&gt;</c> markers. Everything outside the markers (hand-written sections of other areas) is
/// kept byte for byte; a section without markers yet is appended at the end of the generated block (after the last
/// existing report section, or at the end of the file).
/// </summary>
internal static class BenchmarksDocument
{
    public static string Begin(string id) => $"<!-- report:begin {id} -->";

    public static string End(string id) => $"<!-- report:end {id} -->";

    /// <summary>Returns <paramref name="document"/> with each section's body replaced or inserted.</summary>
    public static string Merge(string document, IEnumerable<(string Id, string Body)> sections)
    {
        var text = document;
        foreach (var (id, body) in sections)
        {
            var block = $"{Begin(id)}\n{body.TrimEnd()}\n{End(id)}";
            var start = text.IndexOf(Begin(id), StringComparison.Ordinal);
            var end = text.IndexOf(End(id), StringComparison.Ordinal);
            if (start >= 0 && end > start)
            {
                text = string.Concat(text.AsSpan(0, start), block, text.AsSpan(end + End(id).Length));
                continue;
            }

            if (start >= 0 || end >= 0)
            {
                throw new InvalidDataException($"docs/benchmarks.md has an unmatched marker for report section '{id}'.");
            }

            var lastEnd = text.LastIndexOf("<!-- report:end ", StringComparison.Ordinal);
            if (lastEnd >= 0)
            {
                var lineEnd = text.IndexOf("-->", lastEnd, StringComparison.Ordinal) + 3;
                text = string.Concat(text.AsSpan(0, lineEnd), "\n\n", block, text.AsSpan(lineEnd));
            }
            else
            {
                var sb = new StringBuilder(text.TrimEnd());
                sb.Append("\n\n").Append(block).Append('\n');
                text = sb.ToString();
            }
        }

        return text.EndsWith('\n') ? text : text + "\n";
    }
}
