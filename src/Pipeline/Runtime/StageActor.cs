using Akka.Actor;
using Pipeline.Runtime.Messages;
using Pipeline.Stages;

namespace Pipeline.Runtime;

/// <summary>
/// Hosts one stage: claims each batch it receives, runs the stage on it, scatters the packets to the
/// gates' pipes by verdict, frees the dropped ones at once, and returns a credit upstream. It processes a
/// batch only when every connected output pipe has credit; otherwise the batch waits in its queue (bounded
/// by the upstream window), so memory stays bounded under overload.
/// </summary>
/// <remarks>
/// Faults: when the stage throws, <see cref="PreRestart"/> frees the batch it held (fault drops), returns
/// its credit, and the supervisor restarts the actor with a fresh stage instance; queue, credits and
/// counters live in <see cref="StageNode"/> and survive.
/// </remarks>
internal sealed class StageActor : UntypedActor
{
    private readonly StageNode _node;
    private readonly IPacketStage _stage;
    private readonly StageContext _context;
    private readonly PacketBatch?[] _scatter;
    private readonly uint[] _freed;

    public StageActor(StageNode node)
    {
        _node = node;
        _stage = node.Definition.Descriptor.Create(node.Definition.Options);
        _context = new StageContext(node.Name, node.Definition.Descriptor.Gates, node.Pool.Arena, node.Pool.Capacity)
        {
            // A gate piped somewhere, or to the drop sink, is connected; the others drop as 'unconnected'.
            ConnectedGates = Array.ConvertAll(node.Outputs, static o => o.Edge >= 0),
        };
        _scatter = new PacketBatch?[node.Outputs.Length];
        _freed = new uint[node.Pool.Capacity];
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Deliver deliver:
                _node.Pending.Enqueue(deliver);
                Drain();
                break;
            case Credit credit:
                _node.AddCredit(credit);
                Drain();
                break;
            case Poll or Start or StopSources:
                Drain();
                break;
            case Shutdown:
                while (_node.Pending.TryDequeue(out var pending))
                {
                    _node.DropBatch(pending.Batch, DropReason.Shutdown);
                    _node.ReturnCredit(pending.Edge, Self);
                }

                Sender.Tell(new ShutdownDone(_node.Name));
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    protected override void PreRestart(Exception reason, object message)
    {
        // The stage threw while holding InFlight: its packets are freed and counted, its pipe gets its credit back.
        if (_node.InFlight is { } held)
        {
            _node.InFlight = null;
            held.Batch.TransferTo(Self, _node.Name, gate: null);
            _node.DropBatch(held.Batch, DropReason.Fault);
            _node.ReturnCredit(held.Edge, Self);
        }

        _node.Counters.AddFault();
        base.PreRestart(reason, message);
    }

    protected override void PostRestart(Exception reason)
    {
        base.PostRestart(reason);
        Self.Tell(Poll.Instance); // resume the queue
    }

    private void Drain()
    {
        while (_node.Pending.Count > 0 && _node.AllOutputsHaveCredit)
        {
            var deliver = _node.Pending.Dequeue();
            _node.InFlight = deliver;
            Process(deliver.Batch);
            _node.InFlight = null;
            _node.ReturnCredit(deliver.Edge, Self);
        }
    }

    private void Process(PacketBatch batch)
    {
        batch.Claim(Self, _node.Name);
        var (packets, bytes) = BatchStats.Measure(batch.Slots);
        _node.Counters.AddIn(packets, bytes);
        _context.Reset(batch.Count);
        var previous = OwnershipScope.Enter(Self, _node.Name);
        try
        {
            _stage.OnBatch(batch, _context);
        }
        finally
        {
            OwnershipScope.Exit(previous);
        }

        Scatter(batch);
    }

    /// <summary>Sends each packet where its verdict says; the whole batch moves on when every packet goes to one pipe.</summary>
    private void Scatter(PacketBatch batch)
    {
        var verdicts = _context.Verdicts(batch.Count);
        var first = verdicts.Length > 0 ? verdicts[0] : (ushort)0;
        if (first != StageContext.DropVerdict && !verdicts.ContainsAnyExcept(first) && _node.Outputs[first].IsPipe)
        {
            // Measured after the stage ran: pushed and popped headers change the bytes.
            var (packets, bytes) = BatchStats.Measure(batch.Slots);
            _node.Counters.AddOut(packets, bytes);
            _node.Outputs[first].Send(batch, Self);
            return;
        }

        var slots = batch.Slots;
        var meta = batch.Meta;
        var freed = 0;
        long outPackets = 0;
        long outBytes = 0;
        for (var i = 0; i < slots.Length;)
        {
            var end = BatchStats.PacketEnd(slots, i);
            var verdict = verdicts[i]; // the first fragment's verdict holds for the whole packet
            var reason = verdict == StageContext.DropVerdict ? _context.ReasonOf(i)
                : _node.Outputs[verdict].IsPipe ? (DropReason?)null
                : _node.Outputs[verdict].ToDrop ? DropReason.Discarded : DropReason.Unconnected;
            if (reason is { } r)
            {
                _node.Counters.AddDrops(r, 1);
                for (var k = i; k < end; k++)
                {
                    _freed[freed++] = slots[k].BufIdx;
                }
            }
            else
            {
                var output = _scatter[verdict] ??= _node.Pool.Rent(Self, _node.Name);
                for (var k = i; k < end; k++)
                {
                    output.Add(in slots[k], in meta[k]);
                    outBytes += slots[k].Len;
                }

                outPackets++;
            }

            i = end;
        }

        _node.Pool.Arena.FreeBatch(_freed.AsSpan(0, freed), _node.Pool.Owner);
        batch.SetCount(0);
        _node.Pool.Return(batch);
        _node.Counters.AddOut(outPackets, outBytes);
        for (var g = 0; g < _scatter.Length; g++)
        {
            if (_scatter[g] is { } output)
            {
                _scatter[g] = null;
                _node.Outputs[g].Send(output, Self);
            }
        }
    }
}
