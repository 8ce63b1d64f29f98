package fwi.edge.inference;

import java.util.Arrays;
import java.util.Optional;

/** Accumulates one telemetry window; {@link #cut} hands it over and starts the next. Thread-safe. */
final class TelemetryWindow {
  private long startUnixMs = System.currentTimeMillis();
  private long startNanos = System.nanoTime();
  private long[] latencies = new long[64];
  private int n;
  private long inferenceErrors;
  private long inputErrors;
  private long dropped;

  synchronized void add(long nanos) {
    if (n == latencies.length) {
      latencies = Arrays.copyOf(latencies, n * 2);
    }
    latencies[n++] = nanos;
  }

  synchronized void inferenceError() {
    inferenceErrors++;
  }

  synchronized void inputError() {
    inputErrors++;
  }

  synchronized void dropped() {
    dropped++;
  }

  synchronized WindowReport cut(Optional<ModelInfo> model) {
    long now = System.nanoTime();
    long[] sorted = Arrays.copyOf(latencies, n);
    Arrays.sort(sorted);
    WindowReport r = new WindowReport(startUnixMs, (now - startNanos) / 1_000_000, model, sorted, inferenceErrors,
        inputErrors, dropped);
    startUnixMs = System.currentTimeMillis();
    startNanos = now;
    n = 0;
    if (latencies.length > 4096) {
      latencies = new long[64];
    }
    inferenceErrors = 0;
    inputErrors = 0;
    dropped = 0;
    return r;
  }
}
