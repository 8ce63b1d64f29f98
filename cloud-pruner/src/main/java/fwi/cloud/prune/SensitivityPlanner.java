package fwi.cloud.prune;

import fwi.cloud.model.InvalidModelException;
import fwi.runtime.ort.InferenceException;
import fwi.runtime.ort.ModelLoadException;
import fwi.runtime.ort.ModelRunner;
import fwi.runtime.ort.RunnerOptions;
import fwi.runtime.tensor.FloatTensor;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Sensitivity-guided plan in the manner of Reconvene (structured pruning at initialization): each
 * prunable group is pruned alone at a probe ratio and the model run on a calibration batch; the
 * output's RMS change is the group's sensitivity. Groups are then pruned least sensitive first:
 * each in turn is taken through rising ratios (the probe ratio, then halving what is left, up to the
 * maximum) before the next is touched, until a MACs or parameter target is met, so the most
 * sensitive groups stay whole. Works on untrained (at initialization) and trained models alike. Stateless.
 */
public final class SensitivityPlanner {
  private SensitivityPlanner() {}

  /** What the plan must reach. */
  public enum Measure { MACS, PARAMS }

  /**
   * A size target.
   *
   * @param measure MACs per sample or trainable parameters
   * @param value the most the pruned model may have
   */
  public record Target(Measure measure, long value) {
    public Target {
      if (value < 1) {
        throw new IllegalArgumentException(measure + " target must be at least 1, but was " + value);
      }
    }
  }

  /**
   * One group's sensitivity.
   *
   * @param group group name
   * @param rmsChange RMS change of the model output on the calibration batch when the group alone is
   *     pruned at the probe ratio, in output units
   */
  public record Sensitivity(String group, double rmsChange) {}

  /**
   * Measures every prunable group's sensitivity.
   *
   * @param calibration a batch the model accepts, e.g. {@code [N, 5, 1000, 70]} gathers
   * @param probeRatio ratio each group is pruned at alone, in (0, 1)
   */
  public static List<Sensitivity> measure(ChannelGraph cg, FloatTensor calibration, double probeRatio,
      Criterion criterion, long seed, RunnerOptions options)
      throws InvalidModelException, ModelLoadException, InferenceException {
    if (!(probeRatio > 0 && probeRatio < 1)) {
      throw new IllegalArgumentException("probe ratio must be in (0, 1), but was " + probeRatio);
    }
    float[] base;
    try (ModelRunner r = ModelRunner.open(cg.model().toByteArray(), options, "unpruned model")) {
      base = r.run(calibration).data();
    }
    List<Sensitivity> out = new ArrayList<>();
    for (ChannelGroup g : cg.prunable()) {
      PrunePlan alone = new PrunePlan("probe", Map.of(g.name(), Plans.keep(g.channels(), probeRatio, 1)), Map.of());
      PruneResult p = Pruner.prune(cg, "probe", alone, criterion, seed);
      float[] y;
      try (ModelRunner r = ModelRunner.open(p.model().toByteArray(), options, "model with '" + g.name() + "' pruned")) {
        y = r.run(calibration).data();
      }
      double sum = 0;
      for (int i = 0; i < y.length; i++) {
        double d = (double) y[i] - base[i];
        sum += d * d;
      }
      out.add(new Sensitivity(g.name(), Math.sqrt(sum / y.length)));
    }
    return out;
  }

  /**
   * Plans channel counts from measured sensitivities.
   *
   * @param probeRatio the first ratio applied to each group, least sensitive first
   * @param maxRatio the highest ratio any group reaches, in [probeRatio, 1)
   * @throws IllegalArgumentException if every group at {@code maxRatio} still misses the target
   */
  public static PrunePlan plan(ChannelGraph cg, List<Sensitivity> sensitivities, Target target, double probeRatio,
      double maxRatio, int roundTo) throws InvalidModelException {
    if (!(maxRatio >= probeRatio && maxRatio < 1)) {
      throw new IllegalArgumentException("maximum ratio must be in [" + probeRatio + ", 1), but was " + maxRatio);
    }
    LayerChannels layers = new LayerChannels(cg);
    List<Sensitivity> order = new ArrayList<>(sensitivities);
    order.sort(Comparator.comparingDouble(Sensitivity::rmsChange));
    Map<Integer, Integer> keep = new HashMap<>();
    // Ratios rise by halving what is left, from the probe ratio up to the maximum: 0.5, 0.75, 0.875, ...
    List<Double> levels = new ArrayList<>();
    for (double r = probeRatio; r < maxRatio - 1e-9; r = 1 - (1 - r) / 2) {
      levels.add(r);
    }
    levels.add(maxRatio);
    long size = size(layers, keep, target.measure());
    long initial = size;
    outer:
    for (Sensitivity s : order) {
      ChannelGroup g = cg.group(s.group()).orElseThrow(() -> new IllegalArgumentException("sensitivity names group '"
          + s.group() + "', which this model does not have"));
      for (double r : levels) {
        if (size <= target.value()) {
          break outer;
        }
        keep.put(g.id(), Plans.keep(g.channels(), r, roundTo));
        size = size(layers, keep, target.measure());
      }
    }
    if (size > target.value()) {
      throw new IllegalArgumentException(String.format(Locale.ROOT, "%s target %,d cannot be met: with every group "
          + "at ratio %s the model still has %,d (unpruned %,d)", target.measure().name().toLowerCase(Locale.ROOT),
          target.value(), maxRatio, size, initial));
    }
    Map<String, Integer> byName = new LinkedHashMap<>();
    for (ChannelGroup g : cg.prunable()) {
      byName.put(g.name(), keep.getOrDefault(g.id(), g.channels()));
    }
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("target_" + target.measure().name().toLowerCase(Locale.ROOT), Long.toString(target.value()));
    settings.put("predicted_" + target.measure().name().toLowerCase(Locale.ROOT), Long.toString(size));
    settings.put("probe_ratio", Plans.fmt(probeRatio));
    settings.put("max_ratio", Plans.fmt(maxRatio));
    settings.put("round_to", Integer.toString(roundTo));
    StringBuilder ranking = new StringBuilder();
    for (Sensitivity s : order) {
      ranking.append(ranking.length() == 0 ? "" : ",").append(s.group())
          .append(String.format(Locale.ROOT, ":%.4g", s.rmsChange()));
    }
    settings.put("sensitivity", ranking.toString());
    return new PrunePlan("sensitivity", byName, settings);
  }

  private static long size(LayerChannels layers, Map<Integer, Integer> keep, Measure m) {
    return m == Measure.MACS ? layers.macs(keep) : layers.params(keep);
  }
}
