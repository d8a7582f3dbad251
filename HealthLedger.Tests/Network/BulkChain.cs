using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Storage;
using HealthLedger.Core.Transactions;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.Network;

/// <summary>
/// Chains of large blocks for sync and amplification tests: blocks filled with record anchors of one registered
/// device, each anchor carrying a 128-byte content address. Signatures are placeholders checked by a scheme that
/// accepts every signature (the network layer is under test here, not Ed25519), so 100,000 transactions build in seconds.
/// </summary>
internal static class BulkChain
{
    private static readonly Signature Placeholder = new(Enumerable.Repeat((byte)0x5A, Signature.Length).ToArray());

    /// <summary>A genesis for large blocks: enough transactions per block to approach the default 4 MiB block limit.</summary>
    public static TestLedger Ledger() => new(configure: g => g with { Limits = g.Limits with { MaxTransactionsPerBlock = 20_000 } });

    public static Blockchain NewChain(TestLedger t) =>
        new(t.Genesis, new TestEngine(), new InMemoryBlockStore(), t.Time, scheme: AcceptAllSignatures.Instance);

    /// <summary>Registers the patient and device, then adds <paramref name="count"/> blocks of at most (and about) <paramref name="blockBytes"/> bytes.</summary>
    public static void Build(TestLedger t, Blockchain chain, int count, int blockBytes)
    {
        Add(t, chain, [t.RegisterPatient(), t.RegisterDevice()]);
        ulong sequence = 0;
        for (var i = 0; i < count; i++)
        {
            t.Time.Advance(TimeSpan.FromSeconds(1));
            var txs = new List<Transaction>();
            var size = 300;
            while (true)
            {
                var tx = Anchor(t, sequence);
                if (size + tx.EncodedSize > blockBytes)
                {
                    break;
                }

                txs.Add(tx);
                sequence++;
                size += tx.EncodedSize;
            }

            Add(t, chain, txs);
        }
    }

    private static Transaction Anchor(TestLedger t, ulong sequence)
    {
        var address = $"bafy{sequence:D20}".PadRight(TransactionPayload.MaxContentAddressBytes, 'x');
        var payload = new RecordAnchor(address, Hash256.Sha256(BitConverter.GetBytes(sequence)), RecordType.Vitals, t.Time.NowMs - 500);
        return new Transaction(Transaction.CurrentVersion, TestLedger.ChainId, t.Device.PublicKey, sequence, t.Time.NowMs - 500, payload, Placeholder);
    }

    private static void Add(TestLedger t, Blockchain chain, IReadOnlyList<Transaction> txs)
    {
        var block = t.MakeBlock(chain.Tip, txs, timestampMs: t.Time.NowMs);
        var r = chain.AddBlock(block);
        Assert.That(r.Status, Is.EqualTo(BlockStatus.Connected), r.Validation.ToString());
    }

    /// <summary>A signature scheme that accepts every signature (signing still works, for the registrations).</summary>
    private sealed class AcceptAllSignatures : ISignatureScheme
    {
        public static readonly AcceptAllSignatures Instance = new();

        public Signature Sign(ReadOnlySpan<byte> privateSeed, ReadOnlySpan<byte> message) => Ed25519.Instance.Sign(privateSeed, message);

        public bool Verify(in PublicKey key, ReadOnlySpan<byte> message, in Signature signature) => true;

        public PublicKey DerivePublicKey(ReadOnlySpan<byte> privateSeed) => Ed25519.Instance.DerivePublicKey(privateSeed);
    }
}
