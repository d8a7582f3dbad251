using HealthLedger.Core.Crypto;

namespace HealthLedger.Testing.Builders;

/// <summary>
/// Builds an Ed25519 <see cref="KeyPair"/> derived from a label (<see cref="KeyPair.FromLabel"/>), so a test names its
/// actors and gets the same keys every run. Not thread-safe (one builder per test).
/// </summary>
public sealed class KeyPairBuilder
{
    private string _label = "test-key";

    /// <summary>Derives the key from <paramref name="label"/> (e.g. "patient", "validator-0").</summary>
    public KeyPairBuilder Labelled(string label)
    {
        ArgumentException.ThrowIfNullOrEmpty(label);
        _label = label;
        return this;
    }

    /// <summary>The key pair; the caller disposes it.</summary>
    public KeyPair TestObject => KeyPair.FromLabel(_label);
}
