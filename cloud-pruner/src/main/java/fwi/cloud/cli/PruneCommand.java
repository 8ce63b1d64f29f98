package fwi.cloud.cli;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fwi.cloud.model.OnnxModels;
import fwi.cloud.prune.ChannelGraph;
import fwi.cloud.prune.Criterion;
import fwi.cloud.prune.Plans;
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

  @Option(names = "--plan", defaultValue = "uniform", description = "uniform: --ratio everywhere; layers: ratios per layer from --layers (default: ${DEFAULT-VALUE}).")
  String plan;

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
    out().printf(Locale.ROOT, "pruned in %.0f ms (read %.0f ms, write %.0f ms); %s plan, %s criterion, %d step(s)%n",
        results.stream().mapToLong(PruneResult::pruneNanos).sum() / 1e6, readMs, writeMs, p.kind(), c.cliName(), steps);
    for (Path f : written) {
      out().printf("wrote %s%n", f);
    }
    out().printf("sha256 %s%n", sha);
    return 0;
  }

  private PrunePlan plan(ChannelGraph cg) throws Exception {
    String kind = layers != null ? "layers" : plan;
    return switch (kind) {
      case "uniform" -> Plans.uniform(cg, ratio, roundTo);
      case "layers" -> {
        if (layers == null) {
          throw new IllegalArgumentException("--plan layers needs --layers FILE with per-layer ratios");
        }
        yield Plans.perLayer(cg, Plans.readRatios(layers), roundTo);
      }
      default -> throw new IllegalArgumentException("--plan must be uniform or layers, but was '" + plan + "'");
    };
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
