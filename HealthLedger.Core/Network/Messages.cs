using HealthLedger.Core.Blocks;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Encoding;
using HealthLedger.Core.Transactions;

namespace HealthLedger.Core.Network;

/// <summary>Message type tags on the wire. Numbers are part of the protocol.</summary>
public enum MessageType : byte
{
    /// <summary>Handshake: chain, genesis and tip.</summary>
    Hello = 1,
    /// <summary>Liveness probe.</summary>
    Ping = 2,
    /// <summary>Answer to a ping.</summary>
    Pong = 3,
    /// <summary>Ask for blocks after the first locator hash the peer knows.</summary>
    GetBlocks = 4,
    /// <summary>A batch of encoded blocks, parents first.</summary>
    Blocks = 5,
    /// <summary>A newly mined or relayed block.</summary>
    NewBlock = 6,
    /// <summary>A newly submitted or relayed transaction.</summary>
    NewTransaction = 7,
    /// <summary>The sender refused something we sent.</summary>
    Reject = 8,
    /// <summary>Ask for the headers after the first locator hash the peer knows (headers-first sync).</summary>
    GetHeaders = 9,
    /// <summary>A batch of encoded headers, parents first, each the child of the one before.</summary>
    Headers = 10,
    /// <summary>Ask for blocks by hash (the block download of headers-first sync).</summary>
    GetBlockData = 11,
    /// <summary>The blocks of a <see cref="GetBlockData"/> request the sender has, in request order, capped in bytes.</summary>
    BlockData = 12,
}

/// <summary>A peer-to-peer message. Immutable; blocks and transactions travel as their canonical encodings.</summary>
public abstract record NetworkMessage
{
    private protected NetworkMessage()
    {
    }

    /// <summary>The wire tag.</summary>
    public abstract MessageType Type { get; }
}

/// <summary>
/// Handshake, the first message each side sends. Until a peer's hello has been checked nothing else it sends is
/// processed. It binds the protocol version, the chain id and the genesis hash (a mismatch is refused with a typed
/// reject and the link is closed).
/// </summary>
/// <param name="ProtocolVersion">Protocol version (1).</param>
/// <param name="ChainId">Chain id.</param>
/// <param name="GenesisHash">Genesis block hash: peers on another genesis are refused.</param>
/// <param name="Height">Sender's best height (a claim: used only to decide whether to ask for blocks).</param>
/// <param name="TipHash">Sender's tip (a claim, like the height).</param>
/// <param name="Nonce">
/// A random number drawn per connection: a node that receives its own nonce is talking to itself and refuses; the
/// authenticated handshake will have each side sign the other's nonce (a challenge), so a signature cannot be replayed.
/// </param>
public sealed record HelloMessage(uint ProtocolVersion, uint ChainId, Hash256 GenesisHash, ulong Height, Hash256 TipHash, ulong Nonce) : NetworkMessage, IMessageFields<HelloMessage>
{
    /// <summary>
    /// Reserved for peer authentication (node key and signature, at most 256 bytes). Protocol version 1 sends it empty
    /// and ignores its content; it is part of the canonical encoding so adding authentication changes no other field.
    /// </summary>
    public ReadOnlyMemory<byte> NodeAuth { get; init; } = ReadOnlyMemory<byte>.Empty;

    static HelloMessage IMessageFields<HelloMessage>.Fields<V>(ref V v, HelloMessage m)
    {
        var version = v.U32("version", m.ProtocolVersion);
        var chainId = v.U32("chainId", m.ChainId);
        var genesis = v.Hash("genesis", m.GenesisHash);
        var height = v.U64("height", m.Height);
        var tip = v.Hash("tip", m.TipHash);
        var nonce = v.U64("nonce", m.Nonce);
        var nodeAuth = v.Bin("nodeAuth", MessageCodec.MaxNodeAuthBytes, m.NodeAuth);
        return V.Reads ? new(version, chainId, genesis, height, tip, nonce) { NodeAuth = nodeAuth } : m;
    }

    /// <inheritdoc />
    public override MessageType Type => MessageType.Hello;
}

/// <summary>Liveness probe.</summary>
/// <param name="Nonce">Echoed in the pong.</param>
public sealed record PingMessage(ulong Nonce) : NetworkMessage, IMessageFields<PingMessage>
{
    static PingMessage IMessageFields<PingMessage>.Fields<V>(ref V v, PingMessage m)
    {
        var nonce = v.U64("nonce", m.Nonce);
        return V.Reads ? new(nonce) : m;
    }

    /// <inheritdoc />
    public override MessageType Type => MessageType.Ping;
}

/// <summary>Answer to a ping.</summary>
/// <param name="Nonce">The ping's nonce.</param>
public sealed record PongMessage(ulong Nonce) : NetworkMessage, IMessageFields<PongMessage>
{
    static PongMessage IMessageFields<PongMessage>.Fields<V>(ref V v, PongMessage m)
    {
        var nonce = v.U64("nonce", m.Nonce);
        return V.Reads ? new(nonce) : m;
    }

    /// <inheritdoc />
    public override MessageType Type => MessageType.Pong;
}

/// <summary>Ask for the blocks after the first hash of <paramref name="Locator"/> the receiver has on its best chain.</summary>
/// <param name="Locator">Tip first, exponentially spaced, genesis last (at most 64 hashes).</param>
/// <param name="MaxBlocks">Most blocks wanted.</param>
public sealed record GetBlocksMessage(IReadOnlyList<Hash256> Locator, int MaxBlocks) : NetworkMessage, IMessageFields<GetBlocksMessage>
{
    /// <summary>Largest locator accepted.</summary>
    public const int MaxLocator = 64;

    static GetBlocksMessage IMessageFields<GetBlocksMessage>.Fields<V>(ref V v, GetBlocksMessage m)
    {
        var locator = v.Hashes("locator", 0, MaxLocator, m.Locator);
        var maxBlocks = v.I32("maxBlocks", 1, BlocksMessage.MaxBlocks, m.MaxBlocks);
        return V.Reads ? new(locator, maxBlocks) : m;
    }

    /// <inheritdoc />
    public override MessageType Type => MessageType.GetBlocks;
}

/// <summary>A batch of encoded blocks, parents first.</summary>
/// <param name="EncodedBlocks">Canonical block encodings.</param>
public sealed record BlocksMessage(IReadOnlyList<byte[]> EncodedBlocks) : NetworkMessage, IMessageFields<BlocksMessage>
{
    /// <summary>Largest batch.</summary>
    public const int MaxBlocks = 500;

    static BlocksMessage IMessageFields<BlocksMessage>.Fields<V>(ref V v, BlocksMessage m)
    {
        var blocks = v.Bins("blocks", MaxBlocks, Block.MaxEncodedBytes, m.EncodedBlocks);
        return V.Reads ? new(blocks) : m;
    }

    /// <inheritdoc />
    public override MessageType Type => MessageType.Blocks;
}

/// <summary>A new block.</summary>
/// <param name="EncodedBlock">Canonical block encoding.</param>
public sealed record NewBlockMessage(byte[] EncodedBlock) : NetworkMessage, IMessageFields<NewBlockMessage>
{
    static NewBlockMessage IMessageFields<NewBlockMessage>.Fields<V>(ref V v, NewBlockMessage m)
    {
        var block = v.Bin("block", Block.MaxEncodedBytes, m.EncodedBlock);
        return V.Reads ? new(block) : m;
    }

    /// <inheritdoc />
    public override MessageType Type => MessageType.NewBlock;
}

/// <summary>A new transaction.</summary>
/// <param name="EncodedTransaction">Canonical transaction encoding.</param>
public sealed record NewTransactionMessage(byte[] EncodedTransaction) : NetworkMessage, IMessageFields<NewTransactionMessage>
{
    static NewTransactionMessage IMessageFields<NewTransactionMessage>.Fields<V>(ref V v, NewTransactionMessage m)
    {
        var transaction = v.Bin("transaction", Transaction.MaxEncodedBytes, m.EncodedTransaction);
        return V.Reads ? new(transaction) : m;
    }

    /// <inheritdoc />
    public override MessageType Type => MessageType.NewTransaction;
}

/// <summary>A refusal, with the typed rejection code.</summary>
/// <param name="Code">The <see cref="Validation.RejectionCode"/> number.</param>
/// <param name="Subject">Hash of what was refused (zero if none).</param>
/// <param name="Reason">Human-readable reason (at most 256 bytes).</param>
public sealed record RejectMessage(ushort Code, Hash256 Subject, string Reason) : NetworkMessage, IMessageFields<RejectMessage>
{
    static RejectMessage IMessageFields<RejectMessage>.Fields<V>(ref V v, RejectMessage m)
    {
        var code = v.U16("code", m.Code);
        var subject = v.Hash("subject", m.Subject);
        var reason = v.Str("reason", MessageCodec.MaxReasonBytes, m.Reason);
        return V.Reads ? new(code, subject, reason) : m;
    }

    /// <inheritdoc />
    public override MessageType Type => MessageType.Reject;
}

/// <summary>Ask for the best-chain headers after the first hash of <paramref name="Locator"/> the receiver has on its best chain.</summary>
/// <param name="Locator">Hashes, newest first (at most <see cref="GetBlocksMessage.MaxLocator"/>).</param>
/// <param name="MaxHeaders">Most headers wanted (1..<see cref="HeadersMessage.MaxHeaders"/>).</param>
public sealed record GetHeadersMessage(IReadOnlyList<Hash256> Locator, int MaxHeaders) : NetworkMessage, IMessageFields<GetHeadersMessage>
{
    static GetHeadersMessage IMessageFields<GetHeadersMessage>.Fields<V>(ref V v, GetHeadersMessage m)
    {
        var locator = v.Hashes("locator", 0, GetBlocksMessage.MaxLocator, m.Locator);
        var maxHeaders = v.I32("maxHeaders", 1, HeadersMessage.MaxHeaders, m.MaxHeaders);
        return V.Reads ? new(locator, maxHeaders) : m;
    }

    /// <inheritdoc />
    public override MessageType Type => MessageType.GetHeaders;
}

/// <summary>Headers, parents first: the first one's parent is on the requester's locator, each next is the child of the one before.</summary>
/// <param name="EncodedHeaders">Canonical header encodings (each at most <see cref="Blocks.HeaderCodec.MaxEncodedBytes"/> bytes).</param>
public sealed record HeadersMessage(IReadOnlyList<byte[]> EncodedHeaders) : NetworkMessage, IMessageFields<HeadersMessage>
{
    /// <summary>Largest batch (2,000 headers of at most 512 bytes: a body of at most about 1 MiB).</summary>
    public const int MaxHeaders = 2_000;

    static HeadersMessage IMessageFields<HeadersMessage>.Fields<V>(ref V v, HeadersMessage m)
    {
        var headers = v.Bins("headers", MaxHeaders, HeaderCodec.MaxEncodedBytes, m.EncodedHeaders);
        return V.Reads ? new(headers) : m;
    }

    /// <inheritdoc />
    public override MessageType Type => MessageType.Headers;
}

/// <summary>Ask for blocks by hash.</summary>
/// <param name="Hashes">Block hashes (1..<see cref="MaxHashes"/>), lowest height first.</param>
public sealed record GetBlockDataMessage(IReadOnlyList<Hash256> Hashes) : NetworkMessage, IMessageFields<GetBlockDataMessage>
{
    /// <summary>Most hashes per request: also the most blocks one peer has in flight from us.</summary>
    public const int MaxHashes = 128;

    static GetBlockDataMessage IMessageFields<GetBlockDataMessage>.Fields<V>(ref V v, GetBlockDataMessage m)
    {
        var hashes = v.Hashes("hashes", 1, MaxHashes, m.Hashes);
        return V.Reads ? new(hashes) : m;
    }

    /// <inheritdoc />
    public override MessageType Type => MessageType.GetBlockData;
}

/// <summary>
/// The requested blocks the sender has, in request order, stopping before the body exceeds the sender's response
/// budget (but at least one block). A requested block absent from the answer was not served: ask another peer.
/// </summary>
/// <param name="EncodedBlocks">Canonical block encodings.</param>
public sealed record BlockDataMessage(IReadOnlyList<byte[]> EncodedBlocks) : NetworkMessage, IMessageFields<BlockDataMessage>
{
    static BlockDataMessage IMessageFields<BlockDataMessage>.Fields<V>(ref V v, BlockDataMessage m)
    {
        var blocks = v.Bins("blocks", GetBlockDataMessage.MaxHashes, Block.MaxEncodedBytes, m.EncodedBlocks);
        return V.Reads ? new(blocks) : m;
    }

    /// <inheritdoc />
    public override MessageType Type => MessageType.BlockData;
}
