using Microsoft.ML.OnnxRuntime;

namespace HealthLedger.Detection.Model;

/// <summary>How ONNX Runtime runs a detector model.</summary>
public sealed record DetectorModelOptions
{
    /// <summary>
    /// The defaults: one intra-op thread, one inter-op thread, all graph optimisations, batch parallelism 1, batch chunks
    /// of 128 windows, shape-specialised sessions.
    /// </summary>
    public static DetectorModelOptions Default { get; } = new();

    /// <summary>Threads one inference may use (default 1: a node runs many small inferences, not one big one).</summary>
    public int IntraOpThreads { get; init; } = 1;

    /// <summary>Threads for running independent graph nodes in parallel (default 1).</summary>
    public int InterOpThreads { get; init; } = 1;

    /// <summary>
    /// Most concurrent inferences one large batch is spread over (chunks of <see cref="BatchChunkSize"/> windows, or of at
    /// least 64 windows for smaller batches, run on the calling thread and the thread pool); default 1. Set it to the core
    /// count to spread one batch's work over the cores without intra-op threads.
    /// </summary>
    public int BatchParallelism { get; init; } = 1;

    /// <summary>
    /// Most windows per inference (default 128): a larger batch runs as several inferences of this size, whose
    /// intermediate tensors stay in the core's cache. Measured on the WUSTL model: 96–256 are equally fast, 1,024 is
    /// ≈ 8 % slower per window.
    /// </summary>
    public int BatchChunkSize { get; init; } = 128;

    /// <summary>
    /// When true (default) and the model's batch dimension is symbolic, two more sessions are loaded with that dimension
    /// fixed, to 1 for single windows and to <see cref="BatchChunkSize"/> for full batch chunks, so ONNX Runtime folds the
    /// shape arithmetic and plans memory statically (≈ 5 % faster single inferences, ≈ 2 % faster chunks; load time about
    /// triples, still a few milliseconds). Other batch sizes use the general session. Outputs are the same.
    /// </summary>
    public bool SpecializeBatchShapes { get; init; } = true;

    /// <summary>Graph optimisation level (default: all).</summary>
    public GraphOptimizationLevel OptimizationLevel { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    /// <summary>Checks the options before a session is created from them.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A thread count, the batch parallelism or the batch chunk size is below 1.</exception>
    public void Validate()
    {
        if (IntraOpThreads < 1 || InterOpThreads < 1 || BatchParallelism < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(IntraOpThreads), "Thread counts and batch parallelism must be at least 1.");
        }

        if (BatchChunkSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(BatchChunkSize), "The batch chunk size must be at least 1.");
        }
    }

    /// <summary>Session options; with <paramref name="batchDimension"/> set, that symbolic dimension is fixed to <paramref name="batchSize"/>.</summary>
    internal SessionOptions CreateSessionOptions(string? batchDimension = null, int batchSize = 0)
    {
        Validate();
        var options = new SessionOptions
        {
            IntraOpNumThreads = IntraOpThreads,
            InterOpNumThreads = InterOpThreads,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = OptimizationLevel,
        };
        try
        {
            if (IntraOpThreads == 1)
            {
                // No spinning worker threads when the caller's thread does all the work.
                options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
            }

            if (batchDimension is not null)
            {
                options.AddFreeDimensionOverrideByName(batchDimension, batchSize);
            }

            return options;
        }
        catch
        {
            options.Dispose();
            throw;
        }
    }
}
