package fwi.cloud.cli;

import fwi.cloud.latency.Timing;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fwi.cloud.graph.ModelCounter;
import fwi.cloud.graph.ModelSummary;
import fwi.cloud.model.OnnxModels;
import fwi.cloud.model.ReferenceModels;
import fwi.runtime.ort.InferenceException;
import fwi.runtime.ort.ModelRunner;
import fwi.runtime.ort.RunnerOptions;
import fwi.runtime.stats.LatencySummary;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pruner bench}: ONNX Runtime latency of a model per thread count, side by side with a
 * square GEMM measured in the same run, which is the practical compute ceiling of this CPU for
 * ONNX Runtime. Both are compared as ratios so a noisy shared machine affects them alike.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Measures ONNX Runtime latency (median, p95 after warm-up) and achieved G MAC/s of a model for each "
        + "thread count, next to a square MatMul measured in the same run as the attainable peak.")
final class BenchCommand extends CliCommand {
  @Option(names = "--model", required = true, description = "The .onnx file.")
  Path model;

  @Option(names = "--threads", split = ",", defaultValue = "1,2", description = "Thread counts to measure (default: ${DEFAULT-VALUE}).")
  List<Integer> threads;

  @Option(names = "--batch", defaultValue = "1", description = "Samples per run (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--warmup", defaultValue = "5", description = "Untimed runs first (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--runs", defaultValue = "30", description = "Timed runs (default: ${DEFAULT-VALUE}).")
  int runs;

  @Option(names = "--gemm-size", defaultValue = "1024", description = "n of the n x n x n MatMul reference; 0 skips it (default: ${DEFAULT-VALUE}).")
  int gemmSize;

  @Option(names = "--json", description = "Print JSON instead of a table.")
  boolean json;

  /** One measured configuration. */
  record Row(String what, int threads, LatencySummary latency, double gmacPerSecond) {}

  @Override
  public Integer call() throws Exception {
    if (batch < 1 || warmup < 0 || runs < 1) {
      throw new IllegalArgumentException("--batch and --runs must be at least 1 and --warmup at least 0, but were "
          + batch + ", " + runs + ", " + warmup);
    }
    byte[] bytes = Files.readAllBytes(model);
    ModelSummary summary = ModelCounter.count(OnnxModels.parse(bytes, model.toString()));
    FloatTensor input = noise(Shape.of(batch, (int) summary.inputShape()[0], (int) summary.inputShape()[1],
        (int) summary.inputShape()[2]));
    byte[] gemm = gemmSize > 0 ? ReferenceModels.squareMatMul(gemmSize).toByteArray() : null;
    FloatTensor gemmInput = gemmSize > 0 ? noise(Shape.of(gemmSize, gemmSize)) : null;
    List<Row> rows = new ArrayList<>();
    for (int t : threads) {
      RunnerOptions options = new RunnerOptions(t);
      try (ModelRunner r = ModelRunner.open(bytes, options, model.toString())) {
        LatencySummary l = time(r, input);
        rows.add(new Row("model", t, l, summary.macs() * (double) batch / (l.p50Us() * 1e3)));
      }
      if (gemm != null) {
        try (ModelRunner r = ModelRunner.open(gemm, options, "square MatMul")) {
          LatencySummary l = time(r, gemmInput);
          rows.add(new Row("matmul" + gemmSize, t, l, Math.pow(gemmSize, 3) / (l.p50Us() * 1e3)));
        }
      }
    }
    if (json) {
      ObjectMapper mapper = json();
      ObjectNode root = mapper.createObjectNode();
      root.put("model", model.toString());
      root.put("macsPerSample", summary.macs());
      root.put("batch", batch);
      root.put("runs", runs);
      root.put("warmup", warmup);
      ArrayNode a = root.putArray("rows");
      for (Row row : rows) {
        ObjectNode o = a.addObject();
        o.put("what", row.what());
        o.put("threads", row.threads());
        o.putPOJO("latency", row.latency());
        o.put("gmacPerSecond", row.gmacPerSecond());
      }
      out().println(mapper.writeValueAsString(root));
      return 0;
    }
    out().printf(Locale.ROOT, "%s: %.3f G MAC per sample, batch %d, %d warm-up + %d timed runs each%n", model,
        summary.macs() / 1e9, batch, warmup, runs);
    String fmt = "%-12s %7s %11s %11s %11s %11s %9s%n";
    out().printf(fmt, "what", "threads", "median ms", "p95 ms", "min ms", "max ms", "G MAC/s");
    for (Row row : rows) {
      LatencySummary l = row.latency();
      out().printf(Locale.ROOT, fmt, row.what(), row.threads(), ms(l.p50Us()), ms(l.p95Us()), ms(l.minUs()),
          ms(l.maxUs()), String.format(Locale.ROOT, "%.1f", row.gmacPerSecond()));
    }
    if (gemm != null) {
      for (int t : threads) {
        double m = rows.stream().filter(r -> r.threads() == t && r.what().equals("model")).findFirst().orElseThrow().gmacPerSecond();
        double g = rows.stream().filter(r -> r.threads() == t && !r.what().equals("model")).findFirst().orElseThrow().gmacPerSecond();
        out().printf(Locale.ROOT, "%d thread(s): model reaches %.0f%% of the MatMul rate measured in this run%n", t,
            100 * m / g);
      }
    }
    return 0;
  }

  private LatencySummary time(ModelRunner r, FloatTensor input) throws InferenceException {
    return Timing.time(r, input, warmup, runs);
  }

  private static String ms(long us) {
    return String.format(Locale.ROOT, "%.2f", us / 1e3);
  }

  private static FloatTensor noise(Shape s) {
    return Timing.noise(s, 7);
  }
}
