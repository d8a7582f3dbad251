using HealthLedger.Core.Crypto;
using HealthLedger.Core.Storage;

namespace HealthLedger.Tests.Storage;

/// <summary>Behaviour every <see cref="IBlockStore"/> must have; run once per implementation.</summary>
public abstract class BlockStoreContractTests
{
    protected abstract IBlockStore CreateStore();

    [Test]
    public void New_store_is_empty()
    {
        using var store = CreateStore();
        Assert.That(store.Count, Is.Zero);
        Assert.That(store.ReadAll(), Is.Empty);
        Assert.That(store.Contains(Hash256.Sha256([1])), Is.False);
        Assert.That(store.TryGet(Hash256.Sha256([1])), Is.Null);
    }

    [Test]
    public void Appended_blocks_are_returned_by_hash_and_in_append_order()
    {
        var blocks = TestBlocks.Make(1, 10, 0, 1, 1000, 5000, 37);
        using var store = CreateStore();
        foreach (var (hash, payload) in blocks)
        {
            store.Append(hash, payload);
        }

        TestBlocks.AssertContents(store, blocks);
        foreach (var (hash, payload) in blocks)
        {
            Assert.That(store.Contains(hash), Is.True);
            Assert.That(store.TryGet(hash), Is.EqualTo(payload));
        }
    }

    [Test]
    public void Appending_a_stored_hash_again_throws_and_changes_nothing()
    {
        var blocks = TestBlocks.Make(2, 10, 20);
        using var store = CreateStore();
        store.Append(blocks[0].Hash, blocks[0].Payload);
        store.Append(blocks[1].Hash, blocks[1].Payload);

        Assert.Throws<InvalidOperationException>(() => store.Append(blocks[0].Hash, [9, 9, 9]));
        TestBlocks.AssertContents(store, blocks);
    }

    [Test]
    public void Store_does_not_interpret_payload_or_check_hash_against_it()
    {
        using var store = CreateStore();
        var hash = Hash256.Sha256("not the payload's hash"u8);
        store.Append(hash, [0xFF, 0x00, 0xC1]);
        Assert.That(store.TryGet(hash), Is.EqualTo(new byte[] { 0xFF, 0x00, 0xC1 }));
    }

    [Test]
    public void Changing_the_input_or_returned_array_does_not_change_the_store()
    {
        using var store = CreateStore();
        var payload = new byte[] { 1, 2, 3 };
        var hash = Hash256.Sha256(payload);
        store.Append(hash, payload);
        payload[0] = 42;
        store.TryGet(hash)![1] = 42;
        Assert.That(store.TryGet(hash), Is.EqualTo(new byte[] { 1, 2, 3 }));
    }

    [Test]
    public void ReadAll_enumerates_the_blocks_present_when_it_started()
    {
        var blocks = TestBlocks.Make(3, 5, 6, 7);
        using var store = CreateStore();
        store.Append(blocks[0].Hash, blocks[0].Payload);
        store.Append(blocks[1].Hash, blocks[1].Payload);
        var seen = new List<StoredBlock>();
        foreach (var block in store.ReadAll())
        {
            seen.Add(block);
            if (seen.Count == 1)
            {
                store.Append(blocks[2].Hash, blocks[2].Payload);
            }
        }

        Assert.That(seen.Select(b => b.Hash), Is.EqualTo(new[] { blocks[0].Hash, blocks[1].Hash }));
        Assert.That(store.Count, Is.EqualTo(3));
    }

    [Test]
    public void Concurrent_readers_see_only_complete_blocks_while_one_writer_appends()
    {
        var blocks = TestBlocks.Make(4, [.. Enumerable.Range(0, 300).Select(i => (i * 37) % 2000)]);
        using var store = CreateStore();
        var writerDone = 0;
        var readers = Enumerable.Range(0, 3).Select(r => Task.Run(() =>
        {
            var random = new Random(r);
            var checks = 0;
            while (Volatile.Read(ref writerDone) == 0 || checks < 100)
            {
                var count = (int)store.Count;
                if (count > 0)
                {
                    var (hash, payload) = blocks[random.Next(count)];
                    Assert.That(store.Contains(hash), Is.True);
                    Assert.That(store.TryGet(hash), Is.EqualTo(payload));
                }

                var listed = store.ReadAll().Take(5).ToList();
                for (var i = 0; i < listed.Count; i++)
                {
                    Assert.That(listed[i].Hash, Is.EqualTo(blocks[i].Hash));
                }

                checks++;
            }
        })).ToArray();

        foreach (var (hash, payload) in blocks)
        {
            store.Append(hash, payload);
        }

        store.Flush();
        Volatile.Write(ref writerDone, 1);
        Assert.That(() => Task.WaitAll(readers), Throws.Nothing);
        TestBlocks.AssertContents(store, blocks);
    }
}

public class InMemoryBlockStoreTests : BlockStoreContractTests
{
    protected override IBlockStore CreateStore() => new InMemoryBlockStore();
}
