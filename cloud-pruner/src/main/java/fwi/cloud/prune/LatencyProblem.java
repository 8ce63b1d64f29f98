package fwi.cloud.prune;

import fwi.cloud.latency.LatencyModel;
import fwi.cloud.model.InvalidModelException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * What a latency plan chooses between, shared by the greedy and the knapsack search: the prunable
 * groups, how important each of their channels is, how few channels each may keep, and the
 * latency the model predicts for any choice of kept counts (a map from group id to count; groups
 * not named keep all their channels).
 *
 * <p>Importance is the criterion's score divided by the group's mean, so groups of different scale
 * compare and a group of {@code C} channels holds {@code C} units in all; keeping {@code k}
 * channels retains the {@code k} highest. Immutable.
 */
final class LatencyProblem {
  /** Greedy steps per group: each removes about 1/16 of its channels (at least the round-to multiple). */
  static final int STEPS = 16;

  private final List<ChannelGroup> groups;
  private final LayerChannels layers;
  private final LatencyModel model;
  private final int roundTo;
  /** Relative importance of each group's channels, ascending. */
  private final Map<Integer, double[]> ascending = new HashMap<>();
  /** {@code topSums[k]}: importance of the {@code k} most important channels. */
  private final Map<Integer, double[]> topSums = new HashMap<>();
  private final Map<Integer, Integer> floor = new HashMap<>();

  LatencyProblem(ChannelGraph cg, LatencyModel model, Criterion criterion, long seed, int roundTo, double maxRatio)
      throws InvalidModelException {
    this.groups = cg.prunable();
    this.layers = new LayerChannels(cg);
    this.model = model;
    this.roundTo = roundTo;
    for (ChannelGroup g : groups) {
      double[] s = Importance.scores(cg, g, criterion, seed);
      double mean = Arrays.stream(s).average().orElse(1);
      double[] rel = Arrays.stream(s).map(v -> mean > 0 ? v / mean : 1).sorted().toArray();
      ascending.put(g.id(), rel);
      double[] top = new double[rel.length + 1];
      for (int k = 1; k <= rel.length; k++) {
        top[k] = top[k - 1] + rel[rel.length - k];
      }
      topSums.put(g.id(), top);
      floor.put(g.id(), Plans.keep(g.channels(), maxRatio, roundTo));
    }
  }

  List<ChannelGroup> groups() {
    return groups;
  }

  /** Predicted latency in milliseconds when each group keeps {@code keep.get(id)} channels. */
  double predictMs(Map<Integer, Integer> keep) {
    return model.predictMs(layers.channels(keep));
  }

  /** Relative importance of the group's channels, ascending; do not modify. */
  double[] ascending(int group) {
    return ascending.get(group);
  }

  /** Importance retained when the group keeps its {@code k} most important channels. */
  double retained(int group, int k) {
    return topSums.get(group)[k];
  }

  /** Importance retained by a whole plan; groups not named keep everything. */
  double retained(Map<Integer, Integer> keep) {
    double sum = 0;
    for (ChannelGroup g : groups) {
      sum += retained(g.id(), keep.getOrDefault(g.id(), g.channels()));
    }
    return sum;
  }

  /** Importance of every channel of every group: what the unpruned model retains. */
  double totalImportance() {
    return retained(Map.of());
  }

  /** Fewest channels the group may keep: at most the maximum ratio removed, rounded as {@link Plans#keep}. */
  int floor(int group) {
    return floor.get(group);
  }

  /** Channels one greedy step removes from the group: about 1/16, rounded to a multiple of round-to. */
  int greedyStep(ChannelGroup g) {
    int st = Math.max(1, (int) Math.round(g.channels() / (double) STEPS));
    return roundTo > 1 ? Math.max(roundTo, roundTo * Math.round(st / (float) roundTo)) : st;
  }

  /**
   * Kept counts the knapsack chooses between, descending from the full count to the floor: every
   * count the greedy search can reach (the full count less whole greedy steps), the floor itself,
   * and, when round-to is above 1, every multiple of it in between, so the knapsack can stop at
   * finer points than the greedy steps without breaking the rounding.
   */
  int[] candidates(ChannelGroup g) {
    int c = g.channels();
    int lo = floor(g.id());
    TreeSet<Integer> k = new TreeSet<>();
    k.add(lo);
    for (int v = c; v >= lo; v -= greedyStep(g)) {
      k.add(v);
    }
    if (roundTo > 1 && c >= roundTo) {
      for (int v = roundTo * (int) Math.ceil(lo / (double) roundTo); v < c; v += roundTo) {
        k.add(v);
      }
    }
    return k.descendingSet().stream().mapToInt(Integer::intValue).toArray();
  }

  /** Every group at its full count. */
  Map<Integer, Integer> full() {
    Map<Integer, Integer> keep = new LinkedHashMap<>();
    groups.forEach(g -> keep.put(g.id(), g.channels()));
    return keep;
  }

  /** Every group at its floor: the smallest model the plan may produce. */
  Map<Integer, Integer> smallest() {
    Map<Integer, Integer> keep = new LinkedHashMap<>();
    groups.forEach(g -> keep.put(g.id(), floor(g.id())));
    return keep;
  }
}
