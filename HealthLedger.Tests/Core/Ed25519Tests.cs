using System.Text.Json;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Tests.Core;

[TestFixture]
public sealed class Ed25519Tests
{
    public sealed record Vector(string Name, string Secret, string Public, string Message, string Signature);

    private static IEnumerable<TestCaseData> Vectors()
    {
        var path = Path.Combine(TestContext.CurrentContext.TestDirectory, "TestVectors", "rfc8032-ed25519.json");
        var vectors = JsonSerializer.Deserialize<Vector[]>(File.ReadAllText(path), new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;
        return vectors.Select(v => new TestCaseData(v).SetName(v.Name.Replace(' ', '_')));
    }

    [TestCaseSource(nameof(Vectors))]
    public void Rfc8032_vector_derives_key_signs_and_verifies(Vector v)
    {
        var seed = Convert.FromHexString(v.Secret);
        var message = Convert.FromHexString(v.Message);
        using var key = KeyPair.FromSeed(seed);

        Assert.That(key.PublicKey.ToString(), Is.EqualTo(v.Public));
        Assert.That(key.Sign(message).ToString(), Is.EqualTo(v.Signature));
        Assert.That(Ed25519.Instance.Verify(PublicKey.Parse(v.Public), message, new Signature(Convert.FromHexString(v.Signature))), Is.True);
    }

    [TestCaseSource(nameof(Vectors))]
    public void Rfc8032_vector_fails_with_any_flipped_bit(Vector v)
    {
        var message = Convert.FromHexString(v.Message);
        var sig = Convert.FromHexString(v.Signature);
        for (var bit = 0; bit < sig.Length * 8; bit += 37)
        {
            var bad = (byte[])sig.Clone();
            bad[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.That(Ed25519.Instance.Verify(PublicKey.Parse(v.Public), message, new Signature(bad)), Is.False, $"bit {bit}");
        }
    }

    [Test]
    public void Verify_refuses_non_canonical_s()
    {
        // S + L (group order) is the classic malleation: strict verification must refuse it.
        using var key = KeyPair.FromLabel("malleability");
        var msg = "hello"u8.ToArray();
        var sig = key.Sign(msg).ToArray();
        var l = System.Numerics.BigInteger.Parse("7237005577332262213973186563042994240857116359379907606001950938285454250989");
        var s = new System.Numerics.BigInteger(sig.AsSpan(32), isUnsigned: true, isBigEndian: false);
        var malleated = (s + l).ToByteArray(isUnsigned: true, isBigEndian: false);
        var forged = new byte[64];
        sig.AsSpan(0, 32).CopyTo(forged);
        malleated.AsSpan(0, Math.Min(32, malleated.Length)).CopyTo(forged.AsSpan(32));

        Assert.That(Ed25519.Instance.Verify(key.PublicKey, msg, new Signature(forged)), Is.False);
    }

    [Test]
    public void Address_is_derived_from_the_public_key_and_round_trips_as_text()
    {
        using var key = KeyPair.FromLabel("someone");
        var address = key.PublicKey.ToAddress();

        Assert.That(Address.Parse(address.ToString()), Is.EqualTo(address));
        Assert.That(address, Is.Not.EqualTo(KeyPair.FromLabel("someone else").Address));
        Assert.That(address.ToString(), Does.StartWith("hl").And.Length.EqualTo(42));
    }

    [Test]
    public void Hash256_compares_as_big_endian_and_round_trips_hex()
    {
        var low = Hash256.Parse("00" + new string('f', 62));
        var high = Hash256.Parse("01" + new string('0', 62));

        Assert.That(low < high, Is.True);
        Assert.That(Hash256.Parse(high.ToString()), Is.EqualTo(high));
        Assert.That(() => Hash256.Parse("abc"), Throws.TypeOf<FormatException>());
    }
}
