package fwi.cloud.cli;

import fwi.cloud.latency.Timing;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fwi.cloud.graph.ModelCounter;
import fwi.cloud.graph.ModelSummary;
import fwi.cloud.model.OnnxModels;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pruner profile}: where ONNX Runtime spends a model's time, per node and per op type, from
 * ONNX Runtime's own profiler (kernel times of the optimized graph, so fused nodes appear fused).
 */
@Command(name = "profile", mixinStandardHelpOptions = true,
    description = "Runs a model under ONNX Runtime's profiler and prints the time per op type and the slowest nodes "
        + "(kernel time per run, averaged over the timed runs), next to the whole-run latency.")
final class ProfileCommand extends CliCommand {
  @Option(names = "--model", required = true, description = "The .onnx file.")
  Path model;

  @Option(names = "--threads", defaultValue = "1", description = "ONNX Runtime intra-op threads (default: ${DEFAULT-VALUE}).")
  int threads;

  @Option(names = "--runs", defaultValue = "20", description = "Profiled runs after 3 warm-up runs (default: ${DEFAULT-VALUE}).")
  int runs;

  @Option(names = "--top", defaultValue = "12", description = "Slowest nodes to list (default: ${DEFAULT-VALUE}).")
  int top;

  @Option(names = "--optimization", defaultValue = "all", description = "ONNX Runtime graph optimization: all (with NCHWc layouts), extended or basic (default: ${DEFAULT-VALUE}).")
  String optimization;

  @Option(names = "--json", description = "Print JSON instead of tables.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    if (threads < 1 || runs < 1) {
      throw new IllegalArgumentException("--threads and --runs must be at least 1, but were " + threads + ", " + runs);
    }
    byte[] bytes = Files.readAllBytes(model);
    ModelSummary s = ModelCounter.count(OnnxModels.parse(bytes, model.toString()));
    FloatTensor x = Timing.noise(Shape.of(1, (int) s.inputShape()[0], (int) s.inputShape()[1], (int) s.inputShape()[2]), 7);
    Path dir = Files.createTempDirectory("ort-profile");
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    Path trace;
    long wallNs;
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.setIntraOpNumThreads(threads);
      so.setInterOpNumThreads(1);
      so.setOptimizationLevel(switch (optimization) {
        case "all" -> OrtSession.SessionOptions.OptLevel.ALL_OPT;
        case "extended" -> OrtSession.SessionOptions.OptLevel.EXTENDED_OPT;
        case "basic" -> OrtSession.SessionOptions.OptLevel.BASIC_OPT;
        default -> throw new IllegalArgumentException("--optimization must be all, extended or basic, but was '"
            + optimization + "'");
      });
      so.enableProfiling(dir.resolve("trace").toString());
      try (OrtSession session = env.createSession(bytes, so)) {
        String input = session.getInputNames().iterator().next();
        for (int i = 0; i < 3; i++) {
          runOnce(env, session, input, x);
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < runs; i++) {
          runOnce(env, session, input, x);
        }
        wallNs = System.nanoTime() - t0;
        trace = Path.of(session.endProfiling());
      }
    }
    JsonNode events = new ObjectMapper().readTree(Files.readAllBytes(trace));
    Files.deleteIfExists(trace);
    Files.deleteIfExists(dir);
    // Node events are named "<node>_kernel_time"; the first 3 runs are warm-up.
    Map<String, Double> byNode = new LinkedHashMap<>();
    Map<String, String> opOf = new HashMap<>();
    int seenRuns = 0;
    for (JsonNode e : events) {
      String name = e.path("name").asText();
      if (e.path("cat").asText().equals("Session") && name.equals("model_run")) {
        seenRuns++;
        continue;
      }
      if (!e.path("cat").asText().equals("Node") || !name.endsWith("_kernel_time")) {
        continue;
      }
      String node = name.substring(0, name.length() - "_kernel_time".length());
      opOf.put(node, e.path("args").path("op_name").asText("?"));
      byNode.merge(node, e.path("dur").asDouble(), Double::sum);
    }
    int total = Math.max(seenRuns, 1);
    Map<String, Double> byOp = new LinkedHashMap<>();
    byNode.forEach((n, us) -> byOp.merge(opOf.get(n), us, Double::sum));
    double kernelUs = byNode.values().stream().mapToDouble(Double::doubleValue).sum() / total;
    double wallMs = wallNs / 1e6 / runs;
    List<Map.Entry<String, Double>> ops = new ArrayList<>(byOp.entrySet());
    ops.sort(Map.Entry.<String, Double>comparingByValue().reversed());
    List<Map.Entry<String, Double>> nodes = new ArrayList<>(byNode.entrySet());
    nodes.sort(Map.Entry.<String, Double>comparingByValue().reversed());
    if (json) {
      ObjectMapper mapper = json();
      ObjectNode o = mapper.createObjectNode();
      o.put("model", model.toString());
      o.put("threads", threads);
      o.put("wall_ms_per_run", wallMs);
      o.put("kernel_ms_per_run", kernelUs / 1e3);
      ObjectNode op = o.putObject("op_ms_per_run");
      ops.forEach(e -> op.put(e.getKey(), e.getValue() / total / 1e3));
      ArrayNode nd = o.putArray("nodes");
      nodes.forEach(e -> nd.addObject().put("node", e.getKey()).put("op", opOf.get(e.getKey()))
          .put("ms_per_run", e.getValue() / total / 1e3));
      out().println(mapper.writeValueAsString(o));
      return 0;
    }
    out().printf(Locale.ROOT, "%s: %d thread(s), %d profiled runs; wall %.2f ms per run, kernels %.2f ms (%.0f%%)%n",
        model, threads, runs, wallMs, kernelUs / 1e3, 100 * kernelUs / 1e3 / wallMs);
    out().printf("%-28s %10s %7s%n", "op type", "ms/run", "share");
    for (Map.Entry<String, Double> e : ops) {
      double ms = e.getValue() / total / 1e3;
      out().printf(Locale.ROOT, "%-28s %10.3f %6.1f%%%n", e.getKey(), ms, 100 * ms / (kernelUs / 1e3));
    }
    out().printf("%n%-40s %-20s %10s%n", "slowest nodes", "op", "ms/run");
    for (Map.Entry<String, Double> e : nodes.subList(0, Math.min(top, nodes.size()))) {
      out().printf(Locale.ROOT, "%-40s %-20s %10.3f%n", e.getKey(), opOf.get(e.getKey()), e.getValue() / total / 1e3);
    }
    return 0;
  }

  private static void runOnce(OrtEnvironment env, OrtSession session, String input, FloatTensor x) throws Exception {
    try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x.data()), x.shape().toLongArray());
        OrtSession.Result r = session.run(Map.of(input, t))) {
      r.get(0);
    }
  }
}
