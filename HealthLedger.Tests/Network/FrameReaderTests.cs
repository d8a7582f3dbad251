using System.Buffers.Binary;
using HealthLedger.Core.Encoding;
using HealthLedger.Core.Network;

namespace HealthLedger.Tests.Network;

[TestFixture]
public sealed class FrameReaderTests
{
    private const int Chunk = 64 * 1024;

    private static List<NetworkMessage> FeedInChunks(FrameReader reader, byte[] stream)
    {
        var result = new List<NetworkMessage>();
        for (var offset = 0; offset < stream.Length; offset += Chunk)
        {
            result.AddRange(reader.Feed(stream.AsSpan(offset, Math.Min(Chunk, stream.Length - offset))));
        }

        return result;
    }

    [Test]
    public void A_16_MiB_frame_costs_the_reader_no_more_than_the_message_it_returns_and_no_buffer_outlives_it()
    {
        var blocks = Enumerable.Range(0, 4).Select(i =>
        {
            var b = new byte[(4 * 1024 * 1024) - 64];
            b.AsSpan().Fill((byte)(i + 1));
            return b;
        }).ToArray();
        var frame = MessageCodec.EncodeFrame(new BlocksMessage(blocks));
        Assume.That(frame.Length, Is.InRange(MessageCodec.MaxBodyBytes - 1024, MessageCodec.MaxBodyBytes + MessageCodec.PrefixSize));
        using var reader = new FrameReader();
        FeedInChunks(reader, frame); // the first frame of this size fills the shared pool

        var before = GC.GetAllocatedBytesForCurrentThread();
        var messages = FeedInChunks(reader, frame);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        var content = blocks.Sum(b => (long)b.Length);
        TestContext.Out.WriteLine($"frame {frame.Length:N0} B, decoded content {content:N0} B, reader allocation {allocated:N0} B");
        Assert.That(allocated, Is.LessThanOrEqualTo(content + Chunk), "the decoded blocks plus a small constant: no growing buffer, no re-encoding copy");
        var decoded = ((BlocksMessage)messages.Single()).EncodedBlocks;
        Assert.That(decoded.Zip(blocks).All(p => p.First.AsSpan().SequenceEqual(p.Second)), Is.True);
        Assert.That((reader.Buffered, reader.HeldBytes), Is.EqualTo((0, 0)), "nothing is kept between frames");
    }

    [Test]
    public void A_peer_that_declares_a_large_frame_and_trickles_it_makes_the_reader_hold_only_what_it_sent()
    {
        var frame = MessageCodec.EncodeFrame(new NewBlockMessage(new byte[8 * 1024 * 1024]));
        using var reader = new FrameReader();

        Assert.That(reader.Feed(frame.AsSpan(0, 3)), Is.Empty);
        Assert.That(reader.HeldBytes, Is.Zero, "nothing is rented before the length is known");
        Assert.That(reader.Feed(frame.AsSpan(3, 100)), Is.Empty);
        Assert.That(reader.Buffered, Is.EqualTo(103));
        Assert.That(reader.HeldBytes, Is.EqualTo(FrameReader.InitialBodyBuffer), "8 MiB declared, 99 body bytes sent: 64 KiB held");

        var offset = 103;
        foreach (var upTo in new[] { 100_000, 1_000_000, 3_000_000 })
        {
            Assert.That(reader.Feed(frame.AsSpan(offset, upTo - offset)), Is.Empty);
            offset = upTo;
            Assert.That(reader.HeldBytes, Is.LessThanOrEqualTo(4 * upTo), $"after {upTo} bytes");
        }

        Assert.That(reader.Feed(frame.AsSpan(offset)), Has.Count.EqualTo(1));
        Assert.That(reader.HeldBytes, Is.Zero);
    }

    [Test]
    public void A_body_that_does_not_decode_releases_the_buffer_and_resets_the_reader()
    {
        var bad = new byte[MessageCodec.PrefixSize + 5];
        BinaryPrimitives.WriteUInt32LittleEndian(bad, 5);
        bad.AsSpan(MessageCodec.PrefixSize).Fill(0xc1);
        using var reader = new FrameReader();

        Assert.Throws<LedgerFormatException>(() => reader.Feed(bad));
        Assert.That((reader.Buffered, reader.HeldBytes), Is.EqualTo((0, 0)));
        Assert.That(reader.Feed(MessageCodec.EncodeFrame(new PingMessage(1))).Single(), Is.EqualTo(new PingMessage(1)));
    }

    [Test]
    public void An_empty_body_is_refused()
    {
        using var reader = new FrameReader();
        Assert.Throws<LedgerFormatException>(() => reader.Feed(new byte[MessageCodec.PrefixSize]));
    }
}
