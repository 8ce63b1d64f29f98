package fwi.cloud.latency;

import java.util.ArrayList;
import java.util.List;

/**
 * Measured latency of one layer over a grid of channel counts, and bilinear interpolation in
 * {@code (cin, cout)} between them. Bilinear interpolation reproduces any {@code a + b·cin +
 * c·cout + d·cin·cout} exactly, so a layer whose time follows its MACs is predicted without
 * interpolation error.
 *
 * <p>An axis with a single level is fixed: the network's own input channels (first layer) and
 * output channels (last layer) cannot be pruned. A depthwise layer (see {@link LayerKey#depthwise()})
 * has one free count: its grid has a single output level (the full count) and {@code ms[i][0]} was
 * measured at {@code cinLevels[i] -> cinLevels[i]}. Immutable.
 *
 * @param key the layer
 * @param cinLevels input channel counts measured, strictly increasing, ending with the full count
 * @param coutLevels output channel counts measured, strictly increasing, ending with the full count
 * @param ms median latency in milliseconds; {@code ms.get(i).get(j)} at {@code cinLevels[i] -> coutLevels[j]}
 */
public record LayerGrid(LayerKey key, List<Integer> cinLevels, List<Integer> coutLevels, List<List<Double>> ms) {
  public LayerGrid {
    if (key == null) {
      throw new IllegalArgumentException("layer grid needs a layer key, but was null");
    }
    String n = key.name();
    cinLevels = levels(n, "cinLevels", cinLevels, key.inChannels());
    coutLevels = levels(n, "coutLevels", coutLevels, key.outChannels());
    if (key.depthwise() && coutLevels.size() != 1) {
      throw new IllegalArgumentException("layer '" + n + "' is depthwise: coutLevels must be the single full count ["
          + key.outChannels() + "], but was " + coutLevels);
    }
    if (ms == null || ms.size() != cinLevels.size()) {
      throw new IllegalArgumentException("layer '" + n + "': ms must have one row per cin level (" + cinLevels.size()
          + "), but has " + (ms == null ? "none" : ms.size()));
    }
    List<List<Double>> rows = new ArrayList<>();
    for (int i = 0; i < ms.size(); i++) {
      List<Double> row = ms.get(i);
      if (row == null || row.size() != coutLevels.size()) {
        throw new IllegalArgumentException("layer '" + n + "': ms row " + i + " must have one value per cout level ("
            + coutLevels.size() + "), but has " + (row == null ? "none" : row.size()));
      }
      for (int j = 0; j < row.size(); j++) {
        Double v = row.get(j);
        if (v == null || !Double.isFinite(v) || v < 0) {
          throw new IllegalArgumentException("layer '" + n + "': ms[" + i + "][" + j + "] must be a finite "
              + "non-negative number of milliseconds, but was " + v);
        }
      }
      rows.add(List.copyOf(row));
    }
    ms = List.copyOf(rows);
  }

  private static List<Integer> levels(String layer, String what, List<Integer> levels, int full) {
    if (levels == null || levels.isEmpty()) {
      throw new IllegalArgumentException("layer '" + layer + "': " + what + " must not be empty, but was " + levels);
    }
    for (int i = 0; i < levels.size(); i++) {
      Integer v = levels.get(i);
      if (v == null || v < 1 || v > full || (i > 0 && v <= levels.get(i - 1))) {
        throw new IllegalArgumentException("layer '" + layer + "': " + what + " must increase strictly within [1, "
            + full + "], but was " + levels);
      }
    }
    if (levels.get(levels.size() - 1) != full) {
      throw new IllegalArgumentException("layer '" + layer + "': " + what + " must end with the full count " + full
          + ", but was " + levels);
    }
    return List.copyOf(levels);
  }

  /** The layer's name. */
  public String name() {
    return key.name();
  }

  /** Latency at full width, a measured grid point. */
  public double fullMs() {
    return ms.get(cinLevels.size() - 1).get(coutLevels.size() - 1);
  }

  /** Number of measured grid points. */
  public int points() {
    return cinLevels.size() * coutLevels.size();
  }

  /**
   * Predicted latency in milliseconds at {@code cin -> cout}: exact at grid points, bilinear
   * between them, and below the smallest level held at the value of the smallest level (no
   * extrapolation towards zero, which would promise time that tiny layers do not save).
   *
   * @throws IllegalArgumentException if the counts are outside {@code [1, full]}, change a fixed
   *     axis, or differ for a depthwise layer
   */
  public double predictMs(int cin, int cout) {
    key.checkChannels(cin, cout);
    if (cinLevels.size() == 1 && cin != cinLevels.get(0)) {
      throw new IllegalArgumentException("layer '" + name() + "' has fixed input channels " + cinLevels.get(0)
          + " (the network input), but " + cin + " were asked");
    }
    if (!key.depthwise() && coutLevels.size() == 1 && cout != coutLevels.get(0)) {
      throw new IllegalArgumentException("layer '" + name() + "' has fixed output channels " + coutLevels.get(0)
          + " (the network output), but " + cout + " were asked");
    }
    double[] a = position(cinLevels, cin);
    double[] b = key.depthwise() ? new double[] {0, 0} : position(coutLevels, cout);
    int i = (int) a[0];
    int j = (int) b[0];
    int i1 = Math.min(i + 1, cinLevels.size() - 1);
    int j1 = Math.min(j + 1, coutLevels.size() - 1);
    double s = a[1];
    double t = b[1];
    return (1 - s) * (1 - t) * at(i, j) + s * (1 - t) * at(i1, j) + (1 - s) * t * at(i, j1) + s * t * at(i1, j1);
  }

  private double at(int i, int j) {
    return ms.get(i).get(j);
  }

  /** {@code [index of the lower bracketing level, fraction of the way to the next]}. */
  private static double[] position(List<Integer> levels, int v) {
    if (v <= levels.get(0)) {
      return new double[] {0, 0};
    }
    for (int i = 0; i < levels.size() - 1; i++) {
      int lo = levels.get(i);
      int hi = levels.get(i + 1);
      if (v <= hi) {
        return new double[] {i, (v - lo) / (double) (hi - lo)};
      }
    }
    return new double[] {levels.size() - 1, 0};
  }
}
