using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.State;
using HealthLedger.Core.Storage;
using HealthLedger.Core.Transactions;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.State;

/// <summary>
/// Drives a chain with a state store: random valid blocks (<see cref="IndexWorld"/>) carrying finality votes of four of
/// the five validators now and then (so finality advances, stalls and resumes), and compares a state with the state a
/// fresh in-memory chain reaches by replaying the winning chain from genesis.
/// </summary>
internal sealed class ChainStateWorld(IndexWorld world)
{
    public IndexWorld World { get; } = world;

    public Blockchain Open(IBlockStore blocks, IKeyValueStore state, int window, long? keepRecentBodies = null) =>
        new(World.Ledger.Genesis, new TestEngine(), blocks, World.Ledger.Time, options: new ChainOptions { RetainedFinalHeaders = window, KeepRecentBodies = keepRecentBodies }, stateStore: state);

    /// <summary>A random block on <paramref name="parent"/>, with votes for the parent from four validators when <paramref name="vote"/>.</summary>
    public Block NextBlock(Blockchain chain, ChainEntry parent, Random rng, bool vote)
    {
        var block = World.RandomBlock(parent, rng);
        if (!vote || parent.Height < 1)
        {
            return block;
        }

        var source = chain.LastFinal;
        for (var e = parent.Parent; e is not null && e.Height > chain.LastFinal.Height; e = e.Parent)
        {
            if (chain.IsJustified(e.Hash))
            {
                source = e;
                break;
            }
        }

        if (source.Height >= parent.Height)
        {
            return block;
        }

        var votes = Enumerable.Range(0, 4).Select(v => World.Ledger.Attest(v, parent, source));
        Transaction[] txs = [.. block.Transactions, .. votes];
        return World.Ledger.MakeBlock(parent, txs, timestampMs: block.Header.TimestampMs, nonce: block.Header.Nonce);
    }

    /// <summary>Replays the winning chain of <paramref name="chain"/> from genesis into a chain kept wholly in memory.</summary>
    public Blockchain Replay(Blockchain chain)
    {
        var oracle = World.Ledger.NewChain();
        for (ulong h = 1; h <= chain.Tip.Height; h++)
        {
            var r = oracle.AddBlock(chain.GetBestAt(h)!.Block);
            Assert.That(r.IsAccepted, Is.True, r.Validation.ToString());
        }

        return oracle;
    }

    /// <summary>
    /// The tip and last final block equal those of a chain kept wholly in memory that replays every stored block (side
    /// branches carry votes too), and every lookup validation makes, over every key the world can touch, answers as the
    /// state of a fresh replay of the winning chain alone.
    /// </summary>
    public void AssertMatchesReplays(Blockchain chain, IBlockStore blocks)
    {
        var full = World.Ledger.NewChain(BlockStoreCuts.Prefix(blocks, blocks.Count));
        Assert.That(chain.Tip.Hash, Is.EqualTo(full.Tip.Hash), "tip");
        Assert.That(chain.LastFinal.Hash, Is.EqualTo(full.LastFinal.Hash), "last final");
        AssertSameState(Replay(chain), chain);
    }

    /// <summary>Every lookup validation makes, over every key the world can touch, answers alike.</summary>
    public void AssertSameState(Blockchain oracle, Blockchain chain)
    {
        var keys = World.Patients.Concat(World.Devices).Concat(World.Providers).Concat(World.Ledger.Validators).Select(k => k.Address);
        AssertSameLookups(oracle, chain, keys, string.Empty);
        var expected = oracle.State;
        var actual = chain.State;
        foreach (var r in expected.Records.Values)
        {
            Assert.That(actual.GetRecord(r.CiphertextHash), Is.EqualTo(r));
        }

        for (ulong h = 0; h <= expected.Height; h++)
        {
            var hash = oracle.GetBestAt(h)!.Hash;
            Assert.That(actual.GetAttesters(hash), Is.EquivalentTo(expected.GetAttesters(hash)), $"attesters of #{h}");
            Assert.That(actual.GetAttestation(World.Ledger.Validators[4].Address, h), Is.Null);
        }
    }

    /// <summary>
    /// The lookups validation makes answer alike in <paramref name="chain"/> and <paramref name="oracle"/> (a chain kept
    /// wholly in memory): height, record count, nodes, each key's patient, device, grants and sequence, every record
    /// and every attestation. <paramref name="context"/> prefixes the messages (a round, a seed).
    /// </summary>
    public static void AssertSameLookups(Blockchain oracle, Blockchain chain, IEnumerable<Address> keys, string context)
    {
        Assert.That(chain.Tip.Hash, Is.EqualTo(oracle.Tip.Hash), $"{context}tip");
        var expected = oracle.State;
        var actual = chain.State;
        Assert.That(actual.Height, Is.EqualTo(expected.Height), $"{context}height");
        Assert.That(actual.RecordTotal, Is.EqualTo(expected.RecordTotal), $"{context}record count");
        Assert.That(actual.Nodes, Is.EqualTo(expected.Nodes), $"{context}nodes");
        foreach (var a in keys)
        {
            Assert.That(actual.GetPatient(a), Is.EqualTo(expected.GetPatient(a)), $"{context}patient {a}");
            Assert.That(actual.GetDevice(a), Is.EqualTo(expected.GetDevice(a)), $"{context}device {a}");
            Assert.That(actual.GetGrants(a).ToList(), Is.EqualTo(expected.GetGrants(a).ToList()), $"{context}grants of {a}");
            Assert.That(actual.GetNextSequence(a), Is.EqualTo(expected.GetNextSequence(a)), $"{context}sequence of {a}");
        }

        Assert.That(actual.AllRecords.OrderBy(r => r.CiphertextHash).ToList(), Is.EqualTo(expected.Records.Values.OrderBy(r => r.CiphertextHash).ToList()), $"{context}records");
        foreach (var ((node, height), hash) in expected.Attestations)
        {
            Assert.That(actual.GetAttestation(node, height), Is.EqualTo(hash), $"{context}attestation of {node} at {height}");
        }
    }
}

/// <summary>A copy of the first <paramref name="count"/> blocks of a store: the block store "lost its tail" in a power loss.</summary>
internal static class BlockStoreCuts
{
    public static InMemoryBlockStore Prefix(IBlockStore store, long count)
    {
        var copy = new InMemoryBlockStore();
        foreach (var b in store.ReadAll().Take((int)count))
        {
            copy.Append(b.Hash, b.Encoded.Span);
        }

        return copy;
    }
}
