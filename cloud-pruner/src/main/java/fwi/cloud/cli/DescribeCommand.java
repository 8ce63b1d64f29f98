package fwi.cloud.cli;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fwi.cloud.graph.LayerStats;
import fwi.cloud.graph.ModelCounter;
import fwi.cloud.graph.ModelSummary;
import fwi.cloud.model.OnnxModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pruner describe}: per-layer parameters and MACs of any model of the InversionNet op family. */
@Command(name = "describe", mixinStandardHelpOptions = true,
    description = "Prints a per-layer table (name, op, channels, kernel, stride, output shape, params, MACs per sample) "
        + "and totals for an ONNX model.")
final class DescribeCommand extends CliCommand {
  @Option(names = "--model", required = true, description = "The .onnx file.")
  Path model;

  @Option(names = "--json", description = "Print JSON (top-level params and macs, plus layers) instead of a table.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    byte[] bytes = Files.readAllBytes(model);
    ModelProto m = OnnxModels.parse(bytes, model.toString());
    ModelSummary s = ModelCounter.count(m);
    String sha = OnnxModels.sha256(bytes);
    if (json) {
      out().println(toJson(m, s, sha, bytes.length));
    } else {
      printTable(m, s, sha, bytes.length);
    }
    return 0;
  }

  static String toJson(ModelProto m, ModelSummary s, String sha, long size) throws Exception {
    ObjectMapper mapper = json();
    ObjectNode root = mapper.createObjectNode();
    root.put("params", s.params());
    root.put("macs", s.macs());
    root.put("buffers", s.buffers());
    root.put("sha256", sha);
    root.put("sizeBytes", size);
    root.put("irVersion", m.getIrVersion());
    root.put("opset", s.opset());
    root.put("modelVersion", m.getModelVersion());
    root.putPOJO("inputShape", s.inputShape());
    root.putPOJO("outputShape", s.outputShape());
    ObjectNode md = root.putObject("metadata");
    OnnxModels.metadata(m).forEach(md::put);
    ArrayNode layers = root.putArray("layers");
    for (LayerStats l : s.layers()) {
      ObjectNode o = layers.addObject();
      o.put("name", l.name());
      o.put("op", l.op());
      o.put("inChannels", l.inChannels());
      o.put("outChannels", l.outChannels());
      o.putPOJO("kernel", l.kernel());
      o.putPOJO("stride", l.stride());
      o.putPOJO("outputShape", l.outputShape());
      o.put("params", l.params());
      o.put("buffers", l.buffers());
      o.put("macs", l.macs());
    }
    return mapper.writeValueAsString(root);
  }

  private void printTable(ModelProto m, ModelSummary s, String sha, long size) {
    Map<String, String> md = OnnxModels.metadata(m);
    out().printf("model    %s%n", md.getOrDefault("fwi.model.name", m.getGraph().getName()));
    out().printf("version  %d   width %s   IR %d   opset %d%n", m.getModelVersion(),
        md.getOrDefault("fwi.model.width", "?"), m.getIrVersion(), s.opset());
    out().printf("sha256   %s   %,d bytes%n", sha, size);
    out().printf("input    %s per sample   output %s per sample%n", Arrays.toString(s.inputShape()),
        Arrays.toString(s.outputShape()));
    out().println();
    String fmt = "%-16s %-14s %5s %5s %-7s %-7s %-15s %12s %15s%n";
    out().printf(fmt, "layer", "op", "in", "out", "kernel", "stride", "output C,H,W", "params", "MACs");
    for (LayerStats l : s.layers()) {
      out().printf(fmt, l.name(), l.op(), l.inChannels(), l.outChannels(), dims(l.kernel()), dims(l.stride()),
          Arrays.stream(l.outputShape()).mapToObj(Long::toString).collect(Collectors.joining(",")),
          String.format(Locale.ROOT, "%,d", l.params()), String.format(Locale.ROOT, "%,d", l.macs()));
    }
    out().println();
    out().printf(Locale.ROOT, "trainable params  %,d%n", s.params());
    out().printf(Locale.ROOT, "BN statistics     %,d (running mean and variance, not trained)%n", s.buffers());
    out().printf(Locale.ROOT, "MACs per sample   %,d (%.3f G; %.2f GFLOPs)%n", s.macs(), s.macs() / 1e9, 2 * s.macs() / 1e9);
    out().printf(Locale.ROOT, "weights           %.1f MB float32%n", s.weightBytes() / 1e6);
  }

  private static String dims(long[] d) {
    return d.length == 0 ? "-" : Arrays.stream(d).mapToObj(Long::toString).collect(Collectors.joining("x"));
  }
}
