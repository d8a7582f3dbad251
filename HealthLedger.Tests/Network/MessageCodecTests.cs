using HealthLedger.Core.Crypto;
using HealthLedger.Core.Encoding;
using HealthLedger.Core.Network;

namespace HealthLedger.Tests.Network;

[TestFixture]
public sealed class MessageCodecTests
{
    private static readonly NetworkMessage[] Samples =
    [
        new HelloMessage(1, 7, Hash256.Sha256("g"u8), 42, Hash256.Sha256("t"u8), 0xFEEDu),
        new PingMessage(ulong.MaxValue),
        new PongMessage(3),
        new GetBlocksMessage([Hash256.Sha256("a"u8), Hash256.Sha256("b"u8)], 200),
        new BlocksMessage([[1, 2, 3], [4]]),
        new NewBlockMessage([9, 9, 9]),
        new NewTransactionMessage([7]),
        new RejectMessage(309, Hash256.Sha256("x"u8), "insufficient work"),
        new GetHeadersMessage([Hash256.Sha256("h"u8)], 2000),
        new HeadersMessage([[1, 2], [3]]),
        new GetBlockDataMessage([Hash256.Sha256("d"u8), Hash256.Sha256("e"u8)]),
        new BlockDataMessage([[5, 6, 7]]),
    ];

    [Test]
    public void Every_message_type_round_trips_to_the_same_bytes()
    {
        foreach (var m in Samples)
        {
            var frame = MessageCodec.EncodeFrame(m);
            var back = new FrameReader().Feed(frame).Single();
            Assert.That(MessageCodec.EncodeFrame(back), Is.EqualTo(frame), m.Type.ToString());
        }
    }

    [Test]
    public void Frames_split_at_every_byte_boundary_reassemble()
    {
        var stream = Samples.SelectMany(MessageCodec.EncodeFrame).ToArray();
        for (var cut = 1; cut < stream.Length; cut += 3)
        {
            var reader = new FrameReader();
            var got = reader.Feed(stream.AsSpan(0, cut)).Concat(reader.Feed(stream.AsSpan(cut))).ToList();
            Assert.That(got.Select(m => m.Type), Is.EqualTo(Samples.Select(m => m.Type)), $"cut at {cut}");
            Assert.That(reader.Buffered, Is.Zero);
        }
    }

    [Test]
    public void An_oversized_length_prefix_is_refused_before_any_body_arrives()
    {
        var reader = new FrameReader(maxBodyBytes: 1024);
        var ex = Assert.Throws<LedgerFormatException>(() => reader.Feed(new byte[] { 0x01, 0x04, 0x00, 0x00 }));
        Assert.That(ex!.Field, Is.EqualTo("frame"));
    }

    [TestCase(new byte[] { 0x91, 0x63 }, TestName = "Unknown_message_type_is_refused")]
    [TestCase(new byte[] { 0x93, 0x04, 0x90, 0xcd, 0x03, 0xe8 }, TestName = "GetBlocks_asking_for_too_many_is_refused")]
    [TestCase(new byte[] { 0x92, 0x05, 0xdd, 0x00, 0x00, 0x01, 0xf4 }, TestName = "A_batch_count_the_bytes_cannot_hold_is_refused")]
    [TestCase(new byte[] { 0x92, 0x02, 0xcf, 0, 0, 0, 0, 0, 0, 0, 5 }, TestName = "A_non_minimal_integer_is_refused")]
    [TestCase(new byte[] { 0x93, 0x09, 0x90, 0xcd, 0x07, 0xd1 }, TestName = "GetHeaders_asking_for_more_than_2000_is_refused")]
    [TestCase(new byte[] { 0x92, 0x0a, 0xdc, 0x07, 0xd1 }, TestName = "A_headers_batch_over_2000_is_refused_before_allocation")]
    [TestCase(new byte[] { 0x92, 0x0b, 0x90 }, TestName = "GetBlockData_with_no_hash_is_refused")]
    [TestCase(new byte[] { 0x92, 0x0c, 0xdc, 0x00, 0x81 }, TestName = "A_block_data_batch_over_128_is_refused")]
    public void Bad_bodies_are_refused(byte[] body) =>
        Assert.Throws<LedgerFormatException>(() => MessageCodec.DecodeBody(body));

    [Test]
    [Category("Slow")]
    public void Mutated_frames_only_ever_raise_the_format_error()
    {
        var rng = new Random(7);
        var frames = Samples.Select(MessageCodec.EncodeFrame).ToArray();
        var refused = 0;
        for (var i = 0; i < 50_000; i++)
        {
            var f = (byte[])frames[rng.Next(frames.Length)].Clone();
            for (var k = rng.Next(1, 4); k > 0; k--)
            {
                f[rng.Next(f.Length)] = (byte)rng.Next(256);
            }

            try
            {
                new FrameReader(maxBodyBytes: 1 << 20).Feed(f);
            }
            catch (LedgerFormatException)
            {
                refused++;
            }
        }

        Assert.That(refused, Is.GreaterThan(10_000));
    }
}
