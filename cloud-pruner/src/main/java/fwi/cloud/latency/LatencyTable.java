package fwi.cloud.latency;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A per-layer latency lookup table of one model on one machine at one thread count, as a pruner
 * uses it to choose channel counts that meet a latency target: for each weighted layer the measured
 * latency over a grid of {@code (cin, cout)} (see {@link LayerGrid}), and a calibration of their sum
 * against whole-model measurements made in the same run:
 *
 * <pre>
 * predicted model ms = overheadMs + layerScale · Σ layer ms
 * </pre>
 *
 * {@code overheadMs} is what the layers do not account for (pre/post-processing, crops, copies in
 * and out). {@code layerScale} corrects what timing a layer alone adds: ONNX Runtime converts
 * convolutions to a blocked (NCHWc) layout and, alone, a block pays the layout conversion of its
 * input and output, which inside the model happens only at a few borders. With whole-model
 * measurements at one width only, {@code layerScale} is 1 and {@code overheadMs} is the measured
 * latency minus the layers' sum; with uniformly thinned models measured too (see
 * {@link #calibration()}), both come from a least-squares fit over all widths.
 *
 * <p>Stored as JSON with a {@link #FORMAT} number; other numbers are refused by name. Immutable and
 * thread-safe.
 *
 * @param format file format, {@link #FORMAT}
 * @param provenance where and how it was measured
 * @param levels keep fractions the channel grids were built from, for example {@code [1, 0.75, 0.5]}
 * @param modelMs measured whole-model median latency, milliseconds
 * @param overheadMs fixed cost outside the layers, milliseconds; may be negative
 * @param layerScale factor from the sum of isolated layer times to their time inside the model; positive
 * @param calibration whole-model measurements the two were fitted to, full width first
 * @param layers one grid per weighted layer, graph order
 * @param linearFit a MACs-linear model fitted to the calibration measurements (or, with only the
 *     full width measured, to this table's predictions at the uniform keep fractions)
 */
public record LatencyTable(int format, Provenance provenance, List<Double> levels, double modelMs, double overheadMs,
    double layerScale, List<CalibrationPoint> calibration, List<LayerGrid> layers, LinearMacsModel linearFit)
    implements LatencyModel {

  /** The file format this build writes and reads. */
  public static final int FORMAT = 1;

  /**
   * How and where a table was measured.
   *
   * @param model the model file as named when measured
   * @param modelSha256 lower-case hex sha256 of the model bytes
   * @param threads ONNX Runtime intra-op threads
   * @param warmup untimed runs before each measurement
   * @param runs timed runs per measurement; the median is kept
   * @param onnxRuntime ONNX Runtime version
   * @param cpu processor model and logical CPU count, or {@code unknown}
   * @param createdAt ISO-8601 instant the measurement finished
   * @param seconds wall time the measurement took
   */
  public record Provenance(String model, String modelSha256, int threads, int warmup, int runs, String onnxRuntime,
      String cpu, String createdAt, double seconds) {
    public Provenance {
      if (model == null || modelSha256 == null || onnxRuntime == null || cpu == null || createdAt == null) {
        throw new IllegalArgumentException("provenance fields must all be present, but model=" + model
            + ", modelSha256=" + modelSha256 + ", onnxRuntime=" + onnxRuntime + ", cpu=" + cpu + ", createdAt="
            + createdAt);
      }
      if (threads < 1 || warmup < 0 || runs < 1) {
        throw new IllegalArgumentException("threads and runs must be at least 1 and warmup at least 0, but were "
            + threads + ", " + runs + ", " + warmup);
      }
    }
  }

  /**
   * One whole-model measurement under uniform pruning.
   *
   * @param keep keep fraction of every prunable channel count; 1 is the model itself
   * @param macs multiply-accumulates of one sample at that width
   * @param layersMs sum of the table's layer predictions at that width
   * @param measuredMs measured median latency of the whole model at that width
   */
  public record CalibrationPoint(double keep, double macs, double layersMs, double measuredMs) {
    public CalibrationPoint {
      if (!(keep > 0 && keep <= 1) || !(macs >= 0) || !(layersMs >= 0) || !(measuredMs >= 0)
          || !Double.isFinite(macs + layersMs + measuredMs)) {
        throw new IllegalArgumentException("calibration point needs keep in (0, 1] and finite non-negative macs, "
            + "layersMs and measuredMs, but was keep " + keep + ", macs " + macs + ", layersMs " + layersMs
            + ", measuredMs " + measuredMs);
      }
    }
  }

  public LatencyTable {
    if (format != FORMAT) {
      throw new IllegalArgumentException("latency table format must be " + FORMAT + ", but was " + format);
    }
    if (provenance == null || linearFit == null || levels == null || levels.isEmpty()) {
      throw new IllegalArgumentException("provenance, levels and linearFit must be present, but were " + provenance
          + ", " + levels + ", " + linearFit);
    }
    for (Double f : levels) {
      if (f == null || !(f > 0 && f <= 1)) {
        throw new IllegalArgumentException("keep fractions must be in (0, 1], but levels were " + levels);
      }
    }
    levels = List.copyOf(levels);
    if (!Double.isFinite(modelMs) || modelMs < 0 || !Double.isFinite(overheadMs)) {
      throw new IllegalArgumentException("modelMs must be finite and non-negative and overheadMs finite, but were "
          + modelMs + " and " + overheadMs);
    }
    if (layers == null || layers.isEmpty()) {
      throw new IllegalArgumentException("a latency table needs at least one layer, but got " + layers);
    }
    if (!(layerScale > 0) || !Double.isFinite(layerScale)) {
      throw new IllegalArgumentException("layerScale must be positive and finite, but was " + layerScale);
    }
    if (calibration == null || calibration.isEmpty() || calibration.get(0).keep() != 1.0) {
      throw new IllegalArgumentException("calibration must start with the full-width measurement (keep 1), but was "
          + calibration);
    }
    calibration = List.copyOf(calibration);
    layers = List.copyOf(layers);
    Set<String> names = new HashSet<>();
    for (LayerGrid l : layers) {
      if (!names.add(l.name())) {
        throw new IllegalArgumentException("layer '" + l.name() + "' appears twice in the latency table");
      }
    }
    if (!names.equals(linearFit.layers().keySet())) {
      throw new IllegalArgumentException("linearFit must cover the table's layers " + names + ", but covers "
          + linearFit.layers().keySet());
    }
  }

  /** The grid of one layer, if the table has it. */
  public Optional<LayerGrid> layer(String name) {
    return layers.stream().filter(l -> l.name().equals(name)).findFirst();
  }

  /**
   * Predicted latency of one layer at {@code cin -> cout}, milliseconds.
   *
   * @throws IllegalArgumentException for an unknown layer or counts it cannot take (see {@link LayerGrid#predictMs})
   */
  public double predictMs(String layer, int cin, int cout) {
    return layer(layer).orElseThrow(() -> new IllegalArgumentException("unknown layer '" + layer
        + "'; the latency table has " + layers.stream().map(LayerGrid::name).toList())).predictMs(cin, cout);
  }

  /**
   * Sum of the layer predictions as timed alone, without {@link #overheadMs()} or {@link #layerScale()};
   * layers not named keep their full width.
   */
  public double layersMs(Map<String, int[]> channelsPerLayer) {
    for (String name : channelsPerLayer.keySet()) {
      if (layer(name).isEmpty()) {
        throw new IllegalArgumentException("unknown layer '" + name + "'; the latency table has "
            + layers.stream().map(LayerGrid::name).toList());
      }
    }
    double sum = 0;
    for (LayerGrid l : layers) {
      int[] c = channelsPerLayer.get(l.name());
      if (c == null) {
        sum += l.fullMs();
      } else if (c.length != 2) {
        throw new IllegalArgumentException("layer '" + l.name() + "': channels must be {cin, cout}, but were "
            + Arrays.toString(c));
      } else {
        sum += l.predictMs(c[0], c[1]);
      }
    }
    return sum;
  }

  /** {@code overheadMs + layerScale · }{@link #layersMs}. */
  @Override
  public double predictMs(Map<String, int[]> channelsPerLayer) {
    return overheadMs + layerScale * layersMs(channelsPerLayer);
  }

  /**
   * The channels every layer keeps under uniform pruning: {@code max(1, round(c·keep))} of each
   * prunable count (in multiples of the group for grouped layers), fixed counts unchanged. At a keep
   * fraction of the table's {@link #levels()} these are grid points.
   *
   * @param keep fraction of channels kept, in (0, 1]
   */
  public Map<String, int[]> uniformChannels(double keep) {
    return uniformChannels(layers, keep);
  }

  static Map<String, int[]> uniformChannels(List<LayerGrid> grids, double keep) {
    if (!(keep > 0 && keep <= 1)) {
      throw new IllegalArgumentException("keep fraction must be in (0, 1], but was " + keep);
    }
    Map<String, int[]> m = new LinkedHashMap<>();
    for (LayerGrid g : grids) {
      LayerKey k = g.key();
      int cin = g.cinLevels().size() == 1 ? k.inChannels() : keep(k.inChannels(), keep, k.depthwise() ? 1 : k.group());
      int cout = k.depthwise() ? cin
          : g.coutLevels().size() == 1 ? k.outChannels() : keep(k.outChannels(), keep, k.group());
      m.put(k.name(), new int[] {cin, cout});
    }
    return m;
  }

  /** {@code max(step, round(full·fraction))} rounded to a multiple of {@code step}. */
  static int keep(int full, double fraction, int step) {
    long units = Math.round(full * fraction / step);
    return (int) Math.max(step, Math.min(full, units * step));
  }

  // ---- JSON ----

  private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
      .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .enable(DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES);

  /** This table as indented JSON. */
  public String toJson() {
    try {
      return MAPPER.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a latency table always serializes: " + e.getMessage(), e);
    }
  }

  /** Writes the table as JSON, atomically: to a temporary file beside {@code file}, then renamed over it. */
  public void write(Path file) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
    try {
      Files.writeString(tmp, toJson());
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * Reads a table written by {@link #write}.
   *
   * @throws IOException if the file cannot be read, is not JSON, has another format number or
   *     breaks a table invariant; the message starts with the file name and says what is wrong
   */
  public static LatencyTable read(Path file) throws IOException {
    return parse(Files.readString(file), file.toString());
  }

  /**
   * Parses a table from JSON text.
   *
   * @param source names the text in errors, for example its file name
   * @throws IOException as {@link #read}
   */
  public static LatencyTable parse(String json, String source) throws IOException {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IOException(source + ": not JSON: " + e.getOriginalMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new IOException(source + ": a latency table must be a JSON object, but was "
          + (root == null || root.isMissingNode() ? "empty" : root.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)));
    }
    JsonNode format = root.get("format");
    if (format == null || !format.isInt()) {
      throw new IOException(source + ": not a latency table: field 'format' must be the number " + FORMAT
          + ", but was " + (format == null ? "missing" : format.toString()));
    }
    if (format.asInt() != FORMAT) {
      throw new IOException(source + ": latency table format " + format.asInt() + " is not supported; this build reads "
          + "format " + FORMAT);
    }
    try {
      return MAPPER.treeToValue(root, LatencyTable.class);
    } catch (JsonProcessingException e) {
      Throwable cause = e.getCause() instanceof IllegalArgumentException iae ? iae : null;
      String what = cause != null ? cause.getMessage() : e.getOriginalMessage();
      String at = path(e);
      String where = at.isEmpty() ? "" : " (at " + at + ")";
      throw new IOException(source + ": invalid latency table" + where + ": " + what, e);
    }
  }

  private static String path(JsonProcessingException e) {
    StringBuilder s = new StringBuilder();
    if (e instanceof JsonMappingException m) {
      for (JsonMappingException.Reference r : m.getPath()) {
        if (r.getFieldName() != null) {
          s.append(s.length() > 0 ? "." : "").append(r.getFieldName());
        } else if (r.getIndex() >= 0) {
          s.append('[').append(r.getIndex()).append(']');
        }
      }
    }
    return s.toString();
  }
}
