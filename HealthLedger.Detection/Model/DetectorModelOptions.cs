using Microsoft.ML.OnnxRuntime;

namespace HealthLedger.Detection.Model;

/// <summary>How ONNX Runtime runs a detector model.</summary>
public sealed record DetectorModelOptions
{
    /// <summary>The defaults: one intra-op thread, one inter-op thread, all graph optimisations.</summary>
    public static DetectorModelOptions Default { get; } = new();

    /// <summary>Threads one inference may use (default 1: a node runs many small inferences, not one big one).</summary>
    public int IntraOpThreads { get; init; } = 1;

    /// <summary>Threads for running independent graph nodes in parallel (default 1).</summary>
    public int InterOpThreads { get; init; } = 1;

    /// <summary>
    /// Most concurrent inferences one large batch is split into (chunks of at least 64 windows, run on the thread pool);
    /// default 1. Set it to the core count to spread batched throughput over cores without intra-op threads.
    /// </summary>
    public int BatchParallelism { get; init; } = 1;

    /// <summary>Graph optimisation level (default: all).</summary>
    public GraphOptimizationLevel OptimizationLevel { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    internal SessionOptions CreateSessionOptions()
    {
        if (IntraOpThreads < 1 || InterOpThreads < 1 || BatchParallelism < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(IntraOpThreads), "Thread counts and batch parallelism must be at least 1.");
        }

        var options = new SessionOptions
        {
            IntraOpNumThreads = IntraOpThreads,
            InterOpNumThreads = InterOpThreads,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = OptimizationLevel,
        };
        if (IntraOpThreads == 1)
        {
            // No spinning worker threads when the caller's thread does all the work.
            options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        }

        return options;
    }
}
