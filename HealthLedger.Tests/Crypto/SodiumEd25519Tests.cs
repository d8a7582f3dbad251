using System.Numerics;
using System.Security.Cryptography;
using HealthLedger.Core.Crypto;
using HealthLedger.Crypto.Sodium;

namespace HealthLedger.Tests.Crypto;

/// <summary>
/// The libsodium scheme against the default BouncyCastle one: identical keys and signatures, and the same verdict on
/// every signature, including the edge cases where Ed25519 implementations are known to differ (a validity split
/// between two nodes' verifiers would be a consensus split).
/// </summary>
[TestFixture]
public sealed class SodiumEd25519Tests
{
    private static readonly BigInteger L = BigInteger.Parse("7237005577332262213973186563042994240857116359379907606001950938285454250989");
    private static readonly ISignatureScheme Sodium = SodiumEd25519.Instance;
    private static readonly ISignatureScheme Bouncy = Ed25519.Instance;

    /// <summary>Encodings of small-order points (order 1, 2, 4, 8) and a non-canonical y (p + 1 encodes 1 again).</summary>
    private static readonly string[] SmallOrderOrNonCanonical =
    [
        "0100000000000000000000000000000000000000000000000000000000000000", // identity
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // order 2
        "0000000000000000000000000000000000000000000000000000000000000000", // order 4
        "0000000000000000000000000000000000000000000000000000000000000080", // order 4, sign bit
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // y = p + 1, non-canonical
    ];

    [Test]
    public void Both_schemes_derive_the_same_keys_and_sign_the_same_bytes()
    {
        for (var i = 0; i < 20; i++)
        {
            var seed = RandomNumberGenerator.GetBytes(32);
            var message = RandomNumberGenerator.GetBytes(i * 13);
            Assert.That(Sodium.DerivePublicKey(seed), Is.EqualTo(Bouncy.DerivePublicKey(seed)));
            Assert.That(Sodium.Sign(seed, message), Is.EqualTo(Bouncy.Sign(seed, message)));
        }
    }

    [Test]
    public void Both_schemes_accept_valid_signatures_and_refuse_any_flipped_bit()
    {
        var seed = RandomNumberGenerator.GetBytes(32);
        var key = Bouncy.DerivePublicKey(seed);
        var message = "a vitals record anchor"u8.ToArray();
        var sig = Bouncy.Sign(seed, message).ToArray();
        Assert.That(Sodium.Verify(key, message, new Signature(sig)), Is.True);
        for (var bit = 0; bit < 512; bit += 7)
        {
            var bad = (byte[])sig.Clone();
            bad[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.That(Sodium.Verify(key, message, new Signature(bad)), Is.EqualTo(Bouncy.Verify(key, message, new Signature(bad))).And.False, $"bit {bit}");
        }
    }

    [Test]
    public void Both_schemes_refuse_a_non_canonical_s()
    {
        var seed = RandomNumberGenerator.GetBytes(32);
        var key = Bouncy.DerivePublicKey(seed);
        var message = "malleable?"u8.ToArray();
        var sig = Bouncy.Sign(seed, message).ToArray();
        var s = new BigInteger(sig.AsSpan(32), isUnsigned: true, isBigEndian: false);
        var forged = new byte[64];
        sig.AsSpan(0, 32).CopyTo(forged);
        (s + L).ToByteArray(isUnsigned: true, isBigEndian: false).AsSpan(0, 32).CopyTo(forged.AsSpan(32));

        Assert.That(Bouncy.Verify(key, message, new Signature(forged)), Is.False);
        Assert.That(Sodium.Verify(key, message, new Signature(forged)), Is.False);
    }

    [TestCaseSource(nameof(SmallOrderOrNonCanonical))]
    public void Both_schemes_give_the_same_verdict_for_a_small_order_or_non_canonical_key_or_r(string point)
    {
        var p = Convert.FromHexString(point);
        var message = "edge"u8.ToArray();

        // As the public key, with R = the same point and S = 0 (the classic "verifies for every message" forgery).
        var sig = new byte[64];
        p.CopyTo(sig, 0);
        var key = new PublicKey(p);
        Assert.That(Sodium.Verify(key, message, new Signature(sig)), Is.EqualTo(Bouncy.Verify(key, message, new Signature(sig))), "as key and R");
        Assert.That(Bouncy.Verify(key, message, new Signature(sig)), Is.False, "strict verification refuses it");

        // As R with an honest key.
        var seed = RandomNumberGenerator.GetBytes(32);
        var honest = Bouncy.DerivePublicKey(seed);
        var real = Bouncy.Sign(seed, message).ToArray();
        p.CopyTo(real, 0);
        Assert.That(Sodium.Verify(honest, message, new Signature(real)), Is.EqualTo(Bouncy.Verify(honest, message, new Signature(real))), "as R");
    }
}
