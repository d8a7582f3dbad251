using HealthLedger.Consensus.Hashing;

namespace HealthLedger.Tests.Consensus.Hashing;

[TestFixture]
public sealed class OpenSslSpeedTests
{
    private const string Output = """
        Doing sha256 ops for 3s on 16384 size blocks: 287860 sha256 ops in 3.00s
        version: 3.0.19
        built on: Tue Jan 27 00:00:00 2026 UTC
        options: bn(64,64)
        compiler: gcc -fPIC -pthread -m64 -Wa,--noexecstack -Wall
        CPUINFO: OPENSSL_ia32cap=0x7ed8320b078bffff:0x400684219c97a9
        The 'numbers' are in 1000s of bytes per second processed.
        type          16384 bytes
        sha256         1572288.64k
        """;

    [Test]
    public void Result_line_is_read_in_thousands_of_bytes_per_second()
    {
        Assert.Multiple(() =>
        {
            Assert.That(OpenSslSpeed.TryParseBytesPerSecond(Output, out var bytes), Is.True);
            Assert.That(bytes, Is.EqualTo(1_572_288_640).Within(0.5));
        });
    }

    [TestCase("")]
    [TestCase("sha256")]
    [TestCase("sha256 abc")]
    [TestCase("sha512 1000.00k")]
    [TestCase("sha256 0.00k")]
    public void Output_without_a_positive_sha256_figure_is_not_read(string output) =>
        Assert.That(OpenSslSpeed.TryParseBytesPerSecond(output, out _), Is.False);

    [TestCase(1_280_000_000.0, 10_000_000.0)]
    [TestCase(1_572_288_640.0, 12_283_505.0)]
    public void Implied_nonce_rate_is_two_compressions_of_64_bytes_per_nonce(double bytesPerSecond, double expected) =>
        Assert.That(OpenSslSpeed.ImpliedNoncesPerSecond(bytesPerSecond), Is.EqualTo(expected).Within(1.0));
}
