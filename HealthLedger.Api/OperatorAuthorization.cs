using System.Security.Cryptography;
using System.Text;
using HealthLedger.Core.Validation;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace HealthLedger.Api;

/// <summary>
/// The operator credential check in front of <c>/v1/admin</c>: a request without an <c>Authorization: Bearer</c> header
/// gets 401 (with <c>WWW-Authenticate: Bearer</c>), one with another token gets 403, and so does every request when no
/// token is configured. Tokens are compared as SHA-256 digests in constant time, so neither their content nor their
/// length leaks through timing.
/// </summary>
internal sealed class OperatorAuthorization : IEndpointFilter
{
    private readonly byte[]? _digest;

    public OperatorAuthorization(HealthLedgerApiOptions options) =>
        _digest = options.OperatorToken is { Length: > 0 } token ? SHA256.HashData(Encoding.UTF8.GetBytes(token)) : null;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var header = http.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) || header.Length == scheme.Length || header.Length > 1024)
        {
            http.Response.Headers[HeaderNames.WWWAuthenticate] = "Bearer realm=\"healthledger-operator\"";
            return HealthLedgerApi.Problem(StatusCodes.Status401Unauthorized, RejectionCode.None, "operator endpoints need Authorization: Bearer <the node's operator token>");
        }

        if (_digest is null)
        {
            return HealthLedgerApi.Problem(StatusCodes.Status403Forbidden, RejectionCode.None, "this node has no operator token configured: operator endpoints are disabled");
        }

        var given = SHA256.HashData(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()));
        if (!CryptographicOperations.FixedTimeEquals(given, _digest))
        {
            return HealthLedgerApi.Problem(StatusCodes.Status403Forbidden, RejectionCode.None, "the operator token is not this node's");
        }

        return await next(context).ConfigureAwait(false);
    }
}

/// <summary>Whether the node accepts device ingestion now (an operator switch; on at start).</summary>
internal sealed class IngestionSwitch
{
    private volatile bool _paused;

    public bool Paused
    {
        get => _paused;
        set => _paused = value;
    }
}
