using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;
using HealthLedger.Node.Records;
using HealthLedger.Records;
using HealthLedger.Records.Content;
using HealthLedger.Records.Crypto;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.NodeFacade;

[TestFixture]
public sealed class PreparedRecordsTests
{
    private static SealedRecord Sealed(int n, int bytes = 100)
    {
        var envelope = new byte[bytes];
        BitConverter.TryWriteBytes(envelope, n);
        var context = new RecordContext(1, default, default, RecordType.Vitals, 1, (UInt128)n);
        return new SealedRecord(new IngestedRecord(UnixFsDag.ComputeCid(envelope), Hash256.Sha256(envelope), context, bytes), envelope);
    }

    private static Address Device(int i) => KeyPair.FromLabel($"prepared-device-{i}").Address;

    [Test]
    public void Records_are_bounded_in_count_per_device_and_bytes_and_taken_once()
    {
        var clock = new ManualTimeProvider();
        var prepared = new PreparedRecords(maxCount: 4, maxBytes: 350, maxPerDevice: 2, TimeSpan.FromMinutes(2), clock);

        Assert.Multiple(() =>
        {
            Assert.That(prepared.TryAdd(Sealed(1), Device(1), out _, out _), Is.True);
            Assert.That(prepared.TryAdd(Sealed(2), Device(1), out _, out _), Is.True);
            Assert.That(prepared.TryAdd(Sealed(3), Device(1), out _, out var perDevice), Is.False, "a third of one device");
            Assert.That(perDevice, Is.EqualTo((3L, 2L)));
            Assert.That(prepared.TryAdd(Sealed(4), Device(2), out _, out _), Is.True);
            Assert.That(prepared.TryAdd(Sealed(5, bytes: 100), Device(3), out _, out var bytes), Is.False, "400 bytes over 350");
            Assert.That(bytes, Is.EqualTo((400L, 350L)));
            Assert.That(prepared.Take(Sealed(1).Record.CiphertextHash)?.Device, Is.EqualTo(Device(1)));
            Assert.That(prepared.Take(Sealed(1).Record.CiphertextHash), Is.Null, "taken once");
            Assert.That(prepared.TryAdd(Sealed(6), Device(3), out _, out _), Is.True, "room again");
        });
    }

    [Test]
    public void A_record_expires_after_its_lifetime()
    {
        var clock = new ManualTimeProvider();
        var prepared = new PreparedRecords(10, 10_000, 10, TimeSpan.FromMinutes(2), clock);
        prepared.TryAdd(Sealed(1), Device(1), out var expires, out _);

        clock.Advance(TimeSpan.FromMinutes(2));

        Assert.Multiple(() =>
        {
            Assert.That(expires, Is.EqualTo(clock.NowMs));
            Assert.That(prepared.Take(Sealed(1).Record.CiphertextHash), Is.Null);
            Assert.That(prepared.Count, Is.Zero);
        });
    }
}
