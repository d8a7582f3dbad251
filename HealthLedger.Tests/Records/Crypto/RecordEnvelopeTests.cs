using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;
using HealthLedger.Records;
using HealthLedger.Records.Crypto;

namespace HealthLedger.Tests.Records.Crypto;

public sealed class RecordEnvelopeTests
{
    private RecordWorld _w = null!;
    private RecordContext _context = null!;
    private byte[] _plaintext = null!;

    [SetUp]
    public void SetUp()
    {
        _w = new RecordWorld();
        _context = new RecordContext(RecordWorld.ChainId, _w.Device.Address, _w.Patient.Address, RecordType.Vitals, 1_800_000_000_000, 42);
        _plaintext = RecordsTestSupport.Payload(1000);
    }

    [TearDown]
    public void TearDown() => _w.Dispose();

    private RecordEnvelope Seal() => RecordEnvelope.Seal(_context, _plaintext,
        [(_w.Patient.Address, _w.PatientKey.PublicKey), (_w.Custodian.Address, _w.CustodianKey.PublicKey)], _w.Random);

    [Test]
    public void Each_recipient_opens_the_envelope_after_an_encode_decode_round_trip()
    {
        var bytes = Seal().Encode();
        var decoded = RecordEnvelope.Decode(bytes).Value;

        Assert.Multiple(() =>
        {
            Assert.That(decoded.Encode(), Is.EqualTo(bytes));
            Assert.That(decoded.Context, Is.EqualTo(_context));
            Assert.That(decoded.Open(_w.Patient.Address, _w.PatientKey).Value, Is.EqualTo(_plaintext));
            Assert.That(decoded.Open(_w.Custodian.Address, _w.CustodianKey).Value, Is.EqualTo(_plaintext));
        });
    }

#pragma warning disable NUnit1027 // FsCheck supplies the arguments
    [FsCheck.NUnit.Property(MaxTest = 100)]
    public bool Any_plaintext_and_context_survive_seal_encode_decode_open(byte[] plaintext, long measuredAt, ulong idLow, byte type)
    {
        using var w = new RecordWorld();
        var context = new RecordContext(RecordWorld.ChainId, w.Device.Address, w.Patient.Address, (RecordType)(type % 7 + 1), measuredAt, idLow);
        var bytes = RecordEnvelope.Seal(context, plaintext ?? [], [(w.Patient.Address, w.PatientKey.PublicKey)], w.Random).Encode();
        var decoded = RecordEnvelope.Decode(bytes);
        return decoded.IsSuccess && decoded.Value.Context == context && decoded.Value.Encode().AsSpan().SequenceEqual(bytes)
            && decoded.Value.Open(w.Patient.Address, w.PatientKey).Value.AsSpan().SequenceEqual(plaintext ?? []);
    }
#pragma warning restore NUnit1027

    [Test]
    public void Two_seals_of_one_plaintext_share_no_ciphertext()
    {
        var first = Seal().Encode();
        var second = Seal().Encode();

        Assert.That(second, Is.Not.EqualTo(first));
    }

    [Test]
    public void A_flipped_ciphertext_byte_is_refused_as_tampered()
    {
        var bytes = Seal().Encode();
        bytes[^20] ^= 0x01; // inside the ciphertext, before the 16-byte tag

        var opened = RecordEnvelope.Decode(bytes).Value.Open(_w.Patient.Address, _w.PatientKey);

        Assert.That(opened.Error?.Code, Is.EqualTo(RecordErrorCode.TamperedCiphertext));
    }

    [Test]
    public void A_flipped_tag_byte_is_refused_as_tampered()
    {
        var bytes = Seal().Encode();
        bytes[^1] ^= 0x80;

        var opened = RecordEnvelope.Decode(bytes).Value.Open(_w.Patient.Address, _w.PatientKey);

        Assert.That(opened.Error?.Code, Is.EqualTo(RecordErrorCode.TamperedCiphertext));
    }

    [TestCase(4, "chain id")]
    [TestCase(4 + 4, "device")]
    [TestCase(4 + 24, "patient")]
    [TestCase(4 + 44, "record type")]
    [TestCase(4 + 45, "measured-at")]
    public void An_altered_bound_field_is_refused_as_tampered(int offset, string field)
    {
        var bytes = Seal().Encode();
        bytes[offset] ^= 0x01;

        var opened = RecordEnvelope.Decode(bytes).Value.Open(_w.Patient.Address, _w.PatientKey);

        Assert.That(opened.Error?.Code, Is.EqualTo(RecordErrorCode.TamperedCiphertext), field);
    }

    [Test]
    public void A_wrap_opened_with_another_recipients_key_is_refused_as_wrong_key_wrap()
    {
        var envelope = Seal();

        var opened = envelope.Open(envelope.WrapFor(_w.Patient.Address)!, _w.ProviderKey);

        Assert.That(opened.Error?.Code, Is.EqualTo(RecordErrorCode.WrongKeyWrap));
    }

    [Test]
    public void A_reader_without_a_wrap_is_refused_as_wrong_key_wrap()
    {
        var opened = Seal().Open(_w.Provider.Address, _w.ProviderKey);

        Assert.That(opened.Error?.Code, Is.EqualTo(RecordErrorCode.WrongKeyWrap));
    }

    [Test]
    public void An_altered_wrap_is_refused_as_wrong_key_wrap()
    {
        var wrap = Seal().WrapFor(_w.Patient.Address)!;
        var sealedKey = (byte[])wrap.Sealed.Clone();
        sealedKey[3] ^= 0x01;

        var opened = Seal().Open(wrap with { Sealed = sealedKey }, _w.PatientKey);

        Assert.That(opened.Error?.Code, Is.EqualTo(RecordErrorCode.WrongKeyWrap));
    }

    [Test]
    public void A_wrap_moved_to_another_record_does_not_open_it()
    {
        var first = Seal();
        var second = Seal();

        var opened = second.Open(first.WrapFor(_w.Patient.Address)!, _w.PatientKey);

        Assert.That(opened.Error?.Code, Is.EqualTo(RecordErrorCode.WrongKeyWrap).Or.EqualTo(RecordErrorCode.TamperedCiphertext));
    }

    [Test]
    public void A_rewrapped_key_opens_for_the_new_recipient_only()
    {
        var envelope = Seal();

        var wrap = envelope.Rewrap(_w.Custodian.Address, _w.CustodianKey, _w.Provider.Address, _w.ProviderKey.PublicKey, _w.Random).Value;

        Assert.Multiple(() =>
        {
            Assert.That(envelope.Open(wrap, _w.ProviderKey).Value, Is.EqualTo(_plaintext));
            Assert.That(envelope.Open(wrap, _w.PatientKey).Error?.Code, Is.EqualTo(RecordErrorCode.WrongKeyWrap));
        });
    }

    [Test]
    public void Decode_refuses_truncated_extended_and_miscounted_envelopes()
    {
        var bytes = Seal().Encode();
        var zeroWraps = (byte[])bytes.Clone();
        zeroWraps[4 + RecordContext.EncodedLength + 12] = 0;
        var manyWraps = (byte[])bytes.Clone();
        manyWraps[4 + RecordContext.EncodedLength + 12] = 200;

        Assert.Multiple(() =>
        {
            Assert.That(RecordEnvelope.Decode(bytes.AsSpan(0, bytes.Length - 1)).Error?.Code, Is.EqualTo(RecordErrorCode.MalformedEnvelope));
            Assert.That(RecordEnvelope.Decode([.. bytes, 0]).Error?.Code, Is.EqualTo(RecordErrorCode.MalformedEnvelope));
            Assert.That(RecordEnvelope.Decode(zeroWraps).Error?.Code, Is.EqualTo(RecordErrorCode.MalformedEnvelope));
            Assert.That(RecordEnvelope.Decode(manyWraps).Error?.Code, Is.EqualTo(RecordErrorCode.MalformedEnvelope));
            Assert.That(RecordEnvelope.Decode([]).Error?.Code, Is.EqualTo(RecordErrorCode.MalformedEnvelope));
        });
    }

    [Test]
    public void Random_bytes_never_decode_into_an_exception()
    {
        var random = new Random(12345);
        var good = Seal().Encode();
        for (int i = 0; i < 2000; i++)
        {
            var bytes = i % 2 == 0 ? new byte[random.Next(0, 400)] : (byte[])good.Clone();
            if (i % 2 == 0)
            {
                random.NextBytes(bytes);
            }
            else
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }
            Assert.DoesNotThrow(() => RecordEnvelope.Decode(bytes));
        }
    }
}
