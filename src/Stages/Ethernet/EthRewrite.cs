using Pipeline.Runtime;
using Pipeline.Stages;

namespace Stages.Ethernet;

/// <summary>
/// Rewrites the source and/or destination MAC address of every frame in place, as Click's <c>EtherRewrite</c>:
/// the next hop's and this hop's addresses after a routing or tunnelling decision. No other byte changes.
/// </summary>
/// <remarks>
/// Gates: <c>out</c>. Drops: a frame shorter than an Ethernet header (<c>malformed</c>). A multi-slot (MOREFRAG)
/// packet is rewritten in its first slot. At least one of <c>src</c> and <c>dst</c> must be given.
/// </remarks>
/// <example><code>
/// stages:
///   rewrite: { type: eth-rewrite, src: 02:00:00:00:00:01, dst: 02:00:00:00:00:fe }
/// pipes:
///   - lan -> rewrite -> wan
/// </code></example>
/// <seealso cref="EthRewriteOptions"/>
/// <seealso cref="VlanPush"/>
[Stage("eth-rewrite", Summary = "Rewrites the source and/or destination MAC address in place")]
public sealed class EthRewrite : IPacketStage
{
    private const int SourceOffset = MacAddressText.Length;

    private readonly byte[] _source;
    private readonly byte[] _destination;

    /// <summary>A stage that writes the addresses <paramref name="options"/> gives; an <see cref="ArgumentException"/> if it gives neither.</summary>
    public EthRewrite(EthRewriteOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Src is null && options.Dst is null)
        {
            throw new ArgumentException("eth-rewrite needs src, dst or both", nameof(options));
        }

        _source = options.Src is { } src ? MacAddressText.Parse(src) : [];
        _destination = options.Dst is { } dst ? MacAddressText.Parse(dst) : [];
    }

    /// <inheritdoc/>
    public void OnBatch(PacketBatch batch, StageContext context)
    {
        ReadOnlySpan<byte> source = _source;
        ReadOnlySpan<byte> destination = _destination;
        var view = batch.Open();
        var slots = view.Slots;
        for (var i = 0; i < slots.Length; i++)
        {
            if (BatchView.IsContinuation(slots, i))
            {
                continue; // a multi-slot packet's headers and verdict are in its first slot
            }

            var data = view[i].Data;
            if (data.Length < EthernetFields.HeaderLength)
            {
                context.Drop(i, DropReason.Malformed);
                continue;
            }

            // An empty span copies nothing: the address not given is kept.
            destination.CopyTo(data);
            source.CopyTo(data.Slice(SourceOffset));
        }
    }
}
