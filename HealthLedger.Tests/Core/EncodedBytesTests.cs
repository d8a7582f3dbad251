using HealthLedger.Core.Blocks;
using HealthLedger.Core.Transactions;
using HealthLedger.Testing;

namespace HealthLedger.Tests.Core;

/// <summary>Cached encodings are handed out read-only: a caller's copy can change, what the node stores and relays cannot.</summary>
[TestFixture]
public sealed class EncodedBytesTests
{
    [Test]
    public void A_transaction_encoding_is_cached_and_a_changed_copy_leaves_it_intact()
    {
        var tx = Build.A.Transaction.TestObject;
        var first = tx.Encode();

        var copy = first.ToArray();
        copy[^1] ^= 0xff;

        Assert.Multiple(() =>
        {
            Assert.That(tx.Encode().Span.Overlaps(first.Span), Is.True, "no copy per call");
            Assert.That(tx.Encode().Span.SequenceEqual(copy), Is.False);
            Assert.That(Transaction.Decode(tx.Encode()).Id, Is.EqualTo(tx.Id));
        });
    }

    [Test]
    public void A_decoded_block_does_not_share_the_callers_buffer()
    {
        var chain = Build.A.Chain.TestObject;
        var bytes = Build.A.Block.WithParent(chain.Tip).WithTransactions(Build.A.Transaction.TestObject).TestObject.Encode().ToArray();

        var block = Block.Decode(bytes);
        bytes[^1] ^= 0xff;

        Assert.That(Block.Decode(block.Encode()).Hash, Is.EqualTo(block.Hash));
    }
}
