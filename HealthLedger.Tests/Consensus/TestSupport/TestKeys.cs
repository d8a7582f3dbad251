using System.Collections.Concurrent;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Tests.Consensus.TestSupport;

/// <summary>Deterministic key pairs by label, shared for the test run (never disposed: they are test keys).</summary>
internal static class TestKeys
{
    private static readonly ConcurrentDictionary<string, KeyPair> Keys = new(StringComparer.Ordinal);

    public static KeyPair Get(string label) => Keys.GetOrAdd(label, KeyPair.FromLabel);
}
