using HealthLedger.Core.Crypto;
using HealthLedger.Records;
using HealthLedger.Records.Crypto;
using Org.BouncyCastle.Math.EC.Rfc7748;

namespace HealthLedger.Tests.Records.Crypto;

[TestFixture]
public sealed class IdentityEncryptionKeysTests
{
    // libsodium test/default/ed25519_convert.c: the seed, and the X25519 keys its crypto_sign_ed25519_{pk,sk}_to_curve25519 print.
    private const string LibsodiumSeed = "421151a459faeade3d247115f94aedae42318124095afabe4d1451a559faedee";
    private const string LibsodiumCurvePublic = "f1814f0e8ff1043d8a44d25babff3cedcae6c22c3edaa48f857ae70de2baae50";
    private const string LibsodiumCurvePrivate = "8052030376d47112be7f73ed7a019293dd12ad910b654455798b4667d73de166";

    [Test]
    public void The_conversion_matches_libsodium_for_its_published_vector()
    {
        using var identity = KeyPair.FromSeed(Convert.FromHexString(LibsodiumSeed));
        using var pair = IdentityEncryptionKeys.FromIdentity(identity);

        Assert.Multiple(() =>
        {
            Assert.That(IdentityEncryptionKeys.FromIdentity(identity.PublicKey).ToString(), Is.EqualTo(LibsodiumCurvePublic));
            Assert.That(Convert.ToHexStringLower(pair.ExportPrivateKey()), Is.EqualTo(LibsodiumCurvePrivate));
            Assert.That(pair.PublicKey.ToString(), Is.EqualTo(LibsodiumCurvePublic));
        });
    }

    [Test]
    public void The_public_image_of_an_identity_is_the_public_key_of_its_private_image()
    {
        for (var i = 0; i < 64; i++)
        {
            using var identity = KeyPair.FromLabel($"convert-{i}");
            using var pair = IdentityEncryptionKeys.FromIdentity(identity);
            var fromScalar = new byte[X25519.PointSize];
            X25519.ScalarMultBase(pair.ExportPrivateKey(), 0, fromScalar, 0);

            Assert.That(IdentityEncryptionKeys.FromIdentity(identity.PublicKey).Span.ToArray(), Is.EqualTo(fromScalar), $"identity {i}");
        }
    }

    [TestCase("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", TestName = "y = p (non-canonical)")]
    [TestCase("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", TestName = "y = 2^255 - 1 (above p)")]
    [TestCase("0100000000000000000000000000000000000000000000000000000000000000", TestName = "y = 1 (the neutral element)")]
    [TestCase("0200000000000000000000000000000000000000000000000000000000000000", TestName = "y = 2 (no x on the curve)")]
    public void A_key_that_is_no_usable_point_has_no_image(string hex) =>
        Assert.That(IdentityEncryptionKeys.TryFromIdentity(new PublicKey(Convert.FromHexString(hex)), out _), Is.False);

    [Test]
    public void A_record_wrapped_to_an_identity_opens_with_the_identity_and_not_with_another()
    {
        using var w = new RecordWorld();
        var context = new RecordContext(RecordWorld.ChainId, w.Device.Address, w.Patient.Address, HealthLedger.Core.Transactions.RecordType.Vitals, 1, 1);
        var envelope = RecordEnvelope.Seal(context, [1, 2, 3], [(w.Patient.Address, IdentityEncryptionKeys.FromIdentity(w.Patient.PublicKey))], w.Random);
        using var stranger = IdentityEncryptionKeys.FromIdentity(w.Stranger);

        Assert.Multiple(() =>
        {
            Assert.That(envelope.Open(w.Patient.Address, w.PatientKey).Value, Is.EqualTo(new byte[] { 1, 2, 3 }));
            Assert.That(envelope.Open(w.Patient.Address, stranger).Error?.Code, Is.EqualTo(RecordErrorCode.WrongKeyWrap));
        });
    }
}
