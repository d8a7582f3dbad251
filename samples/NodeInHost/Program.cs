// A validator node in a .NET generic host: AddHealthLedgerNode registers a LedgerNode (chain on a crash-safe store,
// mempool, TLS peers, miner, finality votes) started and stopped with the host; the shipped intrusion detector gates
// what enters its mempool.
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;
using HealthLedger.Detection.Gate;
using HealthLedger.Detection.Runtime;
using HealthLedger.Node;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var dataDirectory = Path.Combine(Path.GetTempPath(), "healthledger-sample-" + Guid.NewGuid().ToString("N"));
using var authority = KeyPair.Generate();
using var nodeKey = KeyPair.Generate();
var genesis = new GenesisConfig
{
    ChainId = 42,
    TimestampMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 60_000,
    Authorities = [authority.PublicKey],
    InitialNodes = [new GenesisNode(nodeKey.PublicKey, NodeRoles.Validator, "hospital")],
    Engine = ConsensusEngineId.EnhancedProofOfWork,
    Consensus = new ConsensusParameters { InitialTargetBits = CompactTarget.FromDifficultyLevel(2), PowLimitBits = CompactTarget.FromDifficultyLevel(1), FixedDifficulty = true },
};
using var detector = OnnxIntrusionDetector.CreateDefault(TimeProvider.System);

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddHealthLedgerNode(new LedgerNodeOptions
{
    Genesis = genesis,
    NodeKey = nodeKey,
    DataDirectory = dataDirectory,
    Gates = [new DetectorAdmissionFilter(new DetectorGate(detector, TimeProvider.System))],
    MinBlockInterval = TimeSpan.FromMilliseconds(200),
});
using var host = builder.Build();
await host.StartAsync();
try
{
    var node = host.Services.GetRequiredService<LedgerNode>();
    using var patient = KeyPair.Generate();
    var tx = Transaction.Create(patient, genesis.ChainId, 0, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), new PatientRegistration(Hash256.Sha256("mrn-0002:salt"u8)));
    var admitted = await node.SubmitAsync(tx);
    Console.WriteLine($"admitted: {admitted.Accepted} ({admitted.Validation})");

    // The node mines on its own; wait (bounded) until the registration is in a block.
    var deadline = DateTime.UtcNow.AddSeconds(60);
    while (node.Chain.State.GetPatient(patient.Address) is null && DateTime.UtcNow < deadline)
    {
        await Task.Delay(100);
    }

    var registered = node.Chain.State.GetPatient(patient.Address) is not null;
    Console.WriteLine($"height {node.Chain.Height}, patient registered: {registered}");
    if (!admitted.Accepted || !registered)
    {
        throw new InvalidOperationException("the node did not mine the registration within 60 s");
    }
}
finally
{
    await host.StopAsync();
    Directory.Delete(dataDirectory, recursive: true);
}
