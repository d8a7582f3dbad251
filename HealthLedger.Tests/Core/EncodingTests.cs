using System.Diagnostics;
using FsProperty = FsCheck.NUnit.PropertyAttribute;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Encoding;
using HealthLedger.Core.Transactions;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.Core;

[TestFixture]
public sealed class EncodingTests
{
    private static readonly KeyPair Signer = KeyPair.FromLabel("encoder");

    private static TransactionPayload PayloadFor(int kind, ulong a, long b, byte[] bytes, string text)
    {
        var h = Hash256.Sha256(bytes);
        var addr = new Address(h.ToArray().AsSpan(0, 20));
        var name = string.IsNullOrEmpty(text) ? "n" : text.Length > 20 ? text[..20] : text;
        var positive = Math.Max(1, Math.Abs(b % 1_000_000_000_000));
        return (Math.Abs(kind) % 12) switch
        {
            0 => new NodeRegistration(new PublicKey(h.ToArray()), NodeRoles.Validator, name),
            1 => new NodeRevocation(addr),
            2 => new PatientRegistration(h),
            3 => new DeviceRegistration(new PublicKey(h.ToArray()), addr, DeviceClass.HomeSensor, Signer.Sign(bytes)),
            4 => new DeviceRevocation(addr),
            5 => new RecordAnchor("bafy" + name, h, RecordType.Ecg, positive),
            6 => new AccessGrant(addr, RecordScope.Vitals | RecordScope.Lab, positive),
            7 => new AccessRevoke(addr, RecordScope.All),
            8 => new Attestation(h, a == 0 ? 1 : a, Hash256.Sha256([.. bytes, 8]), a == 0 ? 0 : a - 1),
            9 => new MisbehaviourEvidence(EvidenceKind.ConflictingAttestations, [.. bytes.Take(100), 1], [2, .. bytes.Take(50)]),
            10 => new IntrusionReport(addr, positive, (ushort)(a % 10_001), h),
            _ => new KeyRelease(h, addr, positive, a, Hash256.Sha256([.. bytes, 11])),
        };
    }

    [FsProperty(MaxTest = 300)]
    public bool Every_transaction_kind_round_trips_to_identical_bytes_and_id(int kind, ulong sequence, long timestamp, byte[] bytes, string text)
    {
        bytes ??= [];
        var tx = Transaction.Create(Signer, 7, sequence, timestamp, PayloadFor(kind, sequence, timestamp, bytes, text ?? string.Empty));
        var encoded = tx.Encode();
        var decoded = Transaction.Decode(encoded);
        return decoded.Encode().Span.SequenceEqual(encoded.Span) && decoded.Id == tx.Id && decoded.VerifySignature() && decoded.Payload.Equals(tx.Payload);
    }

    [FsProperty(MaxTest = 100)]
    public bool Blocks_and_headers_round_trip(ulong height, long ts, ulong nonce, ushort threshold, byte[] bytes)
    {
        bytes ??= [];
        var txs = Enumerable.Range(0, bytes.Length % 5).Select(i => Transaction.Create(Signer, 7, (ulong)i, ts, new PatientRegistration(Hash256.Sha256([.. bytes, (byte)i])))).ToArray();
        var header = new BlockHeader(1, 7, height, ts, Hash256.Sha256(bytes), MerkleTree.ComputeRoot(txs.Select(t => t.Id).ToArray()), 0x1f0fffff, threshold, ConsensusEngineId.EnhancedProofOfWork, Signer.PublicKey, nonce, bytes.Length % 2 == 0 ? Signature.Empty : Signer.Sign(bytes));
        var block = new Block(header, txs);
        var decoded = Block.Decode(block.Encode());
        return decoded.Hash == block.Hash && decoded.Header.Seal == header.Seal && decoded.Encode().Span.SequenceEqual(block.Encode().Span)
            && HeaderCodec.Decode(HeaderCodec.Encode(header)).Equals(header);
    }

    [Test]
    public void A_key_release_has_the_documented_hash_input_and_encoding()
    {
        var release = new KeyRelease(Hash256.Sha256("record"u8), new Address(Enumerable.Range(1, 20).Select(i => (byte)i).ToArray()), 1_800_000_000_123, 42, Hash256.Sha256("request"u8));
        var tx = Transaction.Create(Signer, 7, 3, 1_800_000_000_456, release);

        var writer = new HashInputWriter(128);
        release.WriteHashInput(writer);
        var expectedHashInput = Hash256.Sha256("record"u8).ToString() + "0102030405060708090a0b0c0d0e0f1011121314"
            + "7b505c18a3010000" + "2a00000000000000" + Hash256.Sha256("request"u8).ToString();
        var encoded = tx.Encode().ToArray();

        Assert.Multiple(() =>
        {
            Assert.That(Convert.ToHexStringLower(writer.WrittenSpan), Is.EqualTo(expectedHashInput));
            // MessagePack payload: [bin32 hash, bin20 recipient, int64 releasedAt, uint8 grantHeight, bin32 request id].
            Assert.That(Convert.ToHexStringLower(encoded), Does.Contain("95c420" + Hash256.Sha256("record"u8) + "c414" + "0102030405060708090a0b0c0d0e0f1011121314"
                + "cf000001a3185c507b" + "2a" + "c420" + Hash256.Sha256("request"u8)));
            Assert.That(encoded[3], Is.EqualTo((byte)TransactionKind.KeyRelease));
            Assert.That(Transaction.Decode(encoded).Payload, Is.EqualTo(release));
            Assert.That(tx.Id.ToString(), Is.EqualTo(KeyReleaseVectorId));
        });
    }

    private const string KeyReleaseVectorId = "19e4192429b84b8551d2a4516bef51c11c5f1f7c60a03b3cc398df5050013bbe";

    [Test]
    public void A_non_minimal_integer_encoding_is_refused()
    {
        var tx = Transaction.Create(Signer, 7, 0, 1, new PatientRegistration(Hash256.Sha256("p"u8)));
        var bytes = tx.Encode().ToArray();

        // Element 1 is the chain id 7, a positive fixint (0x07); re-encode it as uint8 (0xcc 0x07): same value, other bytes.
        var index = Array.IndexOf(bytes, (byte)0x07, 1);
        var malleated = bytes[..index].Concat(new byte[] { 0xcc, 0x07 }).Concat(bytes[(index + 1)..]).ToArray();

        var ex = Assert.Throws<LedgerFormatException>(() => Transaction.Decode(malleated));
        Assert.That(ex!.Reason, Does.Contain("canonical"));
    }

    [Test]
    public void Trailing_bytes_are_refused()
    {
        var tx = Transaction.Create(Signer, 7, 0, 1, new PatientRegistration(Hash256.Sha256("p"u8)));
        var ex = Assert.Throws<LedgerFormatException>(() => Transaction.Decode(tx.Encode().ToArray().Append((byte)0xc0).ToArray()));
        Assert.That(ex!.Reason, Does.Contain("trailing"));
    }

    [Test]
    public void A_zero_filled_seal_is_refused_because_absence_has_one_encoding()
    {
        var header = new BlockHeader(1, 7, 1, 1, Hash256.Zero, Hash256.Zero, 0x1f0fffff, 1, ConsensusEngineId.ProofOfWork, Signer.PublicKey, 0, Signature.Empty);
        var bytes = HeaderCodec.Encode(header);
        // Replace the trailing empty bin (0xc4 0x00) with a 64-byte zero bin.
        var forged = bytes[..^2].Concat(new byte[] { 0xc4, 64 }).Concat(new byte[64]).ToArray();

        Assert.Throws<LedgerFormatException>(() => HeaderCodec.Decode(forged));
    }

    [Test]
    public void Oversized_input_is_refused_before_decoding() =>
        Assert.Throws<LedgerFormatException>(() => Transaction.Decode(new byte[Transaction.MaxEncodedBytes + 1]));

    [Test]
    public void A_block_claiming_more_transactions_than_its_bytes_can_hold_is_refused_without_allocating()
    {
        var header = new BlockHeader(1, 7, 1, 1, Hash256.Zero, Hash256.Zero, 0x1f0fffff, 1, ConsensusEngineId.ProofOfWork, Signer.PublicKey, 0, Signature.Empty);
        var block = new Block(header, []).Encode().ToArray();
        // Last byte is the empty tx array (0x90); claim 20,000 transactions with an array16 header.
        var forged = block[..^1].Concat(new byte[] { 0xdc, 0x4e, 0x20 }).ToArray();

        var ex = Assert.Throws<LedgerFormatException>(() => Block.Decode(forged));
        Assert.That(ex!.Field, Is.EqualTo("transactions"));
    }

    [Test]
    [Category("Slow")]
    public void Hostile_bytes_only_ever_raise_the_format_error()
    {
        var rng = new Random(20261124);
        var txs = Enumerable.Range(0, 11).Select(k => Transaction.Create(Signer, 7, (ulong)k, 5, PayloadFor(k, (ulong)k, 5 + k, [1, 2, (byte)k], "name"))).ToArray();
        var header = new BlockHeader(1, 7, 3, 1, Hash256.Sha256("p"u8), MerkleTree.ComputeRoot(txs.Select(t => t.Id).ToArray()), 0x1f0fffff, 2, ConsensusEngineId.EnhancedProofOfWork, Signer.PublicKey, 9, Signer.Sign("s"u8));
        var seeds = new List<byte[]> { new Block(header, txs).Encode().ToArray(), HeaderCodec.Encode(header) };
        seeds.AddRange(txs.Select(t => t.Encode().ToArray()));

        var decoders = new (string Name, Action<byte[]> Decode)[]
        {
            ("transaction", b => Transaction.Decode(b)),
            ("block", b => Block.Decode(b)),
            ("header", b => HeaderCodec.Decode(b)),
        };

        var sw = Stopwatch.StartNew();
        var counts = new int[decoders.Length];
        const int PerDecoder = 100_000;
        for (var i = 0; i < PerDecoder; i++)
        {
            var input = Mutate(rng, seeds[rng.Next(seeds.Count)]);
            for (var d = 0; d < decoders.Length; d++)
            {
                try
                {
                    decoders[d].Decode(input);
                }
                catch (LedgerFormatException)
                {
                    counts[d]++;
                }
            }
        }

        Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromMinutes(3)), "decoding must never hang");
        Assert.That(counts, Has.All.GreaterThan(PerDecoder / 2), "most mutated inputs must be refused");
    }

    private static byte[] Mutate(Random rng, byte[] seed)
    {
        switch (rng.Next(6))
        {
            case 0:
                return [.. Enumerable.Range(0, rng.Next(0, 300)).Select(_ => (byte)rng.Next(256))];
            case 1:
                return seed[..rng.Next(seed.Length)];
            case 2:
            {
                var copy = (byte[])seed.Clone();
                for (var k = rng.Next(1, 4); k > 0; k--)
                {
                    copy[rng.Next(copy.Length)] = (byte)rng.Next(256);
                }

                return copy;
            }

            case 3:
            {
                var copy = (byte[])seed.Clone();
                // Type bytes that claim huge lengths: bin32, str32, array32, map32.
                var pos = rng.Next(copy.Length);
                copy[pos] = new byte[] { 0xc6, 0xdb, 0xdd, 0xdf, 0xc9 }[rng.Next(5)];
                return copy;
            }

            case 4:
            {
                var insertAt = rng.Next(seed.Length);
                var extra = Enumerable.Range(0, rng.Next(1, 9)).Select(_ => (byte)rng.Next(256));
                return [.. seed[..insertAt], .. extra, .. seed[insertAt..]];
            }

            default:
            {
                var copy = (byte[])seed.Clone();
                var bit = rng.Next(copy.Length * 8);
                copy[bit / 8] ^= (byte)(1 << (bit % 8));
                return copy;
            }
        }
    }
}
