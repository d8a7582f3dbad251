using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Network;
using HealthLedger.Core.Transactions;

namespace HealthLedger.Tests.Core;

/// <summary>
/// One fixed instance of every payload kind and every message type, with field values that exercise each MessagePack
/// integer width and every limit kind. Their bytes are pinned in <see cref="LayoutVectorTests"/> (taken from the
/// hand-written codecs before the layouts were described once); only public API is used.
/// </summary>
internal static class LayoutSamples
{
    private static readonly Hash256 H1 = Hash256.Sha256("one"u8);
    private static readonly Hash256 H2 = Hash256.Sha256("two"u8);
    private static readonly KeyPair Signer = KeyPair.FromLabel("encoder");
    private static readonly KeyPair Other = KeyPair.FromLabel("other");

    public static IEnumerable<(string Name, Transaction Transaction)> Transactions()
    {
        var payloads = new TransactionPayload[]
        {
            new NodeRegistration(Other.PublicKey, NodeRoles.All, "clinic-ä"),
            new NodeRevocation(Other.Address),
            new PatientRegistration(H1),
            new DeviceRegistration(Other.PublicKey, Signer.Address, DeviceClass.HomeSensor, Other.Sign("pop"u8.ToArray())),
            new DeviceRevocation(Other.Address),
            new RecordAnchor("bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi", H1, RecordType.Ecg, 1_800_000_000_123),
            new AccessGrant(Other.Address, RecordScope.Vitals | RecordScope.Lab, 4_102_444_800_000),
            new AccessRevoke(Other.Address, RecordScope.All),
            new Attestation(H1, 70_000, H2, 200),
            new MisbehaviourEvidence(EvidenceKind.ConflictingHeaders, [1, 2, 3], Enumerable.Range(0, 300).Select(i => (byte)i).ToArray()),
            new IntrusionReport(Other.Address, 1_700_000_000_000, 9_999, H2),
            new KeyRelease(H1, Other.Address, 1_800_000_000_123, 5_000_000_000, H2),
        };
        return payloads.Select(p => (p.Kind.ToString(), Transaction.Create(Signer, 7, p is Attestation ? 0UL : 300UL, 1_800_000_000_456, p)));
    }

    public static IEnumerable<(string Name, NetworkMessage Message)> Messages()
    {
        NetworkMessage[] messages =
        [
            new HelloMessage(1, 70_000, H1, 5_000_000_000, H2, ulong.MaxValue) { NodeAuth = new byte[] { 1, 2, 3 } },
            new PingMessage(5),
            new PongMessage(300),
            new GetBlocksMessage([H1, H2], 500),
            new BlocksMessage([[1, 2], Enumerable.Repeat((byte)7, 260).ToArray()]),
            new NewBlockMessage([9, 9, 9]),
            new NewTransactionMessage([8]),
            new RejectMessage(405, H1, "too large ✓"),
            new GetHeadersMessage([H2], 2_000),
            new HeadersMessage([[1], [2, 3]]),
            new GetBlockDataMessage([H1, H2]),
            new BlockDataMessage([[4, 5]]),
        ];
        return messages.Select(m => (m.Type.ToString(), m));
    }
}
