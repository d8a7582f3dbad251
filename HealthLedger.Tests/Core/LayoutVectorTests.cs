using System.Text.RegularExpressions;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Encoding;
using HealthLedger.Core.Network;
using HealthLedger.Core.Transactions;

namespace HealthLedger.Tests.Core;

/// <summary>
/// The bytes of every payload kind and message type are pinned (signing hash and encoding of a transaction of each
/// kind, body of each message, all taken from the hand-written codecs at 48fff7c), and each layout description agrees
/// with its row in docs/format.md.
/// </summary>
[TestFixture]
public sealed class LayoutVectorTests
{
    private static readonly Dictionary<string, (string SigningHash, string Encoding)> PinnedTransactions = new()
    {
            ["NodeRegistration"] = ("9583c818f1be7e2775f38c56ea64241f522a269035bb09eabc6c95d44d83adee", "98010701c42086c4ebe47c148de6045198a43ed31b15f8724aa7098074feed8a4ef31ad1a2e6cd012ccf000001a3185c51c893c420e2096875c268a0993f20fa4b66e15ff651e9e55cd2c08dfbb24e1f4079c145ba07a9636c696e69632dc3a4c440ce9e56380ea5030f3793062d57098679897324902fa14f4235cc2f956964b9b419cb351bad95faa660ce3adb64fba16a4e198d2b0a6393edf0c4d48e663a9807"),
            ["NodeRevocation"] = ("7ffb738c84a76cf79103b66b5c92e5ba2d2f2cfa7cffb458680feccc17123560", "98010702c42086c4ebe47c148de6045198a43ed31b15f8724aa7098074feed8a4ef31ad1a2e6cd012ccf000001a3185c51c891c4144967013a13591244856a5fa3ecafadee8023d6e3c440bde03711e59aa5745bf1ff20751005faab6bbd56319c30a2a65b68fcc2d2240f73f6d727ef7e57dea585ffab0b09bcce80e9815ba454259344c719f105ce9e07"),
            ["PatientRegistration"] = ("3b6a11160bbc4e9a3b868ff29a7f3bbfc786f08e055a2a10298d0ced386f4c06", "98010703c42086c4ebe47c148de6045198a43ed31b15f8724aa7098074feed8a4ef31ad1a2e6cd012ccf000001a3185c51c891c4207692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431edc440db50ab230a1aa90d0c64104a8985dc8e1a12e9236a21755618a75b46d5d6b60364ea0c523da6d749edbfc42811a3c3cc1337c5f0447e6f63beafaaf417bbf907"),
            ["DeviceRegistration"] = ("f9f7c05fce378c657172e9005451cc27aa3e840e082b47259851a843a8b94449", "98010704c42086c4ebe47c148de6045198a43ed31b15f8724aa7098074feed8a4ef31ad1a2e6cd012ccf000001a3185c51c894c420e2096875c268a0993f20fa4b66e15ff651e9e55cd2c08dfbb24e1f4079c145bac414f0a72319957dae966a2bb192cb2ab6e3fba1799404c4405716d2796330ffff39993017a832e4e772bbaf6a132fa728365fade7f118e92724f88a52d96927d84b694e3e13c9af03f49ebacf02dc16740b245b55ddd3af0fc440ca1585b2d236af613bd745f8aeaa4204628a1fd534ca6ed3719c906b3ee7a0a8b9a7149b9b88c63f3651d41b5e9282ac0703f5c5527b4db2613d1363845ac303"),
            ["DeviceRevocation"] = ("a08fffa8dbd080fc45d8ffe429b39d9b17facf4efb1b64b4bf7cb633db09ee49", "98010705c42086c4ebe47c148de6045198a43ed31b15f8724aa7098074feed8a4ef31ad1a2e6cd012ccf000001a3185c51c891c4144967013a13591244856a5fa3ecafadee8023d6e3c4401d9e4b160625f148912527328bf04d2302ec55494f637cc136f2594f5e8bceac95b669fe0fa15a17391892091891e886bb233bdac75fcf041026a6dfdf915c0c"),
            ["RecordAnchor"] = ("d900699dec08651f14f523e1d11b83679621c0b565bed02cd5b13219ac10a178", "98010706c42086c4ebe47c148de6045198a43ed31b15f8724aa7098074feed8a4ef31ad1a2e6cd012ccf000001a3185c51c894d93b62616679626569676479727a74357366703775646d37687537367568377932366e6633656675796c71616266336f636c67747179353566627a6469c4207692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431ed02cf000001a3185c507bc440d0a759027909ede7660243187f76ec6b5b04d0912a54800fa283089cb82b37e67c8164f6bd1b646f9591c29187857c8cb42db4ab9f90629ebe97ad26c9655906"),
            ["AccessGrant"] = ("10f7dfd4a3c115a7240f9df89ac12c2911a7753955152181355688808007d91e", "98010707c42086c4ebe47c148de6045198a43ed31b15f8724aa7098074feed8a4ef31ad1a2e6cd012ccf000001a3185c51c893c4144967013a13591244856a5fa3ecafadee8023d6e321cf000003bb2cc3d800c440aa94c831e248cc95d8cf2ae0b2f745e91894079fb56fea2e0dc902096664bd4fb393e66cb3c402ce9924c6c594ab4d7156dd63d389e3d81e64556aa060844f0f"),
            ["AccessRevoke"] = ("287c8d63a81706ced582429291339bb23f65c92e64364c0bed9ce43c633770bf", "98010708c42086c4ebe47c148de6045198a43ed31b15f8724aa7098074feed8a4ef31ad1a2e6cd012ccf000001a3185c51c892c4144967013a13591244856a5fa3ecafadee8023d6e37fc4403bdb5e9b2aafa7e90923c505a778ea53802ac5500cea627466a10fa07dd881731d410184e7e4c18d3921b03ece27dccb3f7b4b4fd818e1649857215bf48f380c"),
            ["Attestation"] = ("6ca5d5743a6c319f85872834071a3f93d4349858b9c9e81caee16de6911820a0", "98010709c42086c4ebe47c148de6045198a43ed31b15f8724aa7098074feed8a4ef31ad1a2e600cf000001a3185c51c894c4207692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431edce00011170c4203fc4ccfe745870e2c0d99f71f30ff0656c8dedd41cc1d7d3d376b0dbe685e2f3ccc8c4407e76516317912fa77e0d788ed6840ee1bdc670135efaef3780ee16bb7308181a3cb71b1c5e1908312ff41f12c0add7021bed6fed2792ebb1af9f652d4080f700"),
            ["MisbehaviourEvidence"] = ("d8f1ce09b3c5d9652aa0fcc74537e3610c5f711a91c53fde1504dfe27e76407f", "9801070ac42086c4ebe47c148de6045198a43ed31b15f8724aa7098074feed8a4ef31ad1a2e6cd012ccf000001a3185c51c89301c403010203c5012c000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2bc4406f999ea5a927b423487a0c8c63846a33e00438a7523a6e3eee40cf3b2b629b04cf15ead24c3c3a5cacbe7853a2fad1b632f318e493629cdf083d0da83d61bb07"),
            ["IntrusionReport"] = ("8aa37701da6aa872a10e7273d0317db92c7a2a78426dec0980313e3048f5d943", "9801070bc42086c4ebe47c148de6045198a43ed31b15f8724aa7098074feed8a4ef31ad1a2e6cd012ccf000001a3185c51c894c4144967013a13591244856a5fa3ecafadee8023d6e3cf0000018bcfe56800cd270fc4203fc4ccfe745870e2c0d99f71f30ff0656c8dedd41cc1d7d3d376b0dbe685e2f3c44008576354fe020d1632e1e8ab5697d97faeeec03732257062496dcf605daf38d616db8a5fb0214cf93e2323a428f97305b350a5219b7ad6876e2df93bb20f750b"),
            ["KeyRelease"] = ("a0e13d5c53265513a0158017bb0591c37c30aca72e9cb5813d71bad6c0268bfe", "9801070cc42086c4ebe47c148de6045198a43ed31b15f8724aa7098074feed8a4ef31ad1a2e6cd012ccf000001a3185c51c895c4207692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431edc4144967013a13591244856a5fa3ecafadee8023d6e3cf000001a3185c507bcf000000012a05f200c4203fc4ccfe745870e2c0d99f71f30ff0656c8dedd41cc1d7d3d376b0dbe685e2f3c44097dfc6521ecd1bf6ac5291abcc986769f76c72b06ce085391a83d8c836d6cf705dbcb19072f80ffb8b9ae20fb34e5e5261ea7a23819661d9f9e6bd229e57b802"),
    };

    private static readonly Dictionary<string, string> PinnedMessages = new()
    {
            ["Hello"] = "980101ce00011170c4207692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431edcf000000012a05f200c4203fc4ccfe745870e2c0d99f71f30ff0656c8dedd41cc1d7d3d376b0dbe685e2f3cfffffffffffffffffc403010203",
            ["Ping"] = "920205",
            ["Pong"] = "9203cd012c",
            ["GetBlocks"] = "930492c4207692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431edc4203fc4ccfe745870e2c0d99f71f30ff0656c8dedd41cc1d7d3d376b0dbe685e2f3cd01f4",
            ["Blocks"] = "920592c4020102c501040707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707070707",
            ["NewBlock"] = "9206c403090909",
            ["NewTransaction"] = "9207c40108",
            ["Reject"] = "9408cd0195c4207692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431edad746f6f206c6172676520e29c93",
            ["GetHeaders"] = "930991c4203fc4ccfe745870e2c0d99f71f30ff0656c8dedd41cc1d7d3d376b0dbe685e2f3cd07d0",
            ["Headers"] = "920a92c40101c4020203",
            ["GetBlockData"] = "920b92c4207692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431edc4203fc4ccfe745870e2c0d99f71f30ff0656c8dedd41cc1d7d3d376b0dbe685e2f3",
            ["BlockData"] = "920c91c4020405",
    };

    private static readonly Dictionary<FieldKind, string> HashInputNotation = new()
    {
        [FieldKind.Key] = "K", [FieldKind.Address] = "A", [FieldKind.Hash] = "H", [FieldKind.Signature] = "S", [FieldKind.U8] = "u8",
        [FieldKind.U16] = "u16", [FieldKind.U64] = "u64", [FieldKind.I64] = "i64", [FieldKind.Str] = "str", [FieldKind.Bin] = "bytes",
    };

    private static readonly Dictionary<FieldKind, string> PayloadWireNotation = new()
    {
        [FieldKind.Key] = "bin32", [FieldKind.Address] = "bin20", [FieldKind.Hash] = "bin32", [FieldKind.Signature] = "bin64", [FieldKind.U8] = "u8",
        [FieldKind.U16] = "u16", [FieldKind.U64] = "uint", [FieldKind.I64] = "int", [FieldKind.Str] = "str", [FieldKind.Bin] = "bin",
    };

    private static readonly Dictionary<FieldKind, string> MessageNotation = new()
    {
        [FieldKind.Hash] = "H", [FieldKind.U16] = "u16", [FieldKind.U32] = "u32", [FieldKind.U64] = "u64", [FieldKind.I32] = "i32",
        [FieldKind.Str] = "str", [FieldKind.Bin] = "bin", [FieldKind.Hashes] = "[H...]", [FieldKind.Bins] = "[bin...]",
    };

    private static IEnumerable<TestCaseData> TransactionCases() => LayoutSamples.Transactions().Select(s => new TestCaseData(s.Transaction).SetArgDisplayNames(s.Name));

    private static IEnumerable<TestCaseData> MessageCases() => LayoutSamples.Messages().Select(s => new TestCaseData(s.Message).SetArgDisplayNames(s.Name));

    [TestCaseSource(nameof(TransactionCases))]
    public void Every_payload_kind_keeps_its_pinned_signing_hash_and_encoding_and_decodes_back(Transaction tx)
    {
        var pinned = PinnedTransactions[tx.Kind.ToString()];
        var decoded = Transaction.Decode(Convert.FromHexString(pinned.Encoding));
        Assert.Multiple(() =>
        {
            Assert.That(tx.SigningHash.ToString(), Is.EqualTo(pinned.SigningHash), "hash input");
            Assert.That(Convert.ToHexStringLower(tx.Encode().Span), Is.EqualTo(pinned.Encoding), "MessagePack");
            Assert.That(decoded.Payload, Is.EqualTo(tx.Payload));
            Assert.That(decoded.Id, Is.EqualTo(tx.Id));
        });
    }

    [TestCaseSource(nameof(MessageCases))]
    public void Every_message_type_keeps_its_pinned_body_and_decodes_back(NetworkMessage message)
    {
        var pinned = PinnedMessages[message.Type.ToString()];
        var decoded = MessageCodec.DecodeBody(Convert.FromHexString(pinned));
        Assert.Multiple(() =>
        {
            Assert.That(Convert.ToHexStringLower(MessageCodec.EncodeBody(message)), Is.EqualTo(pinned));
            Assert.That(decoded.GetType(), Is.EqualTo(message.GetType()));
            Assert.That(Convert.ToHexStringLower(MessageCodec.EncodeBody(decoded)), Is.EqualTo(pinned));
        });
    }

    private static IEnumerable<TestCaseData> OverLimitPayloads()
    {
        var key = KeyPair.FromLabel("other").PublicKey;
        var h = Hash256.Sha256("one"u8);
        yield return Case("name", 64, n => new NodeRegistration(key, NodeRoles.Validator, new string('a', n)));
        yield return Case("contentAddress", 128, n => new RecordAnchor(new string('b', n), h, RecordType.Ecg, 1));
        yield return Case("first", 2048, n => new MisbehaviourEvidence(EvidenceKind.ConflictingHeaders, new byte[n], [1]));
        yield return Case("second", 2048, n => new MisbehaviourEvidence(EvidenceKind.ConflictingHeaders, [1], new byte[n]));

        static TestCaseData Case(string field, int limit, Func<int, TransactionPayload> make) =>
            new TestCaseData(field, limit, make).SetArgDisplayNames(field, limit.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [TestCaseSource(nameof(OverLimitPayloads))]
    public void A_payload_field_one_byte_over_its_limit_is_refused_by_name_and_at_its_limit_decodes(string field, int limit, Func<int, TransactionPayload> make)
    {
        var signer = KeyPair.FromLabel("encoder");
        var atLimit = Transaction.Create(signer, 7, 1, 1_800_000_000_000, make(limit));
        var over = Transaction.Create(signer, 7, 1, 1_800_000_000_000, make(limit + 1));
        var ex = Assert.Throws<LedgerFormatException>(() => Transaction.Decode(over.Encode()));
        Assert.Multiple(() =>
        {
            Assert.That(ex!.Field, Is.EqualTo(field));
            Assert.That(ex.Reason, Does.Contain($"exceeds the limit of {limit}"));
            Assert.That(Transaction.Decode(atLimit.Encode()).Id, Is.EqualTo(atLimit.Id));
        });
    }

    [TestCase("98010700", 0, TestName = "A_transaction_of_kind_0_is_refused")]
    [TestCase("9801070d", 0, TestName = "A_transaction_of_kind_13_is_refused")]
    [TestCase("51c893c420", 2, TestName = "A_payload_array_with_a_field_missing_is_refused")]
    [TestCase("51c893c420", 4, TestName = "A_payload_array_with_a_field_too_many_is_refused")]
    public void A_payload_of_the_wrong_kind_or_arity_is_refused(string find, int arity)
    {
        var pinned = PinnedTransactions["NodeRegistration"].Encoding;
        var hostile = arity == 0 ? find + pinned[find.Length..] : pinned.Replace(find, $"51c89{arity}c420", StringComparison.Ordinal);
        Assert.That(hostile, Is.Not.EqualTo(pinned));
        var ex = Assert.Throws<LedgerFormatException>(() => Transaction.Decode(Convert.FromHexString(hostile)));
        Assert.That(ex!.Field, Is.EqualTo(arity == 0 ? "kind" : "payload"));
    }

    [Test]
    public void A_message_field_over_its_limit_is_refused_naming_the_message_and_field()
    {
        var hello = MessageCodec.EncodeBody(new HelloMessage(1, 7, default, 0, default, 1) { NodeAuth = new byte[MessageCodec.MaxNodeAuthBytes + 1] });
        var reject = MessageCodec.EncodeBody(new RejectMessage(400, default, new string('r', MessageCodec.MaxReasonBytes + 1)));
        var locator = MessageCodec.EncodeBody(new GetBlocksMessage(new Hash256[GetBlocksMessage.MaxLocator + 1], 1));
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<LedgerFormatException>(() => MessageCodec.DecodeBody(hello))!.Field, Is.EqualTo("Hello.nodeAuth"));
            Assert.That(Assert.Throws<LedgerFormatException>(() => MessageCodec.DecodeBody(reject))!.Field, Is.EqualTo("Reject.reason"));
            Assert.That(Assert.Throws<LedgerFormatException>(() => MessageCodec.DecodeBody(locator))!.Field, Is.EqualTo("GetBlocks.locator"));
        });
    }

    [Test]
    public void Every_payload_description_matches_its_row_in_the_format_spec()
    {
        var rows = TableRows("| Kind | # | Sender | Payload hash input | MessagePack payload |");
        Assert.That(rows.Keys, Is.EquivalentTo(PayloadLayout.All.Select(e => e.Kind.ToString())), "one row per payload kind");
        foreach (var (kind, layout) in PayloadLayout.All)
        {
            var row = rows[kind.ToString()];
            Assert.That(row[1], Is.EqualTo(((byte)kind).ToString(System.Globalization.CultureInfo.InvariantCulture)), $"{kind} number");
            var documented = Items(row[3]);
            var wire = Regex.Replace(row[4], @"\([^)]*\)|[`\[\]]", string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            Assert.That(documented.Select(d => d.Name).ToArray(), Is.EqualTo(layout.Fields.Select(f => f.Name).ToArray()), $"{kind} field names and order");
            Assert.That(documented.Select(d => d.Type).ToArray(), Is.EqualTo(layout.Fields.Select(f => HashInputNotation[f.Kind]).ToArray()), $"{kind} hash-input kinds");
            Assert.That(wire, Is.EqualTo(layout.Fields.Select(f => PayloadWireNotation[f.Kind]).ToArray()), $"{kind} MessagePack kinds");
            foreach (var (field, doc) in layout.Fields.Zip(documented).Where(p => p.First.Limit > 0))
            {
                var limit = field.Limit % 1024 == 0 ? $"≤ {field.Limit / 1024} KiB" : $"≤ {field.Limit} B";
                Assert.That(doc.Note, Does.Contain(limit), $"{kind}.{field.Name} limit");
            }
        }
    }

    [Test]
    public void Every_message_description_matches_its_row_in_the_format_spec()
    {
        var rows = TableRows("| Type | # | Fields |")
            .SelectMany(r => r.Key.Split(" / ").Select((name, i) => (Name: name, Number: r.Value[1].Split(" / ")[i], r.Value[2])))
            .ToDictionary(r => r.Name);
        Assert.That(rows.Keys, Is.EquivalentTo(MessageLayout.All.Select(e => e.Type.ToString())), "one row per message type");
        foreach (var (type, layout) in MessageLayout.All)
        {
            var row = rows[type.ToString()];
            Assert.That(row.Number, Is.EqualTo(((byte)type).ToString(System.Globalization.CultureInfo.InvariantCulture)), $"{type} number");
            var documented = Items(string.Join(", ", Regex.Matches(row.Item3, "`([^`]*)`").Select(m => m.Groups[1].Value)));
            Assert.That(documented.Select(d => d.Name).ToArray(), Is.EqualTo(layout.Fields.Select(f => f.Name).ToArray()), $"{type} field names and order");
            Assert.That(documented.Select(d => d.Type).ToArray(), Is.EqualTo(layout.Fields.Select(f => MessageNotation[f.Kind]).ToArray()), $"{type} kinds");
            foreach (var (field, doc) in layout.Fields.Zip(documented).Where(p => p.First.Limit > 0 && p.Second.Note.Length > 0))
            {
                Assert.That(doc.Note, Does.Contain(field.Limit.ToString(System.Globalization.CultureInfo.InvariantCulture)), $"{type}.{field.Name} limit");
            }
        }
    }

    /// <summary>"K nodeKey, u8 roles, str name (≤ 64 B)" as (type, name, note) items; commas inside parentheses do not split.</summary>
    private static List<(string Type, string Name, string Note)> Items(string column) =>
        Regex.Split(column, @",\s*(?![^()]*\))")
            .Select(item => (Item: item, Match: Regex.Match(item.Trim(), @"^(?<type>\S+) (?<name>\w+)(?: \((?<note>[^)]*)\))?$")))
            .Select(x => x.Match.Success ? (x.Match.Groups["type"].Value, x.Match.Groups["name"].Value, x.Match.Groups["note"].Value) : throw new AssertionException($"unparsed layout item in docs/format.md: {x.Item}"))
            .ToList();

    /// <summary>The rows of the docs/format.md table with this header, by first cell.</summary>
    private static Dictionary<string, string[]> TableRows(string header)
    {
        var lines = File.ReadAllLines(FormatSpec());
        var start = Array.IndexOf(lines, header);
        Assert.That(start, Is.GreaterThanOrEqualTo(0), $"docs/format.md has the table {header}");
        return lines.Skip(start + 2).TakeWhile(l => l.StartsWith('|'))
            .Select(l => l.Trim('|').Split('|').Select(c => c.Trim()).ToArray())
            .ToDictionary(cells => cells[0]);
    }

    private static string FormatSpec()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "docs", "format.md");
            if (File.Exists(path))
            {
                return path;
            }
        }

        throw new AssertionException("docs/format.md not found above the test directory");
    }
}
