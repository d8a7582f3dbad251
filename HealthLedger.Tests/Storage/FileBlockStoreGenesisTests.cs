using System.Buffers.Binary;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Storage;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.Storage;

/// <summary>
/// A file store records the genesis hash it belongs to in <c>MANIFEST</c> and refuses to open for another chain
/// (issue 10 symptom 12; docs/storage.md, "Manifest").
/// </summary>
[TestFixture]
public sealed class FileBlockStoreGenesisTests
{
    private static readonly Hash256 ChainA = Hash256.Sha256("genesis A"u8);
    private static readonly Hash256 ChainB = Hash256.Sha256("genesis B"u8);

    private TempDirectory _directory = null!;

    [SetUp]
    public void SetUp() => _directory = TempDirectory.Create(inMemory: true);

    [TearDown]
    public void TearDown() => _directory.Dispose();

    private string ManifestPath => Path.Combine(_directory.Path, "MANIFEST");

    private static FileBlockStoreOptions For(Hash256? genesis, bool adopt = false) =>
        new() { ExpectedGenesisHash = genesis, AdoptStoreWithoutManifest = adopt };

    private Dictionary<string, byte[]> Files() =>
        Directory.GetFiles(_directory.Path).Where(f => !f.EndsWith("LOCK", StringComparison.Ordinal)).ToDictionary(f => f, File.ReadAllBytes);

    [Test]
    public void A_store_of_one_chain_chain_opened_for_another_is_refused_without_changing_a_file()
    {
        var blocks = TestBlocks.Make(1, 100, 200, 300);
        TestBlocks.Write(_directory.Path, blocks, For(ChainA));
        var before = Files();

        var error = Assert.Throws<BlockStoreGenesisMismatchException>(() => FileBlockStore.Open(_directory.Path, For(ChainB)).Dispose());

        Assert.That((error!.Expected, error.Found, error.Directory), Is.EqualTo((ChainB, (Hash256?)ChainA, _directory.Path)));
        Assert.That(Files(), Is.EqualTo(before));
        using var store = FileBlockStore.Open(_directory.Path, For(ChainA));
        TestBlocks.AssertContents(store, blocks);
        Assert.That(store.GenesisHash, Is.EqualTo(ChainA));
    }

    [Test]
    public void Blocks_mined_under_one_genesis_are_not_replayed_under_another()
    {
        var first = new TestLedger();
        var second = new TestLedger(configure: g => g with { TimestampMs = g.TimestampMs + 1 });
        Assert.That(Blockchain.GenesisHash(second.Genesis), Is.Not.EqualTo(Blockchain.GenesisHash(first.Genesis)));

        using (var store = FileBlockStore.Open(_directory.Path, For(Blockchain.GenesisHash(first.Genesis))))
        {
            var chain = first.NewChain(store);
            first.Extend(chain, chain.Tip, 3);
        }

        var error = Assert.Throws<BlockStoreGenesisMismatchException>(
            () => FileBlockStore.Open(_directory.Path, For(Blockchain.GenesisHash(second.Genesis))).Dispose());
        Assert.That(error!.Found, Is.EqualTo(Blockchain.GenesisHash(first.Genesis)));
    }

    [Test]
    public void A_new_store_writes_the_documented_manifest()
    {
        using (FileBlockStore.Open(_directory.Path, For(ChainA)))
        {
        }

        var bytes = File.ReadAllBytes(ManifestPath);
        Assert.That(bytes, Has.Length.EqualTo(52));
        Assert.That(bytes[..8], Is.EqualTo("HLBLKMAN"u8.ToArray()));
        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)), Is.EqualTo(1u), "version");
        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12)), Is.Zero, "reserved");
        Assert.That(new Hash256(bytes.AsSpan(16, 32)), Is.EqualTo(ChainA));
        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(48)), Is.EqualTo(Crc32C.Compute(bytes.AsSpan(0, 48))));
        Assert.That(File.Exists(ManifestPath + ".tmp"), Is.False);
    }

    [Test]
    public void Without_an_expected_hash_a_store_reports_its_manifest_and_writes_none()
    {
        using (var fresh = FileBlockStore.Open(_directory.Path))
        {
            Assert.That(fresh.GenesisHash, Is.Null);
        }

        Assert.That(File.Exists(ManifestPath), Is.False);
        using (FileBlockStore.Open(_directory.Path, For(ChainA)))
        {
        }

        using var reopened = FileBlockStore.Open(_directory.Path);
        Assert.That(reopened.GenesisHash, Is.EqualTo(ChainA));
    }

    [Test]
    public void A_store_with_blocks_but_no_manifest_is_refused_unless_adopted()
    {
        var blocks = TestBlocks.Make(2, 100, 200);
        TestBlocks.Write(_directory.Path, blocks);

        var error = Assert.Throws<BlockStoreGenesisMismatchException>(() => FileBlockStore.Open(_directory.Path, For(ChainA)).Dispose());
        Assert.That((error!.Expected, error.Found), Is.EqualTo((ChainA, (Hash256?)null)));
        Assert.That(File.Exists(ManifestPath), Is.False);

        using (var adopted = FileBlockStore.Open(_directory.Path, For(ChainA, adopt: true)))
        {
            Assert.That(adopted.GenesisHash, Is.EqualTo(ChainA));
            TestBlocks.AssertContents(adopted, blocks);
        }

        Assert.That(
            Assert.Throws<BlockStoreGenesisMismatchException>(() => FileBlockStore.Open(_directory.Path, For(ChainB, adopt: true)).Dispose())!.Found,
            Is.EqualTo(ChainA),
            "adoption applies only to a store without a manifest");
    }

    [Test]
    public void An_empty_store_without_a_manifest_is_adopted()
    {
        using (FileBlockStore.Open(_directory.Path))
        {
        }

        using var store = FileBlockStore.Open(_directory.Path, For(ChainB));
        Assert.That(store.GenesisHash, Is.EqualTo(ChainB));
    }

    [Test]
    public void A_leftover_temporary_manifest_is_replaced()
    {
        File.WriteAllBytes(ManifestPath + ".tmp", [1, 2, 3]);
        using var store = FileBlockStore.Open(_directory.Path, For(ChainA));
        Assert.That(store.GenesisHash, Is.EqualTo(ChainA));
        Assert.That(File.Exists(ManifestPath + ".tmp"), Is.False);
    }

    [TestCase(0, TestName = "magic")]
    [TestCase(8, TestName = "version")]
    [TestCase(12, TestName = "reserved")]
    [TestCase(20, TestName = "genesis hash")]
    [TestCase(50, TestName = "checksum")]
    public void A_manifest_with_a_flipped_byte_is_refused_as_bad(int offset)
    {
        using (FileBlockStore.Open(_directory.Path, For(ChainA)))
        {
        }

        var bytes = File.ReadAllBytes(ManifestPath);
        bytes[offset] ^= 0x01;
        File.WriteAllBytes(ManifestPath, bytes);

        var error = Assert.Throws<BlockStoreCorruptedException>(() => FileBlockStore.Open(_directory.Path, For(ChainA)).Dispose());
        Assert.That(error!.Damage, Is.EqualTo(BlockStoreDamage.BadManifest));
    }

    [TestCase(0)]
    [TestCase(51)]
    [TestCase(53)]
    public void A_manifest_of_the_wrong_size_is_refused_as_bad(int size)
    {
        File.WriteAllBytes(ManifestPath, new byte[size]);
        var error = Assert.Throws<BlockStoreCorruptedException>(() => FileBlockStore.Open(_directory.Path).Dispose());
        Assert.That(error!.Damage, Is.EqualTo(BlockStoreDamage.BadManifest));
    }
}
