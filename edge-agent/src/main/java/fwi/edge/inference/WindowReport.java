package fwi.edge.inference;

import java.util.Optional;

/**
 * What happened in one telemetry window; the source of {@code fwi.v1.Telemetry}.
 *
 * @param startUnixMs window start, wall clock, inclusive
 * @param lengthMs window length (monotonic clock)
 * @param model the model that served every inference of the window, if any
 * @param latencyNanos latencies of the successful inferences, sorted ascending
 */
public record WindowReport(long startUnixMs, long lengthMs, Optional<ModelInfo> model, long[] latencyNanos,
    long inferenceErrors, long inputErrors, long dropped) {
  public WindowReport {
    latencyNanos = latencyNanos.clone();
  }

  @Override
  public long[] latencyNanos() {
    return latencyNanos.clone();
  }

  public int count() {
    return latencyNanos.length;
  }

  /** Nearest-rank percentile {@code q} in (0, 1], nanoseconds; 0 for an empty window. */
  public long percentile(double q) {
    if (latencyNanos.length == 0) {
      return 0;
    }
    int i = (int) Math.ceil(q * latencyNanos.length) - 1;
    return latencyNanos[Math.max(0, Math.min(latencyNanos.length - 1, i))];
  }

  public long max() {
    return latencyNanos.length == 0 ? 0 : latencyNanos[latencyNanos.length - 1];
  }

  public long mean() {
    long s = 0;
    for (long v : latencyNanos) {
      s += v;
    }
    return latencyNanos.length == 0 ? 0 : s / latencyNanos.length;
  }
}
