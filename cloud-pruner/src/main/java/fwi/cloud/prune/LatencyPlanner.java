package fwi.cloud.prune;

import fwi.cloud.latency.LatencyModel;
import fwi.cloud.model.InvalidModelException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Latency-aware plan: per-group channel counts that the latency model predicts within a target,
 * losing as little importance as it can. Importance is the criterion's score relative to the
 * group's mean, so groups of different scale compare (see {@link LatencyProblem}). Two searches:
 * {@link Method#GREEDY} (NetAdapt style) and {@link Method#KNAPSACK} (HALP style). Stateless.
 */
public final class LatencyPlanner {
  /** How the counts are searched. */
  public enum Method {
    /**
     * From the full model, repeatedly removes one step of channels from the group where it buys
     * the most predicted latency per unit of importance lost, until the target is met. Fast, but
     * a step that looks best now can rule out a better combination later.
     */
    GREEDY,
    /**
     * Chooses every group's count at once by dynamic programming over a discretized latency
     * budget, starting from the greedy plan and keeping it if nothing better is verified (see
     * {@link LatencyKnapsack}); retains at least as much importance as {@link #GREEDY}.
     */
    KNAPSACK;

    /** The name the command line and the plan's settings use: {@code greedy} or {@code knapsack}. */
    public String cliName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private LatencyPlanner() {}

  /** {@link #plan(ChannelGraph, LatencyModel, double, Criterion, long, int, double, Method)} with the greedy search. */
  public static PrunePlan plan(ChannelGraph cg, LatencyModel model, double targetMs, Criterion criterion, long seed,
      int roundTo, double maxRatio) throws InvalidModelException {
    return plan(cg, model, targetMs, criterion, seed, roundTo, maxRatio, Method.GREEDY);
  }

  /**
   * Plans per-group channel counts that meet {@code targetMs} under {@code model}. The plan's
   * settings record the prediction, the method and the importance retained (of {@code total_importance},
   * one unit per channel).
   *
   * @param maxRatio no group loses more than this fraction of its channels, in (0, 1)
   * @throws IllegalArgumentException if even the smallest allowed model is predicted slower than the
   *     target, naming both latencies
   */
  public static PrunePlan plan(ChannelGraph cg, LatencyModel model, double targetMs, Criterion criterion, long seed,
      int roundTo, double maxRatio, Method method) throws InvalidModelException {
    if (!(targetMs > 0)) {
      throw new IllegalArgumentException("target latency must be positive, but was " + targetMs + " ms");
    }
    if (!(maxRatio > 0 && maxRatio < 1)) {
      throw new IllegalArgumentException("maximum ratio per layer must be in (0, 1), but was " + maxRatio);
    }
    LatencyProblem p = new LatencyProblem(cg, model, criterion, seed, roundTo, maxRatio);
    double start = p.predictMs(p.full());
    Map<Integer, Integer> greedy = greedy(p, targetMs);
    double greedyMs = p.predictMs(greedy);
    Map<Integer, Integer> keep = switch (method) {
      case GREEDY -> {
        if (greedyMs > targetMs) {
          throw unreachable(targetMs, maxRatio, greedyMs, start);
        }
        yield greedy;
      }
      case KNAPSACK -> {
        // The knapsack may stop between greedy steps, so only the smallest model itself decides reachability.
        double smallest = p.predictMs(p.smallest());
        if (smallest > targetMs) {
          throw unreachable(targetMs, maxRatio, smallest, start);
        }
        yield LatencyKnapsack.solve(p, targetMs, greedyMs <= targetMs ? greedy : p.smallest());
      }
    };
    Map<String, Integer> byName = new LinkedHashMap<>();
    for (ChannelGroup g : p.groups()) {
      byName.put(g.name(), keep.get(g.id()));
    }
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("target_ms", Plans.fmt(targetMs));
    settings.put("predicted_ms", String.format(Locale.ROOT, "%.3f", p.predictMs(keep)));
    settings.put("unpruned_predicted_ms", String.format(Locale.ROOT, "%.3f", start));
    settings.put("latency_model", model.getClass().getSimpleName());
    settings.put("latency_method", method.cliName());
    settings.put("retained_importance", String.format(Locale.ROOT, "%.3f", p.retained(keep)));
    settings.put("total_importance", String.format(Locale.ROOT, "%.3f", p.totalImportance()));
    settings.put("max_ratio", Plans.fmt(maxRatio));
    settings.put("round_to", Integer.toString(roundTo));
    return new PrunePlan("latency", byName, settings);
  }

  private static IllegalArgumentException unreachable(double targetMs, double maxRatio, double smallestMs,
      double unprunedMs) {
    return new IllegalArgumentException(String.format(Locale.ROOT, "target latency %.3f ms cannot be met: the smallest "
        + "model allowed (at most %.3f of each layer's channels removed) is predicted at %.3f ms (unpruned %.3f ms)",
        targetMs, maxRatio, smallestMs, unprunedMs));
  }

  /**
   * The greedy search: stops at the first plan within the target, or, when no step lowers the
   * predicted latency any more, at the last plan reached (then above the target).
   */
  private static Map<Integer, Integer> greedy(LatencyProblem p, double targetMs) {
    Map<Integer, Integer> keep = p.full();
    double predicted = p.predictMs(keep);
    while (predicted > targetMs) {
      ChannelGroup best = null;
      double bestValue = -1;
      double bestMs = predicted;
      for (ChannelGroup g : p.groups()) {
        int k = keep.get(g.id());
        int next = k - p.greedyStep(g);
        if (next < p.floor(g.id()) || next < 1) {
          continue;
        }
        keep.put(g.id(), next);
        double ms = p.predictMs(keep);
        keep.put(g.id(), k);
        double gain = predicted - ms;
        if (gain <= 0) {
          continue;
        }
        // The channels removed are the least important of those still kept: ranks [C-k, C-next).
        double[] rel = p.ascending(g.id());
        double lost = 0;
        for (int i = g.channels() - k; i < g.channels() - next; i++) {
          lost += rel[i];
        }
        double value = gain / (lost + 1e-9);
        if (value > bestValue) {
          bestValue = value;
          best = g;
          bestMs = ms;
        }
      }
      if (best == null) {
        return keep;
      }
      keep.put(best.id(), keep.get(best.id()) - p.greedyStep(best));
      predicted = bestMs;
    }
    return keep;
  }
}
