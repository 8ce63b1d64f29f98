package fwi.cloud.latency;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The simplest latency model: {@code ms = interceptMs + msPerMac · MACs}, where a layer's MACs at
 * {@code cin -> cout} scale from its full-width MACs as {@code cin·cout / (C_in·C_out)} (as
 * {@code cin / C_in} for a depthwise layer, whose group shrinks with it). Ignores that small layers
 * run at a lower MAC rate than large ones, which {@link LatencyTable} captures. Immutable.
 *
 * @param interceptMs latency at zero MACs: fixed costs (pre/post-processing, call overhead)
 * @param msPerMac milliseconds per multiply-accumulate
 * @param layers full-width size of every weighted layer, by name, in graph order
 */
public record LinearMacsModel(double interceptMs, double msPerMac, Map<String, LayerMacs> layers)
    implements LatencyModel {

  /**
   * A layer at full width.
   *
   * @param fullMacs multiply-accumulates of one sample at full width, as {@link fwi.cloud.graph.ModelCounter} counts them
   * @param inChannels full input channels
   * @param outChannels full output channels
   * @param depthwise whether input, output and group shrink together
   */
  public record LayerMacs(long fullMacs, int inChannels, int outChannels, boolean depthwise) {
    public LayerMacs {
      if (fullMacs < 1 || inChannels < 1 || outChannels < 1) {
        throw new IllegalArgumentException("fullMacs, inChannels and outChannels must be at least 1, but were "
            + fullMacs + ", " + inChannels + ", " + outChannels);
      }
    }

    /** The full-width size of a layer key. */
    public static LayerMacs of(LayerKey key) {
      return new LayerMacs(key.fullMacs(), key.inChannels(), key.outChannels(), key.depthwise());
    }

    /** MACs at {@code cin -> cout}. */
    public double macs(int cin, int cout) {
      return depthwise ? fullMacs * (double) cin / inChannels
          : fullMacs * ((double) cin / inChannels) * ((double) cout / outChannels);
    }
  }

  public LinearMacsModel {
    if (!Double.isFinite(interceptMs) || !Double.isFinite(msPerMac)) {
      throw new IllegalArgumentException("interceptMs and msPerMac must be finite, but were " + interceptMs + " and "
          + msPerMac);
    }
    if (layers == null || layers.isEmpty()) {
      throw new IllegalArgumentException("a linear MACs model needs at least one layer, but got " + layers);
    }
    layers = Collections.unmodifiableMap(new LinkedHashMap<>(layers));
  }

  /** Total MACs of one sample at the given widths; layers not named keep their full width. */
  public double macs(Map<String, int[]> channelsPerLayer) {
    for (String name : channelsPerLayer.keySet()) {
      if (!layers.containsKey(name)) {
        throw new IllegalArgumentException("unknown layer '" + name + "'; the model knows " + layers.keySet());
      }
    }
    double total = 0;
    for (Map.Entry<String, LayerMacs> e : layers.entrySet()) {
      LayerMacs l = e.getValue();
      int[] c = channelsPerLayer.get(e.getKey());
      if (c == null) {
        total += l.fullMacs();
        continue;
      }
      if (c.length != 2 || c[0] < 1 || c[0] > l.inChannels() || c[1] < 1 || c[1] > l.outChannels()) {
        throw new IllegalArgumentException("layer '" + e.getKey() + "': channels must be {cin, cout} in [1, "
            + l.inChannels() + "] x [1, " + l.outChannels() + "], but were " + java.util.Arrays.toString(c));
      }
      total += l.macs(c[0], c[1]);
    }
    return total;
  }

  @Override
  public double predictMs(Map<String, int[]> channelsPerLayer) {
    return interceptMs + msPerMac * macs(channelsPerLayer);
  }

  /**
   * Least-squares line through {@code (MACs, ms)} points.
   *
   * @param macsAndMs points {@code {macs, ms}}; at least two, with at least two distinct MAC counts
   * @param layers the layers the fitted model will count
   * @throws IllegalArgumentException naming the offending point, or when the MACs do not vary
   */
  public static LinearMacsModel fit(List<double[]> macsAndMs, Map<String, LayerMacs> layers) {
    if (macsAndMs.size() < 2) {
      throw new IllegalArgumentException("a line needs at least 2 points, but got " + macsAndMs.size());
    }
    double sx = 0;
    double sy = 0;
    for (int i = 0; i < macsAndMs.size(); i++) {
      double[] p = macsAndMs.get(i);
      if (p == null || p.length != 2 || !Double.isFinite(p[0]) || !Double.isFinite(p[1])) {
        throw new IllegalArgumentException("point " + i + " must be two finite numbers {macs, ms}, but was "
            + (p == null ? "null" : java.util.Arrays.toString(p)));
      }
      sx += p[0];
      sy += p[1];
    }
    double mx = sx / macsAndMs.size();
    double my = sy / macsAndMs.size();
    double sxx = 0;
    double sxy = 0;
    for (double[] p : macsAndMs) {
      sxx += (p[0] - mx) * (p[0] - mx);
      sxy += (p[0] - mx) * (p[1] - my);
    }
    if (sxx <= 0) {
      throw new IllegalArgumentException("a line needs at least two distinct MAC counts, but every point has " + mx);
    }
    double slope = sxy / sxx;
    return new LinearMacsModel(my - slope * mx, slope, layers);
  }
}
