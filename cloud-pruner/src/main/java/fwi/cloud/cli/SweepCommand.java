package fwi.cloud.cli;

import fwi.cloud.latency.Timing;
import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fwi.cloud.graph.ModelCounter;
import fwi.cloud.graph.ModelSummary;
import fwi.cloud.model.OnnxModels;
import fwi.cloud.prune.ChannelGraph;
import fwi.cloud.prune.Criterion;
import fwi.cloud.prune.Plans;
import fwi.cloud.prune.PruneResult;
import fwi.cloud.prune.Pruner;
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
import java.util.TreeSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pruner sweep}: params, MACs and ONNX Runtime latency of a model pruned uniformly at several
 * ratios, all timed in one process with runs interleaved across models, so the latency ratios hold
 * on a shared, noisy machine.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true,
    description = "Prunes a model uniformly at each ratio and measures params, MACs and ONNX Runtime latency (median "
        + "and p95, batch 1) side by side in one run; the unpruned model (ratio 0) is always included as the reference.")
final class SweepCommand extends CliCommand {
  @Option(names = "--model", required = true, description = "The .onnx file.")
  Path model;

  @Option(names = "--ratios", split = ",", defaultValue = "0,0.25,0.5,0.75,0.875,0.9", description = "Pruning ratios (default: ${DEFAULT-VALUE}).")
  List<Double> ratios;

  @Option(names = "--threads", defaultValue = "1", description = "ONNX Runtime intra-op threads (default: ${DEFAULT-VALUE}).")
  int threads;

  @Option(names = "--criterion", defaultValue = "l1", description = "Channel ranking: l1, l2, bn or random (default: ${DEFAULT-VALUE}).")
  String criterion;

  @Option(names = "--round-to", defaultValue = "1", description = "Keep channel counts a multiple of K (default: ${DEFAULT-VALUE}).")
  int roundTo;

  @Option(names = "--warmup", defaultValue = "5", description = "Untimed runs per model first (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--runs", defaultValue = "30", description = "Timed runs per model, interleaved across models (default: ${DEFAULT-VALUE}).")
  int runs;

  @Option(names = "--json", description = "Print a JSON list of {ratio, params, macs, latency_ms_p50, latency_ms_p95, ...}.")
  boolean json;

  /** One measured ratio. */
  record Row(double ratio, ModelSummary summary, double pruneMs, LatencySummary latency) {}

  @Override
  public Integer call() throws Exception {
    if (threads < 1 || runs < 1 || warmup < 0) {
      throw new IllegalArgumentException("--threads and --runs must be at least 1 and --warmup at least 0, but were "
          + threads + ", " + runs + ", " + warmup);
    }
    Criterion c = Criterion.parse(criterion);
    byte[] bytes = Files.readAllBytes(model);
    ModelProto m = OnnxModels.parse(bytes, model.toString());
    String sha = OnnxModels.sha256(bytes);
    TreeSet<Double> all = new TreeSet<>(ratios);
    all.add(0.0);
    List<Double> sorted = new ArrayList<>(all);
    List<byte[]> models = new ArrayList<>();
    List<ModelSummary> summaries = new ArrayList<>();
    List<Double> pruneMs = new ArrayList<>();
    for (double r : sorted) {
      ChannelGraph cg = ChannelGraph.analyze(m);
      PruneResult p = Pruner.prune(cg, sha, Plans.uniform(cg, r, roundTo), c, 0);
      models.add(p.model().toByteArray());
      summaries.add(p.after());
      pruneMs.add(p.pruneNanos() / 1e6);
    }
    ModelSummary base = summaries.get(0);
    FloatTensor input = Timing.noise(Shape.of(1, (int) base.inputShape()[0], (int) base.inputShape()[1],
        (int) base.inputShape()[2]), 7);
    List<ModelRunner> runners = new ArrayList<>();
    LatencySummary[] lat;
    try {
      for (int i = 0; i < models.size(); i++) {
        runners.add(ModelRunner.open(models.get(i), new RunnerOptions(threads), "ratio " + sorted.get(i)));
      }
      lat = Timing.interleaved(runners, input, warmup, runs);
    } finally {
      for (ModelRunner r : runners) {
        r.close();
      }
    }
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < sorted.size(); i++) {
      rows.add(new Row(sorted.get(i), summaries.get(i), pruneMs.get(i), lat[i]));
    }
    if (json) {
      ObjectMapper mapper = json();
      ArrayNode a = mapper.createArrayNode();
      for (Row r : rows) {
        ObjectNode o = a.addObject();
        o.put("ratio", r.ratio());
        o.put("params", r.summary().params());
        o.put("macs", r.summary().macs());
        o.put("params_reduction", 1 - (double) r.summary().params() / base.params());
        o.put("macs_reduction", 1 - (double) r.summary().macs() / base.macs());
        o.put("latency_ms_p50", r.latency().p50Us() / 1e3);
        o.put("latency_ms_p95", r.latency().p95Us() / 1e3);
        o.put("latency_reduction", 1 - (double) r.latency().p50Us() / rows.get(0).latency().p50Us());
        o.put("gmac_per_s", r.summary().macs() / (r.latency().p50Us() * 1e3));
        o.put("prune_ms", r.pruneMs());
        o.put("threads", threads);
        o.put("runs", runs);
      }
      out().println(mapper.writeValueAsString(a));
      return 0;
    }
    out().printf(Locale.ROOT, "%s: %d thread(s), batch 1, %d warm-up + %d timed runs per model, interleaved; %s criterion%n",
        model, threads, warmup, runs, c.cliName());
    String fmt = "%6s %13s %8s %15s %8s %10s %10s %9s %8s %9s%n";
    out().printf(fmt, "ratio", "params", "-params", "MACs", "-MACs", "p50 ms", "p95 ms", "-latency", "GMAC/s", "prune ms");
    for (Row r : rows) {
      out().printf(Locale.ROOT, fmt, String.format(Locale.ROOT, "%.3f", r.ratio()),
          String.format(Locale.ROOT, "%,d", r.summary().params()),
          pct(1 - (double) r.summary().params() / base.params()),
          String.format(Locale.ROOT, "%,d", r.summary().macs()), pct(1 - (double) r.summary().macs() / base.macs()),
          String.format(Locale.ROOT, "%.2f", r.latency().p50Us() / 1e3),
          String.format(Locale.ROOT, "%.2f", r.latency().p95Us() / 1e3),
          pct(1 - (double) r.latency().p50Us() / rows.get(0).latency().p50Us()),
          String.format(Locale.ROOT, "%.1f", r.summary().macs() / (r.latency().p50Us() * 1e3)),
          String.format(Locale.ROOT, "%.0f", r.pruneMs()));
    }
    return 0;
  }

  private static String pct(double v) {
    return String.format(Locale.ROOT, "%.1f%%", 100 * v);
  }
}
