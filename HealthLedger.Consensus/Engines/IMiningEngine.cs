using System.Numerics;
using HealthLedger.Consensus.Sealing;
using HealthLedger.Core.Consensus;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Consensus.Engines;

/// <summary>A consensus engine that can also tell a miner which target to meet and make a sealer for its headers.</summary>
public interface IMiningEngine : IConsensusEngine
{
    /// <summary>
    /// The target a header mined by <paramref name="miner"/> on top of <paramref name="parent"/>'s tip must meet:
    /// the base target for PoW, the credit-weighted target for ePoW.
    /// </summary>
    BigInteger GetEffectiveTarget(PublicKey miner, IChainView parent);

    /// <summary>A sealer for this engine's headers, searching nonces with <paramref name="searcher"/> (scalar when null).</summary>
    ISealer CreateSealer(INonceSearcher? searcher = null);
}
