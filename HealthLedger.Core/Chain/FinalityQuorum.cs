namespace HealthLedger.Core.Chain;

/// <summary>The one place where the size of a finality quorum is decided (docs/consensus.md §5).</summary>
public static class FinalityQuorum
{
    /// <summary>
    /// Distinct votes a block needs to be justified: more than two thirds of the <paramref name="validators"/> active in
    /// its parent state (⌊2N/3⌋ + 1), and at least the block's own threshold k. The floor comes from the validator set,
    /// never from the miner; the miner may only demand more. With no validators a block can never be justified.
    /// </summary>
    /// <param name="validators">N, the validators active in the state before the block.</param>
    /// <param name="threshold">k, the threshold the block's header carries.</param>
    public static int Required(int validators, ushort threshold)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(validators);
        return Math.Max((2 * validators / 3) + 1, threshold);
    }
}
