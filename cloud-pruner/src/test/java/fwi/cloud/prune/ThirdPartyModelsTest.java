package fwi.cloud.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import fwi.cloud.graph.ModelCounter;
import fwi.cloud.graph.ModelSummary;
import fwi.cloud.graph.OnnxGraph;
import fwi.cloud.graph.UnsupportedOperatorException;
import fwi.cloud.model.OnnxModels;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The PyTorch-exported models of Debian's {@code libonnx-testdata} (installed by {@code deploy/bin/test}):
 * real third-party graphs. Every one is loaded and counted or refused with an error naming node and
 * op; every one with prunable channels is pruned, and ONNX Runtime runs the result on the case's own
 * input with outputs of the original shapes.
 */
class ThirdPartyModelsTest {
  static final Path DATA = Path.of("/usr/share/libonnx-testdata/data");

  record Outcome(String model, String result) {}

  private static List<Path> models() throws Exception {
    if (!Files.isDirectory(DATA.resolve("pytorch-converted"))) {
      fail("Debian package libonnx-testdata is missing: deploy/bin/test installs it (apt-get install libonnx-testdata)");
    }
    List<Path> all = new ArrayList<>();
    for (String set : new String[] {"pytorch-converted", "pytorch-operator"}) {
      try (Stream<Path> s = Files.list(DATA.resolve(set))) {
        s.map(d -> d.resolve("model.onnx")).filter(Files::exists).sorted().forEach(all::add);
      }
    }
    return all;
  }

  @Test
  void everyPytorchExportedModelIsCountedAndPrunedOrRefusedByName() throws Exception {
    List<Path> models = models();
    assertTrue(models.size() >= 100, "found only " + models.size() + " models");
    Map<String, String> outcomes = new TreeMap<>();
    int counted = 0;
    int pruned = 0;
    int refused = 0;
    int matched = 0;
    for (Path p : models) {
      String id = p.getParent().getParent().getFileName() + "/" + p.getParent().getFileName();
      ModelProto m = OnnxModels.read(p);
      ModelSummary s;
      ChannelGraph cg;
      try {
        s = ModelCounter.count(m);
        cg = ChannelGraph.analyze(m);
      } catch (UnsupportedOperatorException e) {
        assertTrue(e.getMessage().startsWith("node '" + e.node() + "' (" + e.op() + ")"), e.getMessage());
        refused++;
        outcomes.put(id, "refused: " + e.getMessage());
        continue;
      }
      counted++;
      PruneResult r = Pruner.prune(cg, "0".repeat(64), Plans.uniform(cg, 0.5, 1), Criterion.L1, 0);
      boolean ran = assertMatchesExpectedOutputs(p, r.model(), id);
      if (ran) {
        matched++;
      }
      if (cg.prunable().isEmpty()) {
        assertEquals(s.params(), r.after().params(), id);
        outcomes.put(id, "counted (" + s.params() + " params, " + s.macs() + " MACs); every channel is graph input "
            + "or output, so pruning leaves it whole" + (ran ? "; it still matches the expected outputs"
            : "; ONNX Runtime cannot run the original"));
        continue;
      }
      assertTrue(r.after().params() < s.params(), id + ": pruning removed nothing");
      pruned++;
      outcomes.put(id, "pruned " + s.params() + " -> " + r.after().params() + " params");
    }
    StringBuilder report = new StringBuilder();
    outcomes.forEach((k, v) -> report.append(k).append(": ").append(v).append('\n'));
    System.out.print(report);
    System.out.printf("%d models: %d counted (%d pruned, %d run by ONNX Runtime after pruning and matching the expected "
        + "outputs), %d refused by name%n", models.size(), counted, pruned, matched, refused);
    assertEquals(models.size(), counted + refused);
    // These exports are single layers or single ops: no hidden channels to prune. 103 of 117 are counted;
    // the rest use Gather, Split, Transpose, ReduceMean/Sum or Tile, which the analysis refuses by name.
    assertTrue(counted >= 103, "counted only " + counted + ":\n" + report);
    assertTrue(matched >= 71, "only " + matched + " pruned models matched their expected outputs:\n" + report);
  }

  /** Runs a model on the case's own inputs; its outputs must match the case's expected outputs. */
  private static boolean assertMatchesExpectedOutputs(Path modelFile, ModelProto model, String id) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    Path dataSet = modelFile.getParent().resolve("test_data_set_0");
    OnnxGraph g = new OnnxGraph(model);
    List<String> inputs = model.getGraph().getInputList().stream().map(v -> v.getName()).filter(n -> !g.isInitializer(n))
        .toList();
    Map<String, OnnxTensor> feed = new HashMap<>();
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      try (OrtSession original = env.createSession(Files.readAllBytes(modelFile), so)) {
        original.getInputNames();
      } catch (ai.onnxruntime.OrtException e) {
        return false; // ONNX Runtime has no kernel for the original either (e.g. AveragePool of opset 1)
      }
    }
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        OrtSession session = env.createSession(model.toByteArray(), so)) {
      for (int i = 0; i < inputs.size(); i++) {
        TensorProto t = TensorProto.parseFrom(Files.readAllBytes(dataSet.resolve("input_" + i + ".pb")));
        long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
        feed.put(inputs.get(i), OnnxTensor.createTensor(env, FloatBuffer.wrap(OnnxGraph.floatValues(t)), dims));
      }
      try (OrtSession.Result r = session.run(feed)) {
        for (int i = 0; i < r.size(); i++) {
          TensorProto expected = TensorProto.parseFrom(Files.readAllBytes(dataSet.resolve("output_" + i + ".pb")));
          OnnxTensor actual = (OnnxTensor) r.get(i);
          assertArrayEquals(expected.getDimsList().stream().mapToLong(Long::longValue).toArray(),
              actual.getInfo().getShape(), id);
          FloatBuffer fb = actual.getFloatBuffer();
          float[] got = new float[fb.remaining()];
          fb.get(got);
          float[] want = OnnxGraph.floatValues(expected);
          for (int k = 0; k < want.length; k++) {
            if (Float.isFinite(want[k])) {
              assertEquals(want[k], got[k], 1e-3 * Math.max(1, Math.abs(want[k])), id + " output " + i + " value " + k);
            } else {
              assertEquals(want[k], got[k], id + " output " + i + " value " + k); // NaN and ±Inf must match exactly
            }
          }
        }
      }
    } finally {
      feed.values().forEach(OnnxTensor::close);
    }
    return true;
  }
}
