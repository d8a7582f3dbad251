namespace HealthLedger.Records.Storage;

/// <summary>Options of <see cref="KuboContentStore"/>.</summary>
public sealed record KuboContentStoreOptions
{
    /// <summary>The RPC API root, for example <c>http://127.0.0.1:5001/</c> (Kubo, or js-ipfs's compatible API).</summary>
    public required Uri Endpoint { get; init; }

    /// <summary>Time for one HTTP attempt, including reading the body (default 15 s).</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Time for a whole call, retries and back-off included (default 60 s).</summary>
    public TimeSpan TotalTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Retries after the first attempt, for connection failures, timeouts and HTTP 408/429/502/503/504 (default 3).</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>First back-off delay; doubled each retry, with jitter (default 200 ms).</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Largest content accepted or returned, in bytes (default 64 MiB).</summary>
    public long MaxContentBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Largest JSON or error body read from the API, in bytes (default 64 KiB).</summary>
    public int MaxResponseBytes { get; init; } = 64 * 1024;
}
