package fwi.cloud.profile;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A hardware profile's latency model, fitted from what its devices report: the p95 of one session run
 * on the profile is modelled as {@code a + b * x}, where {@code x} is the latency the reference
 * latency model (per-layer tables measured on the reference machine, {@code fwi.cloud.latency})
 * predicts for the model's per-layer shapes. Fitting against a per-layer prediction rather than MACs
 * keeps what the tables know (thin layers are memory-bound, 1x1 layers cheap) and learns only how
 * much slower and how much more fixed cost the profile has.
 *
 * <p>Until telemetry arrives the model is the prior {@code a = 0, b = priorSlowdown}. Each observed
 * model contributes one point (its p95 reports, smoothed). With one model (or several of about the
 * same cost) the slope is scaled through the reports and the intercept stays 0; with models whose
 * predicted costs differ by at least {@value #MIN_SPREAD} relative spread, least squares fits both.
 * {@link #estimate()} reports the fit and its error on the observed models.
 *
 * <p>Thread-safe (synchronized).
 */
public final class LatencyFit {
  /** How the current estimate was obtained. */
  public enum Source {
    /** No telemetry yet: the profile's prior slowdown. */
    PRIOR,
    /** Fitted from the devices' reports. */
    FITTED
  }

  /**
   * The model now: {@code p95 ms = interceptMs + slope * referenceMs}.
   *
   * @param points observed models the fit used
   * @param rmsRelativeError root-mean-square of (fitted - observed) / observed over those models; NaN for the prior
   */
  public record Estimate(double interceptMs, double slope, int points, double rmsRelativeError, Source source) {
    public double predictMs(double referenceMs) {
      return interceptMs + slope * referenceMs;
    }
  }

  private record Point(double referenceMs, double observedMs) {
  }

  /** Models must differ in predicted cost by this relative spread before an intercept is fitted. */
  static final double MIN_SPREAD = 0.1;
  /** Smoothing of repeated reports for one model: new = old + ALPHA * (report - old). */
  static final double ALPHA = 0.3;

  private final double priorSlowdown;
  private final Map<String, Point> points = new LinkedHashMap<>();

  /** @throws IllegalArgumentException if {@code priorSlowdown} is not positive and finite */
  public LatencyFit(double priorSlowdown) {
    if (!(priorSlowdown > 0) || Double.isInfinite(priorSlowdown)) {
      throw new IllegalArgumentException("prior slowdown must be positive and finite, but was " + priorSlowdown);
    }
    this.priorSlowdown = priorSlowdown;
  }

  /**
   * Records a device's report.
   *
   * @param modelKey identifies the model (its sha256)
   * @param referenceMs the reference prediction for that model's shapes, ms, positive
   * @param observedP95Ms the p95 the device reported, ms, positive
   * @throws IllegalArgumentException naming a value that is not positive and finite
   */
  public synchronized void observe(String modelKey, double referenceMs, double observedP95Ms) {
    if (!(referenceMs > 0) || Double.isInfinite(referenceMs)) {
      throw new IllegalArgumentException("reference latency must be positive and finite, but was " + referenceMs);
    }
    if (!(observedP95Ms > 0) || Double.isInfinite(observedP95Ms)) {
      throw new IllegalArgumentException("observed p95 must be positive and finite, but was " + observedP95Ms);
    }
    Point old = points.get(modelKey);
    double y = old == null ? observedP95Ms : old.observedMs + ALPHA * (observedP95Ms - old.observedMs);
    points.put(modelKey, new Point(referenceMs, y));
  }

  /** The fit now. */
  public synchronized Estimate estimate() {
    if (points.isEmpty()) {
      return new Estimate(0, priorSlowdown, 0, Double.NaN, Source.PRIOR);
    }
    double n = points.size();
    double sx = 0;
    double sy = 0;
    for (Point p : points.values()) {
      sx += p.referenceMs;
      sy += p.observedMs;
    }
    double xm = sx / n;
    double ym = sy / n;
    double sxx = 0;
    double sxy = 0;
    for (Point p : points.values()) {
      sxx += (p.referenceMs - xm) * (p.referenceMs - xm);
      sxy += (p.referenceMs - xm) * (p.observedMs - ym);
    }
    double a;
    double b;
    if (n >= 2 && Math.sqrt(sxx / n) >= MIN_SPREAD * xm) {
      // models of clearly different cost: ordinary least squares pins fixed cost and slowdown
      b = sxy / sxx;
      a = ym - b * xm;
    } else {
      // one model (or several of about the same cost): keep the prior's zero fixed cost and scale
      // the slowdown through the mean report
      a = 0;
      b = ym / xm;
    }
    double se = 0;
    for (Point p : points.values()) {
      double r = (a + b * p.referenceMs - p.observedMs) / p.observedMs;
      se += r * r;
    }
    return new Estimate(a, b, points.size(), Math.sqrt(se / points.size()), Source.FITTED);
  }
}
