using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Network.Hosting;

namespace HealthLedger.Host.Configuration;

/// <summary>A genesis file: the <see cref="GenesisConfig"/> in JSON, keys as hex.</summary>
internal sealed record GenesisFile
{
    public required uint ChainId { get; init; }

    public required long TimestampMs { get; init; }

    public required ConsensusEngineId Engine { get; init; }

    public required IReadOnlyList<string> Authorities { get; init; }

    public required IReadOnlyList<GenesisNodeFile> Nodes { get; init; }

    public ushort MinThreshold { get; init; } = 1;

    public ushort MaxThreshold { get; init; } = 64;

    public ConsensusParameters Consensus { get; init; } = new();

    public LedgerLimits Limits { get; init; } = new();

    public static GenesisFile From(GenesisConfig g) => new()
    {
        ChainId = g.ChainId,
        TimestampMs = g.TimestampMs,
        Engine = g.Engine,
        Authorities = [.. g.Authorities.Select(a => Convert.ToHexStringLower(a.ToArray()))],
        Nodes = [.. g.InitialNodes.Select(n => new GenesisNodeFile(Convert.ToHexStringLower(n.Key.ToArray()), n.Roles, n.Name))],
        MinThreshold = g.MinThreshold,
        MaxThreshold = g.MaxThreshold,
        Consensus = g.Consensus,
        Limits = g.Limits,
    };

    public GenesisConfig ToConfig() => new()
    {
        ChainId = ChainId,
        TimestampMs = TimestampMs,
        Engine = Engine,
        Authorities = [.. Authorities.Select(NetworkFiles.ParseKey)],
        InitialNodes = [.. Nodes.Select(n => new GenesisNode(NetworkFiles.ParseKey(n.Key), n.Roles, n.Name))],
        MinThreshold = MinThreshold,
        MaxThreshold = MaxThreshold,
        Consensus = Consensus,
        Limits = Limits,
    };
}

/// <summary>A node registered at genesis.</summary>
internal sealed record GenesisNodeFile(string Key, NodeRoles Roles, string Name);

/// <summary>A peer to dial: <c>host:port</c> and its node key (hex).</summary>
internal sealed record PeerFile(string EndPoint, string Key);

/// <summary>A node's configuration file (paths relative to the file).</summary>
internal sealed record NodeConfigFile
{
    public required string Genesis { get; init; }

    public required string Key { get; init; }

    public required string Data { get; init; }

    public required string Listen { get; init; }

    public required string Api { get; init; }

    public IReadOnlyList<PeerFile> Peers { get; init; } = [];

    public bool Mine { get; init; } = true;

    public ushort Threshold { get; init; } = 1;

    public int MinBlockIntervalMs { get; init; }

    /// <summary>
    /// Pruning: keep the bodies of only this many blocks below the tip (and every header); null keeps every body. A pruned
    /// node cannot serve old blocks to syncing peers, rebuild its state from genesis or run <c>chain verify</c>
    /// (docs/storage.md, "Pruning").
    /// </summary>
    public long? KeepRecentBodies { get; init; }

    /// <summary>The ingestion gate (the embedded DSAE+BiLSTM with its own operating points when absent).</summary>
    public DetectorFile? Detector { get; init; }

    /// <summary>
    /// A file holding the operator's bearer token for the API's operator endpoints (owner-only permissions), relative
    /// to this file; null = operator endpoints refuse every request.
    /// </summary>
    public string? OperatorTokenFile { get; init; }

    /// <summary>Health records (ingestion, encrypted envelopes, key release); null = the node keeps no records.</summary>
    public RecordsFile? Records { get; init; }
}

/// <summary>
/// A node configuration's <c>records</c> section: where the node keeps the encrypted envelopes of the records it
/// ingests. An IPFS (Kubo RPC) endpoint when <see cref="Ipfs"/> is set, the local directory otherwise.
/// </summary>
internal sealed record RecordsFile
{
    /// <summary>The local store's directory, relative to the configuration file; null = <c>records</c> under the data directory.</summary>
    public string? Directory { get; init; }

    /// <summary>The Kubo RPC endpoint of an IPFS node (<c>http://127.0.0.1:5001</c>); null = the local store.</summary>
    public string? Ipfs { get; init; }

    /// <summary>The node's records options, paths resolved against <paramref name="configDirectory"/>.</summary>
    /// <exception cref="InvalidDataException">The IPFS endpoint is not an absolute http or https URL, or the directory is blank.</exception>
    public Node.Records.RecordsOptions ToOptions(string configDirectory)
    {
        Uri? ipfs = null;
        if (Ipfs is { } text)
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out ipfs) || ipfs.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(ipfs.UserInfo) || ipfs.Query.Length > 0 || ipfs.Fragment.Length > 0)
            {
                throw new InvalidDataException($"records.ipfs must be an absolute http or https URL without credentials, query or fragment (the Kubo RPC endpoint, e.g. http://127.0.0.1:5001); got '{text}'.");
            }
        }

        if (Directory is { } dir && string.IsNullOrWhiteSpace(dir))
        {
            throw new InvalidDataException("records.directory is blank; omit it for records/ under the data directory.");
        }

        return new Node.Records.RecordsOptions
        {
            IpfsEndpoint = ipfs,
            Directory = Directory is null ? null : Path.GetFullPath(Path.Combine(configDirectory, Directory)),
        };
    }
}

/// <summary>A node's configuration file, read: the node's options, its API address, and what the host builds around it.</summary>
internal sealed record LoadedNode(Node.LedgerNodeOptions Options, string ApiUrl, string ConfigDirectory, NodeConfigFile File)
{
    /// <summary>The operator token, or null when none is configured.</summary>
    /// <exception cref="InvalidDataException">The token file is readable by others, or the token is shorter than 128 bits.</exception>
    public string? ReadOperatorToken()
    {
        if (File.OperatorTokenFile is not { } name)
        {
            return null;
        }

        var path = Path.Combine(ConfigDirectory, name);
        if (!OperatingSystem.IsWindows() && (System.IO.File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
        {
            throw new InvalidDataException($"{path} is readable or writable by others; chmod 600 it.");
        }

        var token = System.IO.File.ReadAllText(path).Trim();
        return token.Length >= 22 ? token : throw new InvalidDataException($"{path} holds a token shorter than 128 bits.");
    }
}

/// <summary>Reads and writes genesis files, node configurations and key files.</summary>
internal static class NetworkFiles
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    public static PublicKey ParseKey(string hex) => new(Convert.FromHexString(hex));

    public static IPEndPoint ParseEndPoint(string text) => IPEndPoint.Parse(text);

    public static void WriteJson<T>(string path, T value) => File.WriteAllText(path, JsonSerializer.Serialize(value, Json));

    public static T ReadJson<T>(string path) =>
        JsonSerializer.Deserialize<T>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path} is empty.");

    /// <summary>Writes a key file (the Ed25519 seed in hex), readable by its owner only.</summary>
    public static void WriteKey(string path, KeyPair key)
    {
        var seed = key.ExportSeed();
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using var writer = new StreamWriter(path, System.Text.Encoding.ASCII, options);
            writer.WriteLine(Convert.ToHexStringLower(seed));
        }
        finally
        {
            Array.Clear(seed);
        }
    }

    /// <summary>Writes a new random operator token (256 bits, base64url), readable by its owner only.</summary>
    public static void WriteOperatorToken(string path)
    {
        var bytes = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var writer = new StreamWriter(path, System.Text.Encoding.ASCII, options);
        writer.WriteLine(Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_'));
    }

    public static KeyPair ReadKey(string path)
    {
        var text = File.ReadAllText(path).Trim();
        var seed = Convert.FromHexString(text);
        try
        {
            return KeyPair.FromSeed(seed);
        }
        finally
        {
            Array.Clear(seed);
        }
    }

    /// <summary>The options of the node a configuration file describes.</summary>
    public static LoadedNode LoadNode(string configPath)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(configPath))!;
        var config = ReadJson<NodeConfigFile>(configPath);
        var genesis = ReadJson<GenesisFile>(Path.Combine(dir, config.Genesis)).ToConfig();
        if (config.KeepRecentBodies is < 1)
        {
            throw new InvalidDataException($"keepRecentBodies must be at least 1 (or absent to keep every body), got {config.KeepRecentBodies}.");
        }

        var options = new Node.LedgerNodeOptions
        {
            Genesis = genesis,
            NodeKey = ReadKey(Path.Combine(dir, config.Key)),
            DataDirectory = Path.Combine(dir, config.Data),
            ListenOn = ParseEndPoint(config.Listen),
            Peers = [.. config.Peers.Select(p => new PeerAddress(ParseEndPoint(p.EndPoint), ParseKey(p.Key)))],
            Mine = config.Mine,
            Threshold = config.Threshold,
            MinBlockInterval = TimeSpan.FromMilliseconds(config.MinBlockIntervalMs),
            Records = config.Records?.ToOptions(dir),
            Chain = new ChainOptions { KeepRecentBodies = config.KeepRecentBodies },
        };
        return new LoadedNode(options, config.Api, dir, config);
    }
}
