using Netmap.Io.Ports;
using Netmap.Io.Rings;

namespace Netmap.Io.Tests.Rings;

// The ring's busy flag (netmap's nm_kr_tryget): a sync that meets another one on the same ring skips with
// SyncStatus.Busy. The flag is biased to the thread that syncs a ring all the time (a plain store instead of a
// locked instruction); these tests pin down that the bias changes nothing a user can see: exclusion, Busy, and
// what one holder wrote being visible to the next.
public sealed class RingBusyFlagTests : NetmapTestBase
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private PortHandle OpenNull() => Domain.Open("null", new RegisterOptions { TxSlots = 8, RxSlots = 8 });

    [Fact]
    public void A_thread_that_syncs_a_ring_on_and_on_gets_the_bias_and_loses_it_when_another_thread_syncs()
    {
        using var handle = OpenNull();
        var tx = handle.TxRing;
        var me = Environment.CurrentManagedThreadId;

        for (var i = 0; i < Ring.BiasAfter - 1; i++)
        {
            Assert.Equal(SyncStatus.Ok, tx.TxSync());
        }

        Assert.Equal(0, tx.BiasedThread);
        Assert.Equal(SyncStatus.Ok, tx.TxSync());
        Assert.Equal(me, tx.BiasedThread);
        Assert.Equal(SyncStatus.Ok, tx.TxSync()); // the biased path

        var other = RunOnOtherThread(() => tx.TxSync());

        Assert.Equal(SyncStatus.Ok, other);
        Assert.Equal(0, tx.BiasedThread);
        Assert.Equal(SyncStatus.Ok, tx.TxSync()); // and back to the compare-exchange, still fine
    }

    [Fact]
    public void A_sync_that_meets_a_holder_reports_Busy_whichever_side_holds_the_bias()
    {
        using var handle = OpenNull();
        var rx = handle.RxRing;
        for (var i = 0; i < Ring.BiasAfter; i++)
        {
            rx.RxSync();
        }

        Assert.Equal(Environment.CurrentManagedThreadId, rx.BiasedThread);

        // The biased thread holds it: another thread's sync is refused (and the bias stays).
        Assert.True(rx.TryEnterBusy());
        Assert.Equal(SyncStatus.Busy, RunOnOtherThread(() => rx.RxSync()));
        Assert.Equal(SyncStatus.Busy, rx.RxSync()); // a nested sync on the holder's own thread too
        rx.ExitBusy();
        Assert.Equal(Environment.CurrentManagedThreadId, rx.BiasedThread);

        // Another thread holds it: the biased thread's sync is refused.
        using var held = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var holder = new Thread(() =>
        {
            Assert.True(rx.TryEnterBusy());
            held.Set();
            release.Wait(Timeout);
            rx.ExitBusy();
        });
        holder.Start();
        Assert.True(held.Wait(Timeout));
        Assert.Equal(SyncStatus.Busy, rx.RxSync());
        release.Set();
        Assert.True(holder.Join(Timeout));
        Assert.Equal(SyncStatus.Ok, rx.RxSync());
    }

    [Fact]
    public void Two_threads_taking_the_flag_over_and_over_never_hold_it_together_and_see_each_others_writes()
    {
        using var handle = OpenNull();
        var ring = handle.TxRing;
        const int Biased = 100_000;
        const int Other = 5_000;
        var shared = new long[2]; // plain reads and writes, only under the flag: a lost update means two holders
        var entered = new int[2];
        var otherDone = 0;
        var deadline = DateTime.UtcNow + Timeout;

        // Thread 0 enters until it has entered Biased times and thread 1 is done: the two overlap all along.
        void Hammer(int who)
        {
            while (who == 0 ? entered[0] < Biased || Volatile.Read(ref otherDone) == 0 : entered[1] < Other)
            {
                Assert.True(DateTime.UtcNow < deadline, "the threads did not get their turns in time");
                if (!ring.TryEnterBusy())
                {
                    Thread.SpinWait(10); // the other one holds it: netmap's skip
                    continue;
                }

                var a = shared[0];
                var b = shared[1];
                shared[0] = a + 1;
                Thread.SpinWait(who == 0 ? 1 : 20);
                shared[1] = b + 1;
                entered[who]++;
                ring.ExitBusy();
            }
        }

        // Thread 0 syncs alone first, so it holds the bias when thread 1 starts; thread 1 then takes it away, and
        // thread 0 wins it back after BiasAfter entries in a row: both paths run against each other, many times.
        Exception? failure = null;
        var biased = new Thread(() => Catch(() => Hammer(0)));
        var other = new Thread(() => Catch(() => { Hammer(1); Volatile.Write(ref otherDone, 1); }));
        biased.Start();
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref entered[0]) > Ring.BiasAfter * 2, Timeout));
        Assert.Equal(biased.ManagedThreadId, ring.BiasedThread);
        other.Start();
        Assert.True(other.Join(Timeout));
        Assert.True(biased.Join(Timeout));

        Assert.Null(failure);
        Assert.Equal(Other, entered[1]);
        Assert.Equal(entered[0] + entered[1], shared[0]);
        Assert.Equal(entered[0] + entered[1], shared[1]);

        void Catch(Action body)
        {
            try
            {
                body();
            }
            catch (Exception e)
            {
                failure ??= e;
                Volatile.Write(ref otherDone, 1);
            }
        }
    }

    private static SyncStatus RunOnOtherThread(Func<SyncStatus> sync)
    {
        var status = SyncStatus.Ok;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                status = sync();
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        thread.Start();
        Assert.True(thread.Join(Timeout));
        Assert.Null(error);
        return status;
    }
}
