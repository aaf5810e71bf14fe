using System.Collections.Concurrent;
using Akka.Dispatch;

namespace Pipeline.Runtime;

/// <summary>
/// The executor of a polled pipeline (<see cref="PipelineRuntimeOptions.Polled"/>): Akka hands it the actors' work
/// (a mailbox to run), it keeps the work in a queue, and <see cref="RunPending"/> runs it on the thread that calls it.
/// Once released (the pipeline is stopping, or Akka shuts the executor down) it hands everything to the .NET thread
/// pool instead, so a stop never waits for a poll that will not come.
/// </summary>
internal sealed class PolledExecutor : ExecutorService
{
    private readonly ConcurrentQueue<IRunnable> _queue = new();
    private volatile bool _released;

    public PolledExecutor(string id)
        : base(id)
    {
    }

    /// <inheritdoc/>
    public override void Execute(IRunnable run)
    {
        if (_released)
        {
            ToPool(run);
            return;
        }

        _queue.Enqueue(run);
        if (_released)
        {
            Drain(); // released while we enqueued: nobody polls any more
        }
    }

    /// <summary>Runs queued work on the calling thread, including work it queues, up to <paramref name="max"/> runs; how many ran.</summary>
    public int RunPending(int max)
    {
        var ran = 0;
        while (ran < max && _queue.TryDequeue(out var run))
        {
            run.Run();
            ran++;
        }

        return ran;
    }

    /// <summary>From now on work runs on the thread pool; what is queued goes there too.</summary>
    public void Release()
    {
        _released = true;
        Drain();
    }

    /// <summary>Back to polled mode, for the next pipeline the dispatcher is lent to.</summary>
    public void Reset() => _released = false;

    /// <summary>
    /// Akka shuts the executor down when its dispatcher's last actor has gone (and produces it again for the next):
    /// the mode stays what the runtime set (<see cref="Release"/> on stop, <see cref="Reset"/> when lent again), and
    /// anything still queued after a release goes to the thread pool.
    /// </summary>
    public override void Shutdown()
    {
        if (_released)
        {
            Drain();
        }
    }

    private void Drain()
    {
        while (_queue.TryDequeue(out var run))
        {
            ToPool(run);
        }
    }

    private static void ToPool(IRunnable run) => ThreadPool.UnsafeQueueUserWorkItem(static r => r.Run(), run, preferLocal: false);
}

/// <summary>Makes the Akka dispatcher of a polled pipeline: an ordinary <see cref="Dispatcher"/> over one <see cref="PolledExecutor"/>.</summary>
internal sealed class PolledDispatcherConfigurator : MessageDispatcherConfigurator
{
    private readonly Dispatcher _dispatcher;

    public PolledDispatcherConfigurator(Akka.Configuration.Config config, IDispatcherPrerequisites prerequisites, string id, int throughput, TimeSpan shutdownTimeout)
        : base(config, prerequisites)
    {
        Executor = new PolledExecutor(id);
        _dispatcher = new Dispatcher(this, id, throughput, null, new Factory(Executor), shutdownTimeout);
    }

    /// <summary>The one executor the dispatcher runs on.</summary>
    public PolledExecutor Executor { get; }

    /// <inheritdoc/>
    public override MessageDispatcher Dispatcher() => _dispatcher;

    private sealed class Factory(PolledExecutor executor) : ExecutorServiceFactory
    {
        public override ExecutorService Produce(string id) => executor;
    }
}
