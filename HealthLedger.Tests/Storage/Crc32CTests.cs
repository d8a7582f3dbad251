using System.Text;
using HealthLedger.Core.Storage;

namespace HealthLedger.Tests.Storage;

public class Crc32CTests
{
    // Check values from the CRC catalogue (CRC-32/ISCSI) and RFC 3720 appendix B.4.
    [TestCase("", 0x00000000u)]
    [TestCase("a", 0xC1D04330u)]
    [TestCase("123456789", 0xE3069283u)]
    public void Compute_matches_published_check_values(string text, uint expected) =>
        Assert.That(Crc32C.Compute(Encoding.ASCII.GetBytes(text)), Is.EqualTo(expected));

    [TestCase(0x00, 0x8A9136AAu)]
    [TestCase(0xFF, 0x62A8AB43u)]
    public void Compute_matches_rfc3720_32_byte_vectors(int fill, uint expected)
    {
        var data = Enumerable.Repeat((byte)fill, 32).ToArray();
        Assert.That(Crc32C.Compute(data), Is.EqualTo(expected));
    }

    [Test]
    public void Compute_matches_rfc3720_incrementing_vector()
    {
        var data = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        Assert.That(Crc32C.Compute(data), Is.EqualTo(0x46DD794Eu));
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(7)]
    [TestCase(8)]
    [TestCase(13)]
    [TestCase(1000)]
    public void Incremental_update_equals_one_shot(int split)
    {
        var data = new byte[1000];
        new Random(split).NextBytes(data);
        var state = Crc32C.Update(Crc32C.InitialState, data.AsSpan(0, split));
        state = Crc32C.Update(state, data.AsSpan(split));
        Assert.That(Crc32C.Finish(state), Is.EqualTo(Crc32C.Compute(data)));
    }
}
