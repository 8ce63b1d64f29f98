package fwi.cloud.sim;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * Counters of a {@link FleetSimulator} over a span of time: the whole run so far, or the interval
 * since the previous progress report.
 *
 * @param elapsedMs length of the span, ms
 * @param devices simulated devices
 * @param connected devices connected at the end of the span (none once a run has ended)
 * @param connects connections the broker accepted during the span
 * @param connectFailures connection attempts the broker refused or that timed out (reason in {@code lastProblem})
 * @param connectionsLost connections that dropped while the run went on
 * @param sent QoS 1 publishes handed to the client, per stream
 * @param acknowledged of those, PUBACKs with a success reason code (below 0x80), per stream
 * @param refused PUBACKs with an error reason code (0x80 and above), e.g. 0x87 Not authorized
 * @param failed publishes that got no PUBACK: the connection was down or dropped
 * @param skipped publishes not made because the device's in-flight window was full (the broker
 *     acknowledges more slowly than the device publishes)
 * @param latency time from publish to PUBACK of the acknowledged messages; empty if none
 * @param lastProblem the last connect failure, refusal or lost connection, with its reason
 */
public record FleetSimReport(long elapsedMs, int devices, int connected, long connects, long connectFailures,
    long connectionsLost, Map<SimStream, Long> sent, Map<SimStream, Long> acknowledged, long refused, long failed,
    long skipped, Optional<Latency> latency, Optional<String> lastProblem) {

  public FleetSimReport {
    sent = Map.copyOf(complete(sent));
    acknowledged = Map.copyOf(complete(acknowledged));
  }

  private static Map<SimStream, Long> complete(Map<SimStream, Long> m) {
    Map<SimStream, Long> all = new EnumMap<>(SimStream.class);
    for (SimStream s : SimStream.values()) {
      all.put(s, m.getOrDefault(s, 0L));
    }
    return all;
  }

  /**
   * Publish-to-PUBACK latency percentiles (nearest rank, within 1.6 %), microseconds.
   *
   * @param count acknowledged messages measured
   */
  public record Latency(long count, long p50Us, long p95Us, long p99Us, long maxUs) {
  }

  public long sentTotal() {
    return sent.values().stream().mapToLong(Long::longValue).sum();
  }

  public long acknowledgedTotal() {
    return acknowledged.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Publishes per second over the span. */
  public double sentPerSecond() {
    return elapsedMs <= 0 ? 0 : sentTotal() * 1000.0 / elapsedMs;
  }

  /** Acknowledged publishes per second over the span. */
  public double acknowledgedPerSecond() {
    return elapsedMs <= 0 ? 0 : acknowledgedTotal() * 1000.0 / elapsedMs;
  }
}
