namespace HealthLedger.Detection.Model;

/// <summary>What is wrong with a detector model that does not fit the model contract.</summary>
public enum DetectorModelError
{
    /// <summary>The bytes are not a model ONNX Runtime can load.</summary>
    InvalidModel,

    /// <summary>The graph has no input named <c>features</c> (or has more than one input).</summary>
    MissingInput,

    /// <summary>The <c>features</c> input is not a float32 tensor.</summary>
    WrongInputType,

    /// <summary>The <c>features</c> input is not <c>[N, T, F]</c> or disagrees with <c>hl.window</c> / <c>hl.features</c>.</summary>
    WrongInputShape,

    /// <summary>The graph has no output named <c>probabilities</c>.</summary>
    MissingOutput,

    /// <summary>The <c>probabilities</c> output is not a float32 tensor.</summary>
    WrongOutputType,

    /// <summary>The <c>probabilities</c> output is not <c>[N, C]</c> or disagrees with <c>hl.classes</c>.</summary>
    WrongOutputShape,

    /// <summary>A required <c>hl.*</c> metadata entry is absent.</summary>
    MissingMetadata,

    /// <summary>An <c>hl.*</c> metadata entry is present but malformed.</summary>
    InvalidMetadata,

    /// <summary><c>hl.schema</c> names a version this runtime does not understand.</summary>
    UnsupportedSchema,
}

/// <summary>
/// Thrown when a detector model cannot be used: its bytes are corrupt or it does not follow the model contract
/// (inputs, outputs or <c>hl.*</c> metadata). <see cref="Error"/> says which rule is broken.
/// </summary>
public sealed class DetectorModelException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DetectorModelException(DetectorModelError error, string message, Exception? innerException = null)
        : base($"{error}: {message}", innerException)
    {
        Error = error;
    }

    /// <summary>Creates an exception with an unspecified cause (prefer the constructor taking an error).</summary>
    public DetectorModelException()
        : this(DetectorModelError.InvalidModel, "The detector model is invalid.")
    {
    }

    /// <summary>Creates an exception with an unspecified cause (prefer the constructor taking an error).</summary>
    public DetectorModelException(string message)
        : this(DetectorModelError.InvalidModel, message)
    {
    }

    /// <summary>Creates an exception with an unspecified cause (prefer the constructor taking an error).</summary>
    public DetectorModelException(string message, Exception innerException)
        : this(DetectorModelError.InvalidModel, message, innerException)
    {
    }

    /// <summary>The contract rule the model breaks.</summary>
    public DetectorModelError Error { get; }
}
