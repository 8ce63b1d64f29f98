package fwi.cloud.latency;

import ai.onnx.proto.OnnxMl.ModelProto;
import fwi.cloud.model.InvalidModelException;
import fwi.cloud.model.OnnxModels;
import fwi.runtime.ort.InferenceException;
import fwi.runtime.ort.ModelLoadException;
import fwi.runtime.ort.RunnerOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Measures a {@link LatencyTable} for a model on this machine: every weighted layer as a one-block
 * model ({@link LayerBenchmark}) at every point of its channel grid, and the whole model before and
 * after the grid (their mean is the table's whole-model latency, so slow drift of a shared machine
 * is split rather than charged to one end), and, where the caller can build them, uniformly thinned
 * copies of the model, to calibrate the sum of isolated layer times against whole-model latency
 * (see {@link LatencyTable}). Stateless; the measurement is sequential and should have the machine
 * to itself.
 */
public final class LatencyProfiler {
  /** Keep fractions measured unless told otherwise: full width down to 1/16. */
  public static final List<Double> DEFAULT_LEVELS = List.of(1.0, 0.75, 0.5, 0.25, 0.125, 0.0625);

  private LatencyProfiler() {}

  /**
   * How to measure.
   *
   * @param threads ONNX Runtime intra-op threads, 1 to 256
   * @param warmup untimed runs before each measurement, at least 0
   * @param runs timed runs per measurement (the median is kept), at least 1
   * @param levels keep fractions of the channel grids: distinct, in (0, 1], including 1
   * @param calibrate keep fractions below 1 at which uniformly thinned models are measured for the
   *     calibration, when {@link UniformModels} can build them; may be empty
   */
  public record Settings(int threads, int warmup, int runs, List<Double> levels, List<Double> calibrate) {
    public Settings {
      if (threads < 1 || threads > 256) {
        throw new IllegalArgumentException("threads must be in [1, 256], but was " + threads);
      }
      if (warmup < 0 || runs < 1) {
        throw new IllegalArgumentException("warmup must be at least 0 and runs at least 1, but were " + warmup + " and "
            + runs);
      }
      if (levels == null || levels.stream().anyMatch(f -> f == null || !(f > 0 && f <= 1))) {
        throw new IllegalArgumentException("keep fractions must be in (0, 1], but levels were " + levels);
      }
      if (new HashSet<>(levels).size() != levels.size()) {
        throw new IllegalArgumentException("keep fractions must be distinct, but levels were " + levels);
      }
      if (!levels.contains(1.0) || levels.size() < 2) {
        throw new IllegalArgumentException("levels must include 1 (full width) and at least one smaller keep fraction, "
            + "but were " + levels);
      }
      levels = List.copyOf(levels);
      if (calibrate == null || calibrate.stream().anyMatch(f -> f == null || !(f > 0 && f < 1))
          || new HashSet<>(calibrate).size() != calibrate.size()) {
        throw new IllegalArgumentException("calibration keep fractions must be distinct and in (0, 1), but were "
            + calibrate);
      }
      calibrate = List.copyOf(calibrate);
    }
  }

  /** Builds the model uniformly thinned to a keep fraction, for calibration. */
  @FunctionalInterface
  public interface UniformModels {
    /** The serialized model with every prunable channel count kept at {@code keep}, if it can be built. */
    Optional<byte[]> at(double keep) throws InvalidModelException;

    /** Builds nothing: the table is calibrated at full width only. */
    static UniformModels none() {
      return keep -> Optional.empty();
    }
  }

  /** Told after each measured grid point. */
  @FunctionalInterface
  public interface Progress {
    /** {@code done} of {@code total} grid points are measured. */
    void pointMeasured(int done, int total);
  }

  /**
   * Measures the table.
   *
   * @param modelBytes the serialized model, one float input and one float output
   * @param source names the model in the table and in errors, for example its file name
   * @param uniform builds the calibration models; their layers must have the channels uniform
   *     pruning gives ({@link LatencyTable#uniformChannels})
   * @throws InvalidModelException if the model cannot be parsed, has no weighted 2-D layers or has
   *     ops the shape analysis does not know, or a calibration model's channels are not uniform pruning's
   * @throws ModelLoadException if ONNX Runtime refuses the model or a block model
   * @throws InferenceException if a run fails
   */
  public static LatencyTable profile(byte[] modelBytes, String source, Settings settings, UniformModels uniform,
      Progress progress)
      throws InvalidModelException, ModelLoadException, InferenceException {
    long start = System.nanoTime();
    ModelProto model = OnnxModels.parse(modelBytes, source);
    List<LayerKey> keys = LayerKey.of(model);
    if (keys.isEmpty()) {
      throw new InvalidModelException(source + ": has no Conv or ConvTranspose with constant weights to time");
    }
    List<List<Integer>> cinLevels = new ArrayList<>();
    List<List<Integer>> coutLevels = new ArrayList<>();
    int total = 0;
    for (int i = 0; i < keys.size(); i++) {
      LayerKey k = keys.get(i);
      int step = k.depthwise() ? 1 : k.group();
      cinLevels.add(i == 0 ? List.of(k.inChannels()) : channelLevels(k.inChannels(), settings.levels(), step));
      coutLevels.add(i == keys.size() - 1 || k.depthwise() ? List.of(k.outChannels())
          : channelLevels(k.outChannels(), settings.levels(), step));
      total += cinLevels.get(i).size() * coutLevels.get(i).size();
    }
    RunnerOptions options = new RunnerOptions(settings.threads());
    // Build and check the calibration models first: a wrong one should fail before minutes of timing.
    List<LayerGrid> shapeOnly = new ArrayList<>();
    for (int l = 0; l < keys.size(); l++) {
      List<Double> zeros = java.util.Collections.nCopies(coutLevels.get(l).size(), 0.0);
      shapeOnly.add(new LayerGrid(keys.get(l), cinLevels.get(l), coutLevels.get(l),
          java.util.Collections.nCopies(cinLevels.get(l).size(), zeros)));
    }
    Map<Double, byte[]> thinModels = new LinkedHashMap<>();
    for (double f : settings.calibrate()) {
      Optional<byte[]> thin = uniform.at(f);
      if (thin.isPresent()) {
        checkUniform(thin.get(), source, shapeOnly, f);
        thinModels.put(f, thin.get());
      }
    }
    double before = LayerBenchmark.measureModel(modelBytes, options, settings.warmup(), settings.runs(), source)
        .p50Us() / 1e3;
    List<LayerGrid> grids = new ArrayList<>();
    int done = 0;
    for (int l = 0; l < keys.size(); l++) {
      LayerKey k = keys.get(l);
      List<List<Double>> ms = new ArrayList<>();
      for (int cin : cinLevels.get(l)) {
        List<Double> row = new ArrayList<>();
        for (int cout : coutLevels.get(l)) {
          int c = k.depthwise() ? cin : cout;
          row.add(LayerBenchmark.measureLayer(k, cin, c, options, settings.warmup(), settings.runs()).p50Us() / 1e3);
          progress.pointMeasured(++done, total);
        }
        ms.add(row);
      }
      grids.add(new LayerGrid(k, cinLevels.get(l), coutLevels.get(l), ms));
    }
    double after = LayerBenchmark.measureModel(modelBytes, options, settings.warmup(), settings.runs(), source)
        .p50Us() / 1e3;
    double modelMs = (before + after) / 2;

    Map<String, LinearMacsModel.LayerMacs> macs = new LinkedHashMap<>();
    keys.forEach(k -> macs.put(k.name(), LinearMacsModel.LayerMacs.of(k)));
    List<LatencyTable.CalibrationPoint> calibration = new ArrayList<>();
    calibration.add(point(grids, macs, 1.0, modelMs));
    for (Map.Entry<Double, byte[]> thin : thinModels.entrySet()) {
      double ms = LayerBenchmark.measureModel(thin.getValue(), options, settings.warmup(), settings.runs(),
          source + " at keep " + thin.getKey()).p50Us() / 1e3;
      calibration.add(point(grids, macs, thin.getKey(), ms));
    }
    double scale = 1;
    double overheadMs = modelMs - calibration.get(0).layersMs();
    LinearMacsModel fit;
    if (calibration.size() >= 2) {
      LinearMacsModel line = LinearMacsModel.fit(
          calibration.stream().map(p -> new double[] {p.layersMs(), p.measuredMs()}).toList(), macs);
      if (line.msPerMac() > 0) {
        scale = line.msPerMac();
        overheadMs = line.interceptMs();
      }
      fit = LinearMacsModel.fit(calibration.stream().map(p -> new double[] {p.macs(), p.measuredMs()}).toList(), macs);
    } else {
      List<double[]> points = new ArrayList<>();
      for (double f : settings.levels()) {
        LatencyTable.CalibrationPoint p = point(grids, macs, f, 0);
        points.add(new double[] {p.macs(), overheadMs + p.layersMs()});
      }
      fit = LinearMacsModel.fit(points, macs);
    }
    LatencyTable.Provenance provenance = new LatencyTable.Provenance(source, OnnxModels.sha256(modelBytes),
        settings.threads(), settings.warmup(), settings.runs(), LayerBenchmark.onnxRuntimeVersion(), cpuDescription(),
        Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), (System.nanoTime() - start) / 1e9);
    return new LatencyTable(LatencyTable.FORMAT, provenance, settings.levels(), modelMs, overheadMs, scale,
        calibration, grids, fit);
  }

  /** Layer sum and MACs at uniform keep {@code f}, with the measured whole-model latency there. */
  private static LatencyTable.CalibrationPoint point(List<LayerGrid> grids, Map<String, LinearMacsModel.LayerMacs> macs,
      double f, double measuredMs) {
    Map<String, int[]> ch = LatencyTable.uniformChannels(grids, f);
    double layersMs = 0;
    double m = 0;
    for (LayerGrid g : grids) {
      int[] c = ch.get(g.name());
      layersMs += g.predictMs(c[0], c[1]);
      m += macs.get(g.name()).macs(c[0], c[1]);
    }
    return new LatencyTable.CalibrationPoint(f, m, layersMs, measuredMs);
  }

  private static void checkUniform(byte[] thin, String source, List<LayerGrid> grids, double f)
      throws InvalidModelException {
    List<LayerKey> keys = LayerKey.of(OnnxModels.parse(thin, source + " at keep " + f));
    Map<String, int[]> expected = LatencyTable.uniformChannels(grids, f);
    for (LayerKey k : keys) {
      int[] e = expected.get(k.name());
      if (e == null || e[0] != k.inChannels() || e[1] != k.outChannels()) {
        throw new InvalidModelException(source + " at keep " + f + ": layer '" + k.name() + "' has channels "
            + k.inChannels() + " -> " + k.outChannels() + ", but uniform pruning gives "
            + (e == null ? "no such layer" : e[0] + " -> " + e[1]));
      }
    }
    if (keys.size() != expected.size()) {
      throw new InvalidModelException(source + " at keep " + f + ": has " + keys.size() + " weighted layers, but the "
          + "model has " + expected.size());
    }
  }

  /**
   * The channel counts measured for a layer of {@code full} channels: {@code full·f} for every
   * keep fraction, rounded to a multiple of {@code step} (at least {@code step}), distinct, ascending.
   */
  public static List<Integer> channelLevels(int full, List<Double> fractions, int step) {
    TreeSet<Integer> s = new TreeSet<>();
    for (double f : fractions) {
      s.add(LatencyTable.keep(full, f, step));
    }
    s.add(full);
    return List.copyOf(s);
  }

  /** Processor model from {@code /proc/cpuinfo} and the logical CPU count, or {@code unknown}. */
  static String cpuDescription() {
    int cpus = Runtime.getRuntime().availableProcessors();
    Optional<String> name = Optional.empty();
    try {
      Path info = Path.of("/proc/cpuinfo");
      if (Files.isReadable(info)) {
        name = Files.readAllLines(info).stream().filter(l -> l.startsWith("model name")).findFirst()
            .map(l -> l.substring(l.indexOf(':') + 1).trim());
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux or not readable: the description is informative only, so say unknown.
    }
    return name.orElse("unknown") + " (" + cpus + " logical CPUs)";
  }
}
