using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HealthLedger.Node;

/// <summary>Registers a <see cref="LedgerNode"/> in a .NET host.</summary>
public static class NodeServiceCollectionExtensions
{
    /// <summary>
    /// Adds one <see cref="LedgerNode"/> built from <paramref name="options"/> as a singleton, started and stopped with the
    /// host (a hosted service). The node's store is opened when the node is first resolved.
    /// </summary>
    public static IServiceCollection AddHealthLedgerNode(this IServiceCollection services, LedgerNodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(options);
        services.AddSingleton(sp => LedgerNode.Create(options, sp.GetService<TimeProvider>(), sp.GetService<ILoggerFactory>(), sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.AddHostedService<LedgerNodeService>();
        return services;
    }

    /// <summary>Starts the node with the host and disposes it when the host stops.</summary>
    private sealed class LedgerNodeService(LedgerNode node) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => node.StartAsync(cancellationToken);

        public async Task StopAsync(CancellationToken cancellationToken) => await node.DisposeAsync().ConfigureAwait(false);
    }
}
