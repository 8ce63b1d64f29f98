package fwi.cloud.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import fwi.cloud.latency.LatencyProfiler;
import fwi.cloud.latency.LatencyTable;
import fwi.cloud.latency.LayerGrid;
import fwi.cloud.latency.UniformInversionNet;
import fwi.cloud.model.OnnxModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pruner latency-table}: measures a per-layer latency lookup table of a model on this
 * machine (see {@link LatencyTable}) and writes it as JSON, for the pruner to choose channel counts
 * that meet a latency target. Progress goes to standard error, a summary to standard output.
 */
@Command(name = "latency-table", mixinStandardHelpOptions = true,
    description = "Times every Conv/ConvTranspose layer (with its BatchNorm and activation) over a grid of input and "
        + "output channel counts on ONNX Runtime, and the whole model, and writes the latency table as JSON.")
final class LatencyTableCommand extends CliCommand {
  @Option(names = "--model", required = true, description = "The .onnx file.")
  Path model;

  @Option(names = "--threads", defaultValue = "1", description = "ONNX Runtime intra-op threads (default: ${DEFAULT-VALUE}).")
  int threads;

  @Option(names = "--out", required = true, description = "The table to write (.json).")
  Path out;

  @Option(names = "--levels", split = ",", defaultValue = "1,0.75,0.5,0.25,0.125,0.0625",
      description = "Keep fractions of each layer's channels to measure; must include 1 (default: ${DEFAULT-VALUE}).")
  List<Double> levels;

  @Option(names = "--warmup", defaultValue = "2", description = "Untimed runs before each measurement (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--runs", defaultValue = "15", description = "Timed runs per measurement; the median is kept (default: ${DEFAULT-VALUE}).")
  int runs;

  @Option(names = "--calibrate", split = ",", defaultValue = "0.75,0.5,0.25,0.125,0.0625",
      description = "Keep fractions at which a uniformly thinned copy of a built InversionNet is measured whole, to "
          + "calibrate the layer sum against whole-model latency; other models are calibrated at full width only "
          + "(default: ${DEFAULT-VALUE}).")
  List<Double> calibrate;

  @Option(names = "--json", description = "Print the summary as JSON.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    LatencyProfiler.Settings settings = new LatencyProfiler.Settings(threads, warmup, runs, levels, calibrate);
    byte[] bytes = Files.readAllBytes(model);
    LatencyProfiler.UniformModels uniform = UniformInversionNet.of(OnnxModels.parse(bytes, model.toString()),
        why -> spec.commandLine().getErr().println("note: " + why));
    ProgressBar bar = new ProgressBar(spec.commandLine().getErr(), System.console() != null, "points");
    long start = System.nanoTime();
    LatencyTable table = LatencyProfiler.profile(bytes, model.toString(), settings, uniform,
        (done, total) -> bar.update(done, total, System.nanoTime() - start));
    table.write(out);
    double seconds = (System.nanoTime() - start) / 1e9;
    int points = table.layers().stream().mapToInt(LayerGrid::points).sum();
    double layersMs = table.layersMs(Map.of());
    if (json) {
      ObjectNode o = json().createObjectNode();
      o.put("table", out.toString());
      o.put("layers", table.layers().size());
      o.put("gridPoints", points);
      o.put("threads", threads);
      o.put("modelMs", table.modelMs());
      o.put("layersMs", layersMs);
      o.put("overheadMs", table.overheadMs());
      o.put("layerScale", table.layerScale());
      o.put("calibrationPoints", table.calibration().size());
      o.put("fitInterceptMs", table.linearFit().interceptMs());
      o.put("fitMsPerGmac", table.linearFit().msPerMac() * 1e9);
      o.put("seconds", seconds);
      out().println(json().writeValueAsString(o));
      return 0;
    }
    out().printf(Locale.ROOT, "%s: %d layers, %d grid points, %d thread(s), %d warm-up + %d timed runs each%n", model,
        table.layers().size(), points, threads, warmup, runs);
    out().printf(Locale.ROOT, "whole model %.3f ms measured; layers alone sum to %.3f ms%n", table.modelMs(), layersMs);
    out().printf(Locale.ROOT, "calibration over %d width(s): model = %.3f ms overhead + %.3f x layers%n",
        table.calibration().size(), table.overheadMs(), table.layerScale());
    for (LatencyTable.CalibrationPoint p : table.calibration()) {
      out().printf(Locale.ROOT, "  keep %-6s measured %8.3f ms  predicted %8.3f ms%n", p.keep(), p.measuredMs(),
          table.predictMs(table.uniformChannels(p.keep())));
    }
    out().printf(Locale.ROOT, "linear fit: %.3f ms + %.3f ms per G MAC%n", table.linearFit().interceptMs(),
        table.linearFit().msPerMac() * 1e9);
    out().printf(Locale.ROOT, "wrote %s in %.1f s%n", out, seconds);
    return 0;
  }
}
