using System.Security.Authentication;
using System.Security.Cryptography;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Network;
using HealthLedger.Core.Transactions;
using HealthLedger.Network.Transport.Tls;

namespace HealthLedger.Tests.Network.Tls;

/// <summary>Hostile peers over real TLS: each attack is refused or banned by node key while the honest nodes carry on.</summary>
[TestFixture]
[Category("Slow")]
public sealed class TlsHostilePeerTests
{
    private static readonly KeyPair[] Rogues = [.. Enumerable.Range(0, 8).Select(i => KeyPair.FromLabel($"rogue-{i}"))];
    private static readonly GossipOptions Options = new() { IdleTimeout = TimeSpan.FromSeconds(30) };

    [Test]
    public async Task Hostile_peers_are_refused_or_banned_by_node_key_while_honest_nodes_carry_on()
    {
        await using var c = await TlsCluster.StartAsync(3, options: Options, alsoAdmit: Rogues.Select(r => r.PublicKey));
        var target = c.Gossip[0]!;
        await c.MineAsync(1);

        // Garbage bytes (not a frame that decodes).
        using (var garbage = await Attacker.ConnectAsync(c, Rogues[0]))
        {
            garbage.Raw([0x10, 0x00, 0x00, 0x00, .. Enumerable.Repeat((byte)0xC1, 16)]); // 0xC1 is never valid MessagePack
            await garbage.ClosedAsync(c, "garbage");
        }

        // An oversized frame: a length prefix beyond 16 MiB is refused before any body is read.
        using (var oversized = await Attacker.ConnectAsync(c, Rogues[1]))
        {
            oversized.Raw([0xFF, 0xFF, 0xFF, 0x7F]);
            await oversized.ClosedAsync(c, "oversized frame");
        }

        // A block whose seal signature is forged (its hash and work are genuine).
        using (var forgedSeal = await Attacker.ConnectAsync(c, Rogues[2]))
        {
            var genuine = c.SealDetached(1);
            var forged = new Block(genuine.Header.WithSeal(new Signature(RandomNumberGenerator.GetBytes(Signature.Length))), genuine.Transactions);
            forgedSeal.Send(new NewBlockMessage(forged.Encode().ToArray()));
            await forgedSeal.ClosedAsync(c, "forged seal");
        }

        // Transactions with forged signatures.
        using (var forgedTx = await Attacker.ConnectAsync(c, Rogues[3]))
        {
            using var someone = KeyPair.FromLabel("someone");
            for (var i = 0; i < 3; i++)
            {
                var tx = Transaction.Create(someone, c.Net.Genesis.ChainId, (ulong)i, c.Net.Time.NowMs, new PatientRegistration(Hash256.Sha256([(byte)i])));
                var bytes = tx.Encode().ToArray();
                bytes[^5] ^= 0x55; // inside the signature
                forgedTx.Send(new NewTransactionMessage(bytes));
            }

            await forgedTx.ClosedAsync(c, "forged transaction signatures");
        }

        // A flood of pings.
        using (var flood = await Attacker.ConnectAsync(c, Rogues[4]))
        {
            for (var i = 0; i < 200 && flood.Link.IsOpen; i++)
            {
                flood.Send(new PingMessage((ulong)i));
            }

            await flood.ClosedAsync(c, "ping flood");
        }

        // A replayed handshake: the same hello again and again.
        using (var replay = await Attacker.ConnectAsync(c, Rogues[5]))
        {
            for (var i = 0; i < 12 && replay.Link.IsOpen; i++)
            {
                replay.Send(replay.Hello);
            }

            await replay.ClosedAsync(c, "replayed hello");
        }

        foreach (var rogue in Rogues.Take(6))
        {
            Assert.That(target.Bans.IsBanned(rogue.PublicKey.ToAddress().ToString(), out _), Is.True, $"{rogue.PublicKey.ToAddress()} banned by node key");
        }

        // Reconnecting after a ban: the TLS handshake succeeds (the key is admitted) but the node refuses it at once.
        using (var again = await Attacker.ConnectAsync(c, Rogues[0], sendHello: false))
        {
            await again.ClosedAsync(c, "banned reconnection");
            Assert.That(again.Received.OfType<RejectMessage>().Select(r => r.Code), Does.Contain((ushort)NetworkRejectCode.Banned));
        }

        // A key the node does not admit, and a peer that is not the node key it claims to be: refused at the TLS handshake.
        using var stranger = KeyPair.FromLabel("stranger");
        try
        {
            // Under TLS 1.3 the client may finish before the server has refused its certificate: then the server closes.
            using var link = await Transport(c, stranger).ConnectAsync(c.EndPoint(0), c.Net.Keys[0].PublicKey);
            var heard = false;
            link.Received += _ => heard = true;
            link.Start();
            await c.WaitUntilAsync(() => !link.IsOpen, "the unadmitted peer closed");
            Assert.That(heard, Is.False, "the node never spoke to an unadmitted key");
        }
        catch (Exception ex) when (ex is PeerAuthenticationException or AuthenticationException or IOException)
        {
            // refused during the handshake
        }

        var impostor = Assert.CatchAsync(() => Transport(c, Rogues[7]).ConnectAsync(c.EndPoint(0), c.Net.Keys[1].PublicKey));
        Assert.That(impostor, Is.InstanceOf<AuthenticationException>().Or.InstanceOf<PeerAuthenticationException>(), "node 0 cannot pass for node 1");

        // Slow loris: a frame announced and trickled, never completed. Honest blocks still flow meanwhile.
        using var loris = await Attacker.ConnectAsync(c, Rogues[6]);
        loris.Raw([0x00, 0x04, 0x00, 0x00, 0x92, 0x06]);
        var block = await c.MineAsync(2);
        await c.WaitUntilAsync(() => c.Chains.All(ch => ch.Tip.Hash == block.Hash), "an honest block reached everyone during the slow loris");
        for (var step = 0; step < 8 && loris.Link.IsOpen; step++)
        {
            c.Net.Time.Advance(TimeSpan.FromSeconds(5)); // honest links answer the keep-alive pings; the loris completes nothing
            await Task.Delay(400);
        }

        await loris.ClosedAsync(c, "slow loris");
        Assert.That(target.Bans.IsBanned(Rogues[6].PublicKey.ToAddress().ToString(), out _), Is.False, "an idle peer is dropped, not banned");

        // The honest mesh carried on through all of it.
        var last = await c.MineAsync(0);
        await c.WaitUntilAsync(() => c.Chains.All(ch => ch.Tip.Hash == last.Hash), "an honest block reached everyone at the end");
        Assert.That(c.Hosts[0]!.ConnectedPeers, Is.SupersetOf(new[] { c.Net.Keys[1].PublicKey, c.Net.Keys[2].PublicKey }));
    }

    private static TlsTransport Transport(TlsCluster c, KeyPair key) =>
        new(new TlsTransportOptions { NodeKey = key, ChainId = c.Net.Genesis.ChainId, HandshakeTimeout = TimeSpan.FromSeconds(10) });

    /// <summary>A rogue node over TLS to node 0: sends what the test writes, records what node 0 sends.</summary>
    private sealed class Attacker : IDisposable
    {
        private readonly FrameReader _reader = new();
        private readonly List<NetworkMessage> _received = [];
        private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private Attacker(TlsPeerLink link, HelloMessage hello)
        {
            Link = link;
            Hello = hello;
            link.Received += bytes =>
            {
                lock (_received)
                {
                    try
                    {
                        _received.AddRange(_reader.Feed(bytes.Span));
                    }
                    catch (HealthLedger.Core.Encoding.LedgerFormatException)
                    {
                        // not our concern here
                    }
                }
            };
            link.Closed += () => _closed.TrySetResult();
        }

        public TlsPeerLink Link { get; }

        public HelloMessage Hello { get; }

        public IReadOnlyList<NetworkMessage> Received
        {
            get
            {
                lock (_received)
                {
                    return [.. _received];
                }
            }
        }

        public static async Task<Attacker> ConnectAsync(TlsCluster c, KeyPair key, bool sendHello = true)
        {
            using var cts = new CancellationTokenSource(TlsCluster.Timeout);
            var link = await Transport(c, key).ConnectAsync(c.EndPoint(0), c.Net.Keys[0].PublicKey, cts.Token);
            var genesis = c.Chains[0].GenesisEntry.Hash;
            var attacker = new Attacker(link, new HelloMessage(1, c.Net.Genesis.ChainId, genesis, 0, genesis, (ulong)Random.Shared.NextInt64()));
            link.Start();
            if (sendHello)
            {
                attacker.Send(attacker.Hello);
                await c.WaitUntilAsync(() => attacker.Received.OfType<HelloMessage>().Any(), "the node's hello");
            }

            return attacker;
        }

        public void Send(NetworkMessage m) => Link.Send(MessageCodec.EncodeFrame(m));

        public void Raw(byte[] bytes) => Link.Send(bytes);

        public async Task ClosedAsync(TlsCluster c, string what)
        {
            try
            {
                await _closed.Task.WaitAsync(TlsCluster.Timeout);
            }
            catch (TimeoutException)
            {
                Assert.Fail($"node 0 did not drop the {what} peer within {TlsCluster.Timeout.TotalSeconds} s");
            }
        }

        public void Dispose()
        {
            Link.Dispose();
            _reader.Dispose();
        }
    }
}
