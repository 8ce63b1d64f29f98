package fwi.cloud.sim;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** The counters all simulated devices of a run add to; thread-safe. */
final class SimCounters {
  private final Map<SimStream, LongAdder> sent = new EnumMap<>(SimStream.class);
  private final Map<SimStream, LongAdder> acknowledged = new EnumMap<>(SimStream.class);
  private final LongAdder refused = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder skipped = new LongAdder();
  private final LongAdder connects = new LongAdder();
  private final LongAdder connectFailures = new LongAdder();
  private final LongAdder connectionsLost = new LongAdder();
  private final AtomicInteger connected = new AtomicInteger();
  private final LatencyHistogram latency = new LatencyHistogram();
  private volatile Optional<String> lastProblem = Optional.empty();

  SimCounters() {
    for (SimStream s : SimStream.values()) {
      sent.put(s, new LongAdder());
      acknowledged.put(s, new LongAdder());
    }
  }

  void sent(SimStream s) {
    sent.get(s).increment();
  }

  void acknowledged(SimStream s, long latencyNanos) {
    acknowledged.get(s).increment();
    latency.record(latencyNanos / 1000);
  }

  void refused(String problem) {
    refused.increment();
    lastProblem = Optional.of(problem);
  }

  void failed(String problem) {
    failed.increment();
    lastProblem = Optional.of(problem);
  }

  void skipped() {
    skipped.increment();
  }

  void connectFailed(String problem) {
    connectFailures.increment();
    lastProblem = Optional.of(problem);
  }

  void connected() {
    connects.increment();
    connected.incrementAndGet();
  }

  /** A connection ended: lost if the run did not end it on purpose. */
  void disconnected(boolean lost, String problem) {
    connected.decrementAndGet();
    if (lost) {
      connectionsLost.increment();
      lastProblem = Optional.of(problem);
    }
  }

  /** The counters now. */
  Snapshot snapshot(long nanoTime) {
    long[] s = new long[SimStream.values().length];
    long[] a = new long[s.length];
    for (SimStream x : SimStream.values()) {
      s[x.ordinal()] = sent.get(x).sum();
      a[x.ordinal()] = acknowledged.get(x).sum();
    }
    return new Snapshot(nanoTime, connected.get(), connects.sum(), connectFailures.sum(), connectionsLost.sum(), s, a,
        refused.sum(), failed.sum(), skipped.sum(), latency.snapshot(), lastProblem);
  }

  /** The counters at one moment. */
  record Snapshot(long nanoTime, int connected, long connects, long connectFailures, long connectionsLost,
      long[] sent, long[] acknowledged, long refused, long failed, long skipped, long[] latency,
      Optional<String> lastProblem) {

    /** What happened between {@code earlier} and this snapshot, for {@code devices} devices. */
    FleetSimReport since(Snapshot earlier, int devices) {
      Map<SimStream, Long> s = new EnumMap<>(SimStream.class);
      Map<SimStream, Long> a = new EnumMap<>(SimStream.class);
      for (SimStream x : SimStream.values()) {
        s.put(x, sent[x.ordinal()] - earlier.sent[x.ordinal()]);
        a.put(x, acknowledged[x.ordinal()] - earlier.acknowledged[x.ordinal()]);
      }
      long[] l = new long[latency.length];
      for (int i = 0; i < l.length; i++) {
        l[i] = latency[i] - earlier.latency[i];
      }
      return new FleetSimReport((nanoTime - earlier.nanoTime) / 1_000_000, devices, connected,
          connects - earlier.connects, connectFailures - earlier.connectFailures,
          connectionsLost - earlier.connectionsLost, s, a, refused - earlier.refused, failed - earlier.failed,
          skipped - earlier.skipped, LatencyHistogram.summarize(l), lastProblem);
    }

    /** All zero, at {@code nanoTime}: the start of a run. */
    static Snapshot zero(long nanoTime) {
      int streams = SimStream.values().length;
      return new Snapshot(nanoTime, 0, 0, 0, 0, new long[streams], new long[streams], 0, 0, 0,
          new long[LatencyHistogram.BUCKETS], Optional.empty());
    }
  }
}
