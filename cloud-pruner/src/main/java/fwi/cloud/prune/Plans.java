package fwi.cloud.prune;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** Plans that need no measurement: one ratio everywhere, or ratios per layer. Stateless. */
public final class Plans {
  /** Key of a per-layer ratio file giving the ratio of every group not named. */
  public static final String DEFAULT_KEY = "*";

  private Plans() {}

  /**
   * Channels a group of {@code channels} keeps at ratio {@code ratio}: {@code round(channels·(1-ratio))},
   * at least 1, then rounded to the nearest multiple of {@code roundTo} (at least one multiple, never
   * more than the group has; a group smaller than {@code roundTo} keeps its plain count).
   */
  public static int keep(int channels, double ratio, int roundTo) {
    checkRatio(ratio);
    if (roundTo < 1) {
      throw new IllegalArgumentException("round-to must be at least 1, but was " + roundTo);
    }
    int k = Math.max(1, (int) Math.round(channels * (1 - ratio)));
    if (roundTo == 1 || channels < roundTo) {
      return k;
    }
    int r = (int) Math.max(roundTo, roundTo * Math.round(k / (double) roundTo));
    return Math.min(r, channels - channels % roundTo);
  }

  private static void checkRatio(double ratio) {
    if (!(ratio >= 0 && ratio < 1)) {
      throw new IllegalArgumentException("pruning ratio must be in [0, 1), but was " + ratio);
    }
  }

  /** Ratio {@code ratio} in every prunable group. */
  public static PrunePlan uniform(ChannelGraph cg, double ratio, int roundTo) {
    checkRatio(ratio);
    Map<String, Integer> keep = new LinkedHashMap<>();
    for (ChannelGroup g : cg.prunable()) {
      keep.put(g.name(), keep(g.channels(), ratio, roundTo));
    }
    return new PrunePlan("uniform", keep, Map.of("ratio", fmt(ratio), "round_to", Integer.toString(roundTo)));
  }

  /**
   * Ratios per group. Keys name a group or any of its producing nodes; {@value #DEFAULT_KEY} sets the
   * ratio of every group not named (default 0).
   *
   * @throws IllegalArgumentException naming a key that matches no group, or a frozen group and why
   */
  public static PrunePlan perLayer(ChannelGraph cg, Map<String, Double> ratios, int roundTo) {
    double fallback = ratios.getOrDefault(DEFAULT_KEY, 0.0);
    checkRatio(fallback);
    Map<String, Double> byGroup = new LinkedHashMap<>();
    for (Map.Entry<String, Double> e : ratios.entrySet()) {
      if (e.getKey().equals(DEFAULT_KEY)) {
        continue;
      }
      ChannelGroup g = cg.group(e.getKey()).orElseThrow(() -> new IllegalArgumentException("layer '" + e.getKey()
          + "' is not a channel group of this model; prunable groups: "
          + cg.prunable().stream().map(ChannelGroup::name).collect(Collectors.joining(", "))));
      if (!g.prunable()) {
        throw new IllegalArgumentException("layer '" + e.getKey() + "' cannot be pruned: "
            + g.frozenReason().orElse("it has a single channel"));
      }
      checkRatio(e.getValue());
      byGroup.put(g.name(), e.getValue());
    }
    Map<String, Integer> keep = new LinkedHashMap<>();
    for (ChannelGroup g : cg.prunable()) {
      keep.put(g.name(), keep(g.channels(), byGroup.getOrDefault(g.name(), fallback), roundTo));
    }
    Map<String, String> settings = new LinkedHashMap<>();
    ratios.forEach((k, v) -> settings.put("ratio." + k, fmt(v)));
    settings.put("round_to", Integer.toString(roundTo));
    return new PrunePlan("layers", keep, settings);
  }

  /**
   * Reads per-layer ratios from a JSON object such as {@code {"*": 0.5, "convblock8": 0.25}}.
   *
   * @throws IOException naming the file when it cannot be read or is not such an object
   */
  public static Map<String, Double> readRatios(Path file) throws IOException {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new IOException(file + ": not a JSON object of layer ratios: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new IOException(file + ": expected a JSON object mapping layer names to ratios, e.g. {\"*\": 0.5}");
    }
    Map<String, Double> ratios = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isNumber()) {
        throw new IOException(file + ": ratio of layer '" + e.getKey() + "' must be a number, but was " + e.getValue());
      }
      ratios.put(e.getKey(), e.getValue().asDouble());
    }
    return ratios;
  }

  static String fmt(double v) {
    return String.format(Locale.ROOT, "%s", v);
  }
}
