package fwi.cloud.prune;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Knapsack search for a latency plan, after HALP (Shen et al., "Structural Pruning via
 * Latency-Saliency Knapsack", NeurIPS 2022): choose for every group one kept count from its
 * candidates so that the importance retained is largest while the predicted latency stays within
 * the target, by dynamic programming over a latency budget cut into {@value #BINS} bins.
 *
 * <p>A knapsack needs each item's cost on its own, but latency is not a sum over groups: a layer
 * is sized by the group it reads and the group it writes, so its time depends on both. As HALP
 * does, each group's cost is therefore taken with its neighbours held at the current solution:
 * the model's predicted change when that group alone moves to a candidate count. That is exact
 * for one group at a time and a first-order estimate for several, so the search re-linearizes
 * around each new solution ({@value #ITERATIONS} rounds), checks every solution with the full
 * latency model, tightens the budget by the overshoot when the estimate was too kind (up to
 * {@value #TIGHTENINGS} times), and finally refills leftover time greedily with the channels that
 * buy the most importance per millisecond. The plan returned is the best verified one, never worse
 * than the starting solution. Costs are rounded up to whole bins, so the rounding never hides an
 * overshoot. Stateless.
 */
final class LatencyKnapsack {
  /** Bins the latency budget is cut into; the rounding costs at most one bin per group. */
  static final int BINS = 10000;
  /** Rounds of re-linearizing around the latest solution. */
  static final int ITERATIONS = 3;
  /** Times one round may shrink its budget after a solution the full model finds too slow. */
  static final int TIGHTENINGS = 4;

  private LatencyKnapsack() {}

  /**
   * The kept counts retaining the most importance found within {@code targetMs}.
   *
   * @param start a plan the model predicts within the target (the greedy plan, or the smallest
   *     model); the first linearization point and the fallback
   */
  static Map<Integer, Integer> solve(LatencyProblem p, double targetMs, Map<Integer, Integer> start) {
    Map<Integer, Integer> best = start;
    double bestValue = p.retained(start);
    Map<Integer, Integer> current = start;
    for (int round = 0; round < ITERATIONS; round++) {
      Linearization lin = Linearization.around(p, current);
      double allowance = targetMs - lin.baseMs();
      Map<Integer, Integer> verified = null;
      for (int t = 0; t <= TIGHTENINGS && verified == null; t++) {
        Map<Integer, Integer> k = lin.best(p, allowance);
        double ms = p.predictMs(k);
        if (ms <= targetMs) {
          verified = k;
        } else {
          allowance -= ms - targetMs;
        }
      }
      if (verified == null) {
        break;
      }
      verified = refill(p, verified, targetMs);
      if (p.retained(verified) > bestValue) {
        best = verified;
        bestValue = p.retained(verified);
      }
      if (verified.equals(current)) {
        break;
      }
      current = verified;
    }
    return best;
  }

  /**
   * Spends what is left of the target: repeatedly raises the one group whose next larger candidate
   * retains the most importance per millisecond added while the full model stays within the target.
   */
  static Map<Integer, Integer> refill(LatencyProblem p, Map<Integer, Integer> keep, double targetMs) {
    Map<Integer, Integer> k = new LinkedHashMap<>(keep);
    Map<Integer, int[]> candidates = new HashMap<>();
    p.groups().forEach(g -> candidates.put(g.id(), p.candidates(g)));
    double ms = p.predictMs(k);
    while (true) {
      int bestGroup = -1;
      int bestCount = 0;
      double bestRatio = -1;
      double bestMs = ms;
      for (ChannelGroup g : p.groups()) {
        int now = k.get(g.id());
        int next = nextLarger(candidates.get(g.id()), now);
        if (next <= now) {
          continue;
        }
        k.put(g.id(), next);
        double after = p.predictMs(k);
        k.put(g.id(), now);
        if (after > targetMs) {
          continue;
        }
        double gain = p.retained(g.id(), next) - p.retained(g.id(), now);
        double ratio = gain / Math.max(after - ms, 1e-12);
        if (ratio > bestRatio) {
          bestRatio = ratio;
          bestGroup = g.id();
          bestCount = next;
          bestMs = after;
        }
      }
      if (bestGroup < 0) {
        return k;
      }
      k.put(bestGroup, bestCount);
      ms = bestMs;
    }
  }

  /** The smallest candidate above {@code now}, or {@code now} when there is none; candidates descend. */
  private static int nextLarger(int[] descending, int now) {
    int next = now;
    for (int v : descending) {
      if (v > now) {
        next = v;
      }
    }
    return next;
  }

  /**
   * Every group's candidates with the latency each adds (negative: saves) when that group alone
   * moves there from the linearization point, and the importance each retains.
   */
  private record Linearization(double baseMs, List<ChannelGroup> groups, Map<Integer, int[]> counts,
      Map<Integer, double[]> costMs) {

    static Linearization around(LatencyProblem p, Map<Integer, Integer> point) {
      double base = p.predictMs(point);
      Map<Integer, int[]> counts = new HashMap<>();
      Map<Integer, double[]> cost = new HashMap<>();
      Map<Integer, Integer> k = new LinkedHashMap<>(point);
      for (ChannelGroup g : p.groups()) {
        int[] c = p.candidates(g);
        double[] ms = new double[c.length];
        int at = k.get(g.id());
        for (int j = 0; j < c.length; j++) {
          k.put(g.id(), c[j]);
          ms[j] = c[j] == at ? 0 : p.predictMs(k) - base;
        }
        k.put(g.id(), at);
        counts.put(g.id(), c);
        cost.put(g.id(), ms);
      }
      return new Linearization(base, p.groups(), counts, cost);
    }

    /**
     * The multiple-choice knapsack: one candidate per group, summed cost at most
     * {@code allowanceMs}, retained importance largest. When even the cheapest candidate of every
     * group exceeds the allowance, those cheapest candidates.
     */
    Map<Integer, Integer> best(LatencyProblem p, double allowanceMs) {
      int n = groups.size();
      double cheapestSum = 0;
      int[] cheapest = new int[n];
      for (int i = 0; i < n; i++) {
        double[] c = costMs.get(groups.get(i).id());
        for (int j = 1; j < c.length; j++) {
          if (c[j] < c[cheapest[i]]) {
            cheapest[i] = j;
          }
        }
        cheapestSum += c[cheapest[i]];
      }
      double room = allowanceMs - cheapestSum;
      Map<Integer, Integer> keep = new LinkedHashMap<>();
      if (!(room > 0)) {
        for (int i = 0; i < n; i++) {
          int id = groups.get(i).id();
          keep.put(id, counts.get(id)[cheapest[i]]);
        }
        return keep;
      }
      double binMs = room / BINS;
      // value[b]: most importance from the groups so far with summed bins at most b.
      double[] value = new double[BINS + 1];
      int[][] choice = new int[n][BINS + 1];
      int[][] bins = new int[n][];
      for (int i = 0; i < n; i++) {
        int id = groups.get(i).id();
        int[] c = counts.get(id);
        double[] ms = costMs.get(id);
        double floorMs = ms[cheapest[i]];
        bins[i] = new int[c.length];
        double[] retained = new double[c.length];
        for (int j = 0; j < c.length; j++) {
          double b = Math.ceil((ms[j] - floorMs) / binMs - 1e-9);
          bins[i][j] = b > BINS ? Integer.MAX_VALUE : (int) Math.max(0, b);
          retained[j] = p.retained(id, c[j]);
        }
        double[] next = new double[BINS + 1];
        for (int b = 0; b <= BINS; b++) {
          double bestValue = Double.NEGATIVE_INFINITY;
          for (int j = 0; j < c.length; j++) {
            if (bins[i][j] <= b && value[b - bins[i][j]] + retained[j] > bestValue) {
              bestValue = value[b - bins[i][j]] + retained[j];
              choice[i][b] = j;
            }
          }
          next[b] = bestValue;
        }
        value = next;
      }
      int b = BINS;
      for (int i = n - 1; i >= 0; i--) {
        int j = choice[i][b];
        int id = groups.get(i).id();
        keep.put(id, counts.get(id)[j]);
        b -= bins[i][j];
      }
      return keep;
    }
  }
}
