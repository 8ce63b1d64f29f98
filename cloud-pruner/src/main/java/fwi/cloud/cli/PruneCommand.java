package fwi.cloud.cli;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fwi.cloud.model.OnnxModels;
import fwi.cloud.prune.ChannelGraph;
import fwi.cloud.prune.Criterion;
import fwi.cloud.latency.LatencyModel;
import fwi.cloud.latency.LatencyTable;
import fwi.cloud.prune.LatencyPlanner;
import fwi.cloud.prune.Plans;
import fwi.cloud.prune.SensitivityPlanner;
import fwi.cloud.synth.Acquisition;
import fwi.cloud.synth.DatasetGenerator;
import fwi.cloud.synth.VelocityFamily;
import fwi.runtime.npy.NpyFile;
import fwi.runtime.ort.RunnerOptions;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import fwi.cloud.prune.PrunePlan;
import fwi.cloud.prune.PruneResult;
import fwi.cloud.prune.Pruner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pruner prune}: structured channel pruning of an ONNX model. */
@Command(name = "prune", mixinStandardHelpOptions = true,
    description = "Removes whole channels (filters) from every prunable layer group of an ONNX model and writes a "
        + "smaller valid ONNX model; pre- and post-processing stay untouched, and the plan, criterion, base model hash, "
        + "params and MACs are recorded in its metadata.")
final class PruneCommand extends CliCommand {
  @Option(names = "--model", required = true, description = "The .onnx file to prune.")
  Path model;

  @Option(names = "--out", required = true, description = "Where to write the pruned .onnx file.")
  Path out;

  @Option(names = "--ratio", defaultValue = "0.5", description = "Fraction of channels removed from every prunable group, in [0, 1) (default: ${DEFAULT-VALUE}).")
  double ratio;

  @Option(names = "--criterion", defaultValue = "l1", description = "Channel ranking: l1, l2, bn or random (default: ${DEFAULT-VALUE}).")
  String criterion;

  @Option(names = "--plan", defaultValue = "uniform", description = "uniform: --ratio everywhere; layers: ratios per "
      + "layer from --layers; sensitivity: least sensitive layers first (measured on a calibration batch) until a MACs or "
      + "params target; latency: meet --target-ms under --latency-table, searched by --latency-method "
      + "(default: ${DEFAULT-VALUE}).")
  String plan;

  @Option(names = "--target-ms", description = "latency plan: target latency, milliseconds.")
  Double targetMs;

  @Option(names = "--latency-table", description = "latency plan: table written by 'pruner latency-table'.")
  Path latencyTable;

  @Option(names = "--latency-model", defaultValue = "table", description = "latency plan: table (per-layer lookup) or linear (the table's fit in MACs) (default: ${DEFAULT-VALUE}).")
  String latencyModel;

  @Option(names = "--latency-method", defaultValue = "greedy", description = "latency plan: greedy (remove the step "
      + "that buys the most latency per importance lost, until the target) or knapsack (HALP-style dynamic programming "
      + "over all layers at once; retains at least as much importance, a little slower) (default: ${DEFAULT-VALUE}).")
  String latencyMethod;

  @Option(names = "--max-ratio", defaultValue = "0.9", description = "latency and sensitivity plans: no layer loses more than this fraction (default: ${DEFAULT-VALUE}).")
  double maxRatio;

  @Option(names = "--target-macs", description = "sensitivity plan: most MACs per sample the result may have (default: those of --plan uniform at --ratio).")
  Long targetMacs;

  @Option(names = "--target-params", description = "sensitivity plan: most trainable parameters the result may have.")
  Long targetParams;

  @Option(names = "--probe-ratio", defaultValue = "0.5", description = "sensitivity plan: ratio each layer is pruned at alone to measure it (default: ${DEFAULT-VALUE}).")
  double probeRatio;

  @Option(names = "--calibration", description = "sensitivity plan: .npy of gathers [N,5,1000,70] (default: synthetic FlatVel gathers modelled on the spot).")
  Path calibration;

  @Option(names = "--calibration-samples", defaultValue = "2", description = "sensitivity plan: samples in the calibration batch (default: ${DEFAULT-VALUE}).")
  int calibrationSamples;

  @Option(names = "--threads", defaultValue = "1", description = "ONNX Runtime threads for the sensitivity runs (default: ${DEFAULT-VALUE}).")
  int threads;

  @Option(names = "--layers", description = "JSON object of per-layer ratios, e.g. {\"*\": 0.5, \"convblock8\": 0.75}; implies --plan layers.")
  Path layers;

  @Option(names = "--round-to", defaultValue = "1", description = "Keep channel counts a multiple of K (default: ${DEFAULT-VALUE}).")
  int roundTo;

  @Option(names = "--steps", defaultValue = "1", description = "Reach the plan in this many progressive steps, writing each intermediate model beside --out as NAME.stepI.onnx (default: ${DEFAULT-VALUE}).")
  int steps;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of the random criterion (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--json", description = "Print JSON (params_before, params_after, macs_before, macs_after, prune_ms, channels).")
  boolean json;

  @Override
  public Integer call() throws Exception {
    Criterion c = Criterion.parse(criterion);
    long t0 = System.nanoTime();
    byte[] bytes = Files.readAllBytes(model);
    ModelProto m = OnnxModels.parse(bytes, model.toString());
    String sha = OnnxModels.sha256(bytes);
    double readMs = (System.nanoTime() - t0) / 1e6;
    long p0 = System.nanoTime();
    ChannelGraph cg = ChannelGraph.analyze(m);
    PrunePlan p = plan(cg);
    List<PruneResult> results = new ArrayList<>();
    if (steps == 1) {
      results.add(Pruner.prune(cg, sha, p, c, seed));
    } else {
      results.addAll(Pruner.progressive(m, sha, p, c, seed, steps, x -> x));
    }
    double planAndPruneMs = (System.nanoTime() - p0) / 1e6;
    List<Path> written = new ArrayList<>();
    long w0 = System.nanoTime();
    for (int i = 0; i < results.size(); i++) {
      Path target = i == results.size() - 1 ? out : stepPath(out, i + 1);
      byte[] b = results.get(i).model().toByteArray();
      OnnxModels.write(b, target);
      written.add(target);
      if (i == results.size() - 1) {
        sha = OnnxModels.sha256(b);
      }
    }
    double writeMs = (System.nanoTime() - w0) / 1e6;
    PruneResult first = results.get(0);
    PruneResult last = results.get(results.size() - 1);
    if (json) {
      ObjectMapper mapper = json();
      ObjectNode o = mapper.createObjectNode();
      o.put("model", model.toString());
      o.put("out", out.toString());
      o.put("sha256", sha);
      o.put("plan", p.kind());
      o.put("criterion", c.cliName());
      o.put("steps", steps);
      o.put("params_before", first.before().params());
      o.put("params_after", last.after().params());
      o.put("macs_before", first.before().macs());
      o.put("macs_after", last.after().macs());
      o.put("params_reduction", 1 - (double) last.after().params() / first.before().params());
      o.put("macs_reduction", 1 - (double) last.after().macs() / first.before().macs());
      o.put("prune_ms", results.stream().mapToLong(PruneResult::pruneNanos).sum() / 1e6);
      o.put("plan_and_prune_ms", planAndPruneMs);
      o.put("read_ms", readMs);
      ObjectNode st = o.putObject("settings");
      p.settings().forEach(st::put);
      o.put("write_ms", writeMs);
      ObjectNode ch = o.putObject("channels");
      last.channels().entrySet().stream().sorted(Map.Entry.comparingByKey())
          .forEach(e -> ch.putArray(e.getKey()).add(first.channels().get(e.getKey())[0]).add(e.getValue()[1]));
      ArrayNode files = o.putArray("written");
      written.forEach(f -> files.add(f.toString()));
      out().println(mapper.writeValueAsString(o));
      return 0;
    }
    String fmt = "%-18s %8s -> %-8s%n";
    out().printf(fmt, "group", "channels", "kept");
    cg.prunable().forEach(g -> out().printf(fmt, g.name(), g.channels(), last.channels().get(g.name())[1]));
    out().printf(Locale.ROOT, "params  %,d -> %,d (-%.1f%%)%n", first.before().params(), last.after().params(),
        100 * (1 - (double) last.after().params() / first.before().params()));
    out().printf(Locale.ROOT, "MACs    %,d -> %,d (-%.1f%%)%n", first.before().macs(), last.after().macs(),
        100 * (1 - (double) last.after().macs() / first.before().macs()));
    out().printf(Locale.ROOT, "pruned in %.0f ms, plan and prune %.0f ms (read %.0f ms, write %.0f ms); %s plan, %s "
        + "criterion, %d step(s)%n", results.stream().mapToLong(PruneResult::pruneNanos).sum() / 1e6, planAndPruneMs,
        readMs, writeMs, p.kind(), c.cliName(), steps);
    p.settings().forEach((k, v) -> out().printf("  %s = %s%n", k, v));
    for (Path f : written) {
      out().printf("wrote %s%n", f);
    }
    out().printf("sha256 %s%n", sha);
    return 0;
  }

  private PrunePlan plan(ChannelGraph cg) throws Exception {
    String kind = layers != null ? "layers" : plan;
    Criterion c = Criterion.parse(criterion);
    return switch (kind) {
      case "latency" -> {
        LatencyPlanner.Method method = switch (latencyMethod) {
          case "greedy" -> LatencyPlanner.Method.GREEDY;
          case "knapsack" -> LatencyPlanner.Method.KNAPSACK;
          default -> throw new IllegalArgumentException("--latency-method must be greedy or knapsack, but was '"
              + latencyMethod + "'");
        };
        if (targetMs == null || latencyTable == null) {
          throw new IllegalArgumentException("--plan latency needs --target-ms and --latency-table (see 'pruner latency-table')");
        }
        LatencyTable table = LatencyTable.read(latencyTable);
        LatencyModel lm = switch (latencyModel) {
          case "table" -> table;
          case "linear" -> table.linearFit();
          default -> throw new IllegalArgumentException("--latency-model must be table or linear, but was '"
              + latencyModel + "'");
        };
        yield LatencyPlanner.plan(cg, lm, targetMs, c, seed, roundTo, maxRatio, method);
      }
      case "sensitivity" -> {
        if (targetMacs != null && targetParams != null) {
          throw new IllegalArgumentException("give --target-macs or --target-params, not both");
        }
        SensitivityPlanner.Target target = targetParams != null
            ? new SensitivityPlanner.Target(SensitivityPlanner.Measure.PARAMS, targetParams)
            : new SensitivityPlanner.Target(SensitivityPlanner.Measure.MACS, targetMacs != null ? targetMacs
                : Pruner.prune(cg, "", Plans.uniform(cg, ratio, roundTo), c, seed).after().macs());
        FloatTensor batch = calibrationBatch(cg);
        List<SensitivityPlanner.Sensitivity> s = SensitivityPlanner.measure(cg, batch, probeRatio, c, seed,
            new RunnerOptions(threads));
        yield SensitivityPlanner.plan(cg, s, target, probeRatio, maxRatio, roundTo);
      }
      case "uniform" -> Plans.uniform(cg, ratio, roundTo);
      case "layers" -> {
        if (layers == null) {
          throw new IllegalArgumentException("--plan layers needs --layers FILE with per-layer ratios");
        }
        yield Plans.perLayer(cg, Plans.readRatios(layers), roundTo);
      }
      default -> throw new IllegalArgumentException("--plan must be uniform, layers, sensitivity or latency, but was '"
          + plan + "'");
    };
  }

  /** The first samples of --calibration, or synthetic FlatVel gathers modelled with the data generator. */
  private FloatTensor calibrationBatch(ChannelGraph cg) throws Exception {
    if (calibrationSamples < 1) {
      throw new IllegalArgumentException("--calibration-samples must be at least 1, but was " + calibrationSamples);
    }
    if (calibration != null) {
      NpyFile f = NpyFile.open(calibration);
      int n = Math.min(calibrationSamples, f.shape().dim(0));
      return f.samples(0, n);
    }
    DatasetGenerator.Request req = DatasetGenerator.Request.openFwi(VelocityFamily.FLATVEL, calibrationSamples,
        calibrationSamples, seed);
    Acquisition acq = req.acquisition();
    List<FloatTensor> gathers = new ArrayList<>();
    for (int i = 0; i < calibrationSamples; i++) {
      gathers.add(DatasetGenerator.gather(DatasetGenerator.model(req, i), req.settings(), acq));
    }
    Shape one = gathers.get(0).shape();
    float[] all = new float[one.elementCount() * gathers.size()];
    for (int i = 0; i < gathers.size(); i++) {
      System.arraycopy(gathers.get(i).data(), 0, all, i * one.elementCount(), one.elementCount());
    }
    return new FloatTensor(Shape.of(gathers.size(), one.dim(0), one.dim(1), one.dim(2)), all);
  }

  /** {@code out.onnx} -> {@code out.step2.onnx}. */
  static Path stepPath(Path out, int step) {
    String name = out.getFileName().toString();
    int dot = name.lastIndexOf('.');
    String stem = dot > 0 ? name.substring(0, dot) : name;
    String ext = dot > 0 ? name.substring(dot) : ".onnx";
    return out.resolveSibling(stem + ".step" + step + ext);
  }
}
