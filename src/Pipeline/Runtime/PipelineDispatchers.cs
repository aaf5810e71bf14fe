using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;

namespace Pipeline.Runtime;

/// <summary>
/// The thread pools of pipelines run with <c>runtime: threads: N</c>: one Akka dispatcher per running pipeline, over
/// N dedicated threads named after it (<c>pipeline-NAME_1</c>, ...). A dispatcher is registered on the actor system
/// the first time one is needed and lent again, once its pipeline has stopped, to a later pipeline of the same name
/// and size, so starting and stopping pipelines does not grow the system's table of dispatchers (Akka cannot remove
/// one). The threads themselves end when the last actor has left a dispatcher: Akka shuts its pool down
/// <see cref="ShutdownTimeout"/> later, and a later pipeline that takes the dispatcher starts fresh ones.
/// </summary>
internal sealed class PipelineDispatchers : IExtension
{
    /// <summary>How long a pool outlives its last actor (Akka's <c>shutdown-timeout</c>).</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromMilliseconds(100);

    private const int Throughput = 100;

    private static readonly Provider Id = new();

    private readonly ActorSystem _system;
    private readonly Lock _lock = new();

    // Every dispatcher registered so far, by id, with its thread count, and the ones lent to a running pipeline.
    private readonly Dictionary<string, int> _registered = new(StringComparer.Ordinal);
    private readonly HashSet<string> _lent = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PolledDispatcherConfigurator> _polled = new(StringComparer.Ordinal);

    private PipelineDispatchers(ActorSystem system)
    {
        _system = system;
    }

    /// <summary>The dispatchers of <paramref name="system"/>.</summary>
    public static PipelineDispatchers Get(ActorSystem system) => (PipelineDispatchers)system.RegisterExtension(Id);

    /// <summary>The ids registered so far, lent or not (at most as many as pipelines of one name and size ever ran at once).</summary>
    public IReadOnlyCollection<string> Registered
    {
        get
        {
            lock (_lock)
            {
                return [.. _registered.Keys];
            }
        }
    }

    /// <summary>
    /// The id of a dispatcher of <paramref name="threads"/> threads for pipeline <paramref name="pipeline"/>, lent until
    /// <see cref="Return"/>: one no running pipeline uses, registered now if there is none.
    /// </summary>
    /// <remarks><paramref name="threads"/> <see cref="PolledThreads"/> (-1) lends a polled dispatcher (<see cref="PolledExecutor"/>).</remarks>
    public string Rent(string pipeline, int threads)
    {
        if (threads != PolledThreads)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        }

        var stem = "pipeline-" + Sanitize(pipeline);
        lock (_lock)
        {
            for (var n = 1; ; n++)
            {
                var id = n == 1 ? stem : string.Create(CultureInfo.InvariantCulture, $"{stem}-{n}");
                if (_lent.Contains(id))
                {
                    continue;
                }

                if (_registered.TryGetValue(id, out var size))
                {
                    if (size != threads)
                    {
                        continue; // the same pipeline run before with another thread count
                    }
                }
                else
                {
                    var configurator = Configurator(id, threads);
                    if (!_system.Dispatchers.RegisterConfigurator(id, configurator))
                    {
                        continue; // the system's configuration has a dispatcher of that name
                    }

                    _registered.Add(id, threads);
                    if (configurator is PolledDispatcherConfigurator polledConfigurator)
                    {
                        _polled.Add(id, polledConfigurator);
                    }
                }

                _lent.Add(id);
                if (_polled.TryGetValue(id, out var polled))
                {
                    polled.Executor.Reset();
                }

                return id;
            }
        }
    }

    /// <summary>The executor of polled dispatcher <paramref name="id"/>, or null for a dispatcher of threads.</summary>
    public PolledExecutor? Executor(string id)
    {
        lock (_lock)
        {
            return _polled.TryGetValue(id, out var polled) ? polled.Executor : null;
        }
    }

    /// <summary>Gives back a dispatcher whose pipeline's actors have stopped.</summary>
    public void Return(string id)
    {
        lock (_lock)
        {
            _lent.Remove(id);
        }
    }

    /// <summary>The thread count <see cref="Rent"/> takes for a polled dispatcher.</summary>
    public const int PolledThreads = -1;

    private MessageDispatcherConfigurator Configurator(string id, int threads)
    {
        if (threads != PolledThreads)
        {
            return new DispatcherConfigurator(Config(id, threads), _system.Dispatchers.Prerequisites);
        }

        return new PolledDispatcherConfigurator(Config(id, 1), _system.Dispatchers.Prerequisites, id, Throughput, ShutdownTimeout);
    }

    // A ForkJoin dispatcher (Akka's DedicatedThreadPool: background threads named ID_1 .. ID_N) with the default
    // dispatcher's other settings (mailbox). Throughput 100, not the default 30: an actor handles up to 100 messages
    // before it gives its thread up, as in the pipeline-3 bench that measured one thread ~25% faster on 2 cores.
    private Akka.Configuration.Config Config(string id, int threads) =>
        ConfigurationFactory.ParseString(string.Create(CultureInfo.InvariantCulture, $$"""
            id = "{{id}}"
            executor = fork-join-executor
            throughput = {{Throughput}}
            shutdown-timeout = {{(int)ShutdownTimeout.TotalMilliseconds}}ms
            dedicated-thread-pool {
              thread-count = {{threads}}
              threadtype = background
            }
            """)).WithFallback(_system.Dispatchers.DefaultDispatcherConfig);

    // A pipeline name as a dispatcher id and thread name: letters, digits, '-' and '_'.
    private static string Sanitize(string name)
    {
        var chars = name.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (!char.IsAsciiLetterOrDigit(chars[i]) && chars[i] is not ('-' or '_'))
            {
                chars[i] = '-';
            }
        }

        return chars.Length == 0 ? "unnamed" : new string(chars);
    }

    private sealed class Provider : ExtensionIdProvider<PipelineDispatchers>
    {
        public override PipelineDispatchers CreateExtension(ExtendedActorSystem system) => new(system);
    }
}
