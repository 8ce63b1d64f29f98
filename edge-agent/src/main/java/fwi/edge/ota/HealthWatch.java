package fwi.edge.ota;

import fwi.edge.inference.LatencyWindow;
import fwi.edge.inference.ModelInfo;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Watches a newly activated model for a window after the swap ({@code healthWindowMs} or
 * {@code healthWindowInferences}, whichever ends first) and judges it failed if
 * <ul>
 *   <li>more than {@code healthMaxErrorRatio} of its inferences failed (decided as soon as the
 *       window can no longer pass), or
 *   <li>the p95 latency of its successful inferences exceeds
 *       {@code max(smokeLatencyBudgetMs, healthLatencyFactor x p95 of the previous model)}.
 * </ul>
 * The previous model's p95 comes from the inferences reported while it served (the last
 * {@code healthWindowInferences}); without any, the budget alone is the limit. A window that ends
 * on time with fewer than {@link #MIN_EVIDENCE} inferences passes: there is no evidence against it.
 *
 * <p>Thread-safe: {@link #record} is called from inference threads, briefly synchronized.
 */
final class HealthWatch {
  /** Inferences needed to judge a window that ended on time. */
  static final int MIN_EVIDENCE = 5;
  private static final Logger LOG = Logger.getLogger(HealthWatch.class);

  /** The watched model failed; {@code detail} gives the numbers. */
  record Failure(ModelInfo model, String detail) {
  }

  private final OtaSettings settings;
  private Optional<ModelInfo> serving = Optional.empty();
  private LatencyWindow latencies;
  private boolean watching;
  private long startMs;
  private long baselineP95Nanos;
  private int count;
  private int errors;

  HealthWatch(OtaSettings settings) {
    this.settings = settings;
    this.latencies = new LatencyWindow(settings.healthWindowInferences());
  }

  /** Starts watching {@code model}, just activated; the model served so far gives the baseline. */
  synchronized void arm(ModelInfo model, long nowMs) {
    LatencyWindow.Snapshot before = latencies.snapshot();
    baselineP95Nanos = serving.isPresent() && !serving.get().equals(model) && before.count() > 0 ? before.p95() : 0;
    follow(model);
    watching = true;
    startMs = nowMs;
  }

  /** {@code model} serves now and is not watched (a rollback restored it). */
  synchronized void follow(ModelInfo model) {
    serving = Optional.of(model);
    latencies = new LatencyWindow(settings.healthWindowInferences());
    watching = false;
    count = 0;
    errors = 0;
  }

  synchronized boolean watching() {
    return watching;
  }

  /**
   * One inference outcome, reported by the host.
   *
   * @return the failure, once, when this outcome decides that the watched model failed
   */
  synchronized Optional<Failure> record(ModelInfo model, long latencyNanos, boolean ok) {
    if (serving.isEmpty() || !serving.get().equals(model)) {
      if (watching) {
        return Optional.empty(); // a request that started on the previous model, finishing after the swap
      }
      follow(model);
    }
    if (ok) {
      latencies.add(Math.max(0, latencyNanos));
    }
    if (!watching) {
      return Optional.empty();
    }
    count++;
    if (!ok) {
      errors++;
    }
    if (errors > settings.healthMaxErrorRatio() * settings.healthWindowInferences()) {
      return fail(errorDetail());
    }
    return count >= settings.healthWindowInferences() ? judge() : Optional.empty();
  }

  /** Ends the window when its time is up. */
  synchronized Optional<Failure> poll(long nowMs) {
    if (!watching || nowMs - startMs < settings.healthWindowMs()) {
      return Optional.empty();
    }
    if (count < Math.min(MIN_EVIDENCE, settings.healthWindowInferences())) {
      watching = false;
      LOG.infof("health window of %s ended after %d ms with %d inferences; too few to judge, keeping it",
          serving.map(ModelInfo::label).orElse("?"), nowMs - startMs, count);
      return Optional.empty();
    }
    return judge();
  }

  private Optional<Failure> judge() {
    if (errors > settings.healthMaxErrorRatio() * count) {
      return fail(errorDetail());
    }
    LatencyWindow.Snapshot s = latencies.snapshot();
    long budget = settings.smokeLatencyBudgetMs() * 1_000_000L;
    long limit = Math.max(budget, (long) (settings.healthLatencyFactor() * baselineP95Nanos));
    if (s.count() > 0 && s.p95() > limit) {
      return fail(String.format("p95 latency over %d inferences must be at most %.3f ms = max(budget %d ms, %.2f x "
              + "previous p95 %.3f ms), but was %.3f ms", s.count(), limit / 1e6, settings.smokeLatencyBudgetMs(),
          settings.healthLatencyFactor(), baselineP95Nanos / 1e6, s.p95() / 1e6));
    }
    watching = false;
    LOG.infof("%s passed its health window: %d inferences, %d failed, p95 %.3f ms",
        serving.map(ModelInfo::label).orElse("?"), count, errors, s.p95() / 1e6);
    return Optional.empty();
  }

  private String errorDetail() {
    return String.format("error ratio must be at most %.3f, but %d of %d inferences failed (window %d inferences)",
        settings.healthMaxErrorRatio(), errors, count, settings.healthWindowInferences());
  }

  private Optional<Failure> fail(String detail) {
    watching = false;
    return Optional.of(new Failure(serving.orElseThrow(), detail));
  }
}
