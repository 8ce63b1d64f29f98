package fwi.cloud.prune;

import fwi.cloud.latency.LatencyModel;
import fwi.cloud.model.InvalidModelException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Latency-aware plan (NetAdapt/HALP style): starting from the full model, repeatedly removes one
 * step of channels from the group where it buys the most predicted latency per unit of importance
 * lost, until the latency model predicts the target is met. Importance is the criterion's score
 * relative to the group's mean, so groups of different scale compare. Stateless.
 */
public final class LatencyPlanner {
  /** Steps per group: each removes about 1/16 of its channels (at least the round-to multiple). */
  static final int STEPS = 16;

  private LatencyPlanner() {}

  /**
   * Plans per-group channel counts that meet {@code targetMs} under {@code model}.
   *
   * @param maxRatio no group loses more than this fraction of its channels, in (0, 1)
   * @throws IllegalArgumentException if even the smallest allowed model is predicted slower than the
   *     target, naming both latencies
   */
  public static PrunePlan plan(ChannelGraph cg, LatencyModel model, double targetMs, Criterion criterion, long seed,
      int roundTo, double maxRatio) throws InvalidModelException {
    if (!(targetMs > 0)) {
      throw new IllegalArgumentException("target latency must be positive, but was " + targetMs + " ms");
    }
    if (!(maxRatio > 0 && maxRatio < 1)) {
      throw new IllegalArgumentException("maximum ratio per layer must be in (0, 1), but was " + maxRatio);
    }
    LayerChannels layers = new LayerChannels(cg);
    List<ChannelGroup> groups = cg.prunable();
    Map<Integer, Integer> keep = new HashMap<>();
    Map<Integer, double[]> sortedScores = new HashMap<>();
    Map<Integer, Integer> step = new HashMap<>();
    Map<Integer, Integer> floor = new HashMap<>();
    for (ChannelGroup g : groups) {
      double[] s = Importance.scores(cg, g, criterion, seed);
      double mean = Arrays.stream(s).average().orElse(1);
      double[] rel = Arrays.stream(s).map(v -> mean > 0 ? v / mean : 1).sorted().toArray();
      sortedScores.put(g.id(), rel);
      keep.put(g.id(), g.channels());
      int st = Math.max(1, (int) Math.round(g.channels() / (double) STEPS));
      st = roundTo > 1 ? Math.max(roundTo, roundTo * Math.round(st / (float) roundTo)) : st;
      step.put(g.id(), st);
      floor.put(g.id(), Plans.keep(g.channels(), maxRatio, roundTo));
    }
    double start = model.predictMs(layers.channels(keep));
    double predicted = start;
    while (predicted > targetMs) {
      int best = -1;
      double bestValue = -1;
      double bestMs = predicted;
      for (ChannelGroup g : groups) {
        int k = keep.get(g.id());
        int next = k - step.get(g.id());
        if (next < floor.get(g.id()) || next < 1) {
          continue;
        }
        keep.put(g.id(), next);
        double ms = model.predictMs(layers.channels(keep));
        keep.put(g.id(), k);
        double gain = predicted - ms;
        if (gain <= 0) {
          continue;
        }
        // The channels removed are the least important of those still kept: ranks [C-k, C-next).
        double[] rel = sortedScores.get(g.id());
        double lost = 0;
        for (int i = g.channels() - k; i < g.channels() - next; i++) {
          lost += rel[i];
        }
        double value = gain / (lost + 1e-9);
        if (value > bestValue) {
          bestValue = value;
          best = g.id();
          bestMs = ms;
        }
      }
      if (best < 0) {
        throw new IllegalArgumentException(String.format(Locale.ROOT, "target latency %.3f ms cannot be met: the "
            + "smallest model allowed (at most %.3f of each layer's channels removed) is predicted at %.3f ms "
            + "(unpruned %.3f ms)", targetMs, maxRatio, predicted, start));
      }
      keep.put(best, keep.get(best) - step.get(best));
      predicted = bestMs;
    }
    Map<String, Integer> byName = new LinkedHashMap<>();
    for (ChannelGroup g : groups) {
      byName.put(g.name(), keep.get(g.id()));
    }
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("target_ms", Plans.fmt(targetMs));
    settings.put("predicted_ms", String.format(Locale.ROOT, "%.3f", predicted));
    settings.put("unpruned_predicted_ms", String.format(Locale.ROOT, "%.3f", start));
    settings.put("latency_model", model.getClass().getSimpleName());
    settings.put("max_ratio", Plans.fmt(maxRatio));
    settings.put("round_to", Integer.toString(roundTo));
    return new PrunePlan("latency", byName, settings);
  }
}
