package fwi.cloud.planner;

import fwi.cloud.latency.LatencyModel;
import fwi.cloud.latency.LatencyTable;
import java.util.Map;
import java.util.function.DoubleFunction;

/**
 * The least uniform pruning that a latency model predicts to meet a target: the largest kept fraction
 * of channels whose predicted latency is at or below the target, found by bisection (predicted latency
 * falls as channels go; the search keeps the best fraction seen, so a non-monotone step of the table
 * cannot return one that misses).
 */
public final class UniformTarget {
  /**
   * @param ratio pruning ratio, {@code 1 - keep}, in [0, 1)
   * @param predictedMs the model's prediction at that ratio
   */
  public record Choice(double ratio, double predictedMs) {
  }

  private UniformTarget() {
  }

  /** Against a reference latency table. */
  public static Choice of(LatencyTable table, LatencyModel model, double targetMs, double maxRatio) {
    return search(keep -> table.uniformChannels(keep), model, targetMs, maxRatio);
  }

  /**
   * Like {@link #of}, but a target that even {@code maxRatio} misses gives the choice at {@code maxRatio}: the
   * fastest model allowed, whose prediction then lies above the target. For the fleet's jobs, where the target
   * comes from a latency model fitted to noisy field telemetry, and the rollout's gates judge the result.
   *
   * @throws IllegalArgumentException if {@code maxRatio} is not in (0, 1)
   */
  public static Choice ofOrFastest(LatencyTable table, LatencyModel model, double targetMs, double maxRatio) {
    return searchOrFastest(keep -> table.uniformChannels(keep), model, targetMs, maxRatio);
  }

  static Choice searchOrFastest(DoubleFunction<Map<String, int[]>> channelsAt, LatencyModel model, double targetMs,
      double maxRatio) {
    if (maxRatio > 0 && maxRatio < 1) {
      double thinnest = model.predictMs(channelsAt.apply(1 - maxRatio));
      if (thinnest > targetMs) {
        return new Choice(maxRatio, thinnest);
      }
    }
    return search(channelsAt, model, targetMs, maxRatio);
  }

  /**
   * @param channelsAt channels per layer at a kept fraction
   * @param maxRatio the most pruning allowed, in (0, 1)
   * @throws IllegalArgumentException if even {@code maxRatio} misses the target, naming both
   */
  static Choice search(DoubleFunction<Map<String, int[]>> channelsAt, LatencyModel model, double targetMs,
      double maxRatio) {
    if (!(maxRatio > 0 && maxRatio < 1)) {
      throw new IllegalArgumentException("max ratio must be in (0, 1), but was " + maxRatio);
    }
    double full = model.predictMs(channelsAt.apply(1.0));
    if (full <= targetMs) {
      return new Choice(0, full);
    }
    double thinnest = model.predictMs(channelsAt.apply(1 - maxRatio));
    if (thinnest > targetMs) {
      throw new IllegalArgumentException(String.format("target %.2f ms cannot be reached by uniform pruning up to ratio "
          + "%.2f (predicted %.2f ms there)", targetMs, maxRatio, thinnest));
    }
    double lo = 1 - maxRatio; // meets the target
    double loMs = thinnest;
    double hi = 1.0; // misses
    for (int i = 0; i < 30 && hi - lo > 1e-4; i++) {
      double mid = (lo + hi) / 2;
      double ms = model.predictMs(channelsAt.apply(mid));
      if (ms <= targetMs) {
        lo = mid;
        loMs = ms;
      } else {
        hi = mid;
      }
    }
    return new Choice(1 - lo, loMs);
  }
}
