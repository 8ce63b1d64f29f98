package fwi.cloud.service;

import ai.onnx.proto.OnnxMl.ModelProto;
import fwi.cloud.graph.ModelCounter;
import fwi.cloud.latency.LatencyProfiler;
import fwi.cloud.latency.LatencyTable;
import fwi.cloud.latency.LayerKey;
import fwi.cloud.latency.UniformInversionNet;
import fwi.cloud.model.InvalidModelException;
import fwi.cloud.model.OnnxModels;
import fwi.runtime.ort.InferenceException;
import fwi.runtime.ort.ModelLoadException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Latency of models on the reference machine, predicted from the base model's per-layer latency
 * table: what the planner's targets and each profile's fitted latency model ({@link
 * fwi.cloud.profile.LatencyFit}: profile ms = intercept + slope · reference ms) are expressed in. A
 * model whose layers the table does not know (a foreign upload) is predicted linearly in its MACs
 * against the base model's measured latency. The table is calibrated against whole models at five
 * widths when the base is a built InversionNet ({@link UniformInversionNet}). Predictions are cached
 * by the model's sha256.
 * Thread-safe.
 */
public final class ReferenceLatency {
  private static final Logger LOG = Logger.getLogger(ReferenceLatency.class);

  private final LatencyTable table;
  private final long baseMacs;
  private final Map<String, Double> bySha = new ConcurrentHashMap<>();

  ReferenceLatency(LatencyTable table, long baseMacs) {
    this.table = table;
    this.baseMacs = baseMacs;
  }

  /**
   * The table of {@code base}: {@code configured} if given (it must describe the same file), else
   * the copy measured before under {@code cacheDir}, else measured now (the full-width InversionNet
   * takes ~20 s on 2 cores) and kept there.
   *
   * @throws IOException naming the file if a table cannot be read, or the configured one was
   *     measured on another model
   */
  static ReferenceLatency forBase(Path base, Optional<Path> configured, Path cacheDir, int threads)
      throws IOException, InvalidModelException, ModelLoadException, InferenceException {
    byte[] bytes = Files.readAllBytes(base);
    String sha = OnnxModels.sha256(bytes);
    ModelProto model = OnnxModels.parse(bytes, base.toString());
    LatencyTable table;
    if (configured.isPresent()) {
      table = LatencyTable.read(configured.get());
      if (!table.provenance().modelSha256().equals(sha)) {
        throw new IOException("fwi.compression.latency-table " + configured.get() + " was measured on a model with sha256 "
            + table.provenance().modelSha256() + ", but the base model " + base + " has sha256 " + sha);
      }
    } else {
      Path cached = cacheDir.resolve("latency-" + sha.substring(0, 16) + ".json");
      if (Files.exists(cached)) {
        table = LatencyTable.read(cached);
      } else {
        LOG.infof("measuring the reference latency table of the base model %s (once per base model)", base);
        long t0 = System.nanoTime();
        table = LatencyProfiler.profile(bytes, base.getFileName().toString(), new LatencyProfiler.Settings(threads, 2,
            9, LatencyProfiler.DEFAULT_LEVELS, java.util.List.of(0.75, 0.5, 0.25, 0.125)),
            UniformInversionNet.of(model, LOG::info), (d, t) -> {
            });
        Files.createDirectories(cacheDir);
        table.write(cached);
        LOG.infof("latency table measured in %.1f s: base model %.2f ms on this machine, kept in %s",
            (System.nanoTime() - t0) / 1e9, table.modelMs(), cached);
      }
    }
    return new ReferenceLatency(table, ModelCounter.count(model).macs());
  }

  public LatencyTable table() {
    return table;
  }

  /** Predicted latency of the base model on the reference machine, ms. */
  public double baseMs() {
    return table.predictMs(Map.of());
  }

  /** Predicted latency of {@code model} on the reference machine, ms. */
  public double ms(ModelProto model, String sha256Hex) {
    return bySha.computeIfAbsent(sha256Hex, k -> predict(model));
  }

  /** The cached prediction for a model seen before. */
  public Optional<Double> known(String sha256Hex) {
    return Optional.ofNullable(bySha.get(sha256Hex));
  }

  private double predict(ModelProto model) {
    try {
      Map<String, int[]> channels = new LinkedHashMap<>();
      for (LayerKey k : LayerKey.of(model)) {
        channels.put(k.name(), new int[] {k.inChannels(), k.outChannels()});
      }
      return table.predictMs(channels);
    } catch (InvalidModelException | IllegalArgumentException e) {
      try {
        double ms = table.modelMs() * ModelCounter.count(model).macs() / (double) baseMacs;
        LOG.debugf("model not in the latency table's terms (%s): predicted by MACs, %.2f ms", e.getMessage(), ms);
        return ms;
      } catch (InvalidModelException e2) {
        return Double.NaN;
      }
    }
  }
}
