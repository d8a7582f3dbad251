using HealthLedger.Core.Crypto;
using HealthLedger.Records.Content;

namespace HealthLedger.Tests.Records.Content;

public sealed class CidPropertyTests
{
#pragma warning disable NUnit1027 // FsCheck supplies the arguments
    [FsCheck.NUnit.Property(MaxTest = 500)]
    public bool Any_cid_prints_to_text_that_parses_back_to_it(byte[] digestSeed, bool dagPb)
    {
        var cid = new Cid(dagPb ? CidCodec.DagPb : CidCodec.Raw, Hash256.Sha256(digestSeed ?? []));
        var text = cid.ToString();
        return text.Length == Cid.TextLength && Cid.TryParse(text, out var back) && back == cid && text.All(c => c is (>= 'a' and <= 'z') or (>= '2' and <= '7'));
    }

    [FsCheck.NUnit.Property(MaxTest = 2000)]
    public bool Arbitrary_text_parses_only_when_it_prints_back_identically(string text)
    {
        return !Cid.TryParse(text ?? string.Empty, out var cid) || cid.ToString() == text;
    }

    [FsCheck.NUnit.Property(MaxTest = 300)]
    public bool Changing_one_character_of_a_cid_never_yields_the_same_cid(byte[] digestSeed, int position, char replacement)
    {
        var cid = new Cid(CidCodec.Raw, Hash256.Sha256(digestSeed ?? []));
        var chars = cid.ToString().ToCharArray();
        var i = (int)((uint)position % (uint)chars.Length);
        if (chars[i] == replacement)
        {
            return true;
        }
        chars[i] = replacement;
        return !Cid.TryParse(new string(chars), out var other) || other != cid;
    }
#pragma warning restore NUnit1027
}
