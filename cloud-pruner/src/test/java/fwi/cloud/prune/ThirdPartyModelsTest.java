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
import java.nio.LongBuffer;
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
      // Pruning hidden channels changes the function, so a pruned model must only run and keep its output shapes.
      boolean whole = cg.prunable().isEmpty();
      boolean ran = assertRunsLikeTheCase(p, r.model(), id, whole);
      if (whole) {
        assertEquals(s.params(), r.after().params(), id);
        if (ran) {
          matched++;
        }
        outcomes.put(id, "counted (" + s.params() + " params, " + s.macs() + " MACs); every channel is graph input "
            + "or output, so pruning leaves it whole" + (ran ? "; it still matches the expected outputs"
            : "; ONNX Runtime cannot run the original"));
        continue;
      }
      assertTrue(r.after().params() < s.params(), id + ": pruning removed nothing");
      pruned++;
      outcomes.put(id, "pruned " + s.params() + " -> " + r.after().params() + " params" + (ran
          ? "; runs with the expected output shapes" : "; ONNX Runtime cannot run the original"));
    }
    StringBuilder report = new StringBuilder();
    outcomes.forEach((k, v) -> report.append(k).append(": ").append(v).append('\n'));
    System.out.print(report);
    System.out.printf("%d models: %d counted (%d pruned, %d left whole, run by ONNX Runtime after pruning and "
        + "matching the expected outputs), %d refused by name%n", models.size(), counted, pruned, matched, refused);
    assertEquals(models.size(), counted + refused);
    // All 117 are counted. They are single layers or single ops (test_operator_addmm chains two Gemms, but on graph
    // inputs, not stored weights): no hidden channel to prune, so every one must still match its expected outputs
    // wherever ONNX Runtime runs the original (it refuses 34 of these opset-6 exports, the unpruned ones included).
    assertTrue(counted >= 117, "counted only " + counted + ":\n" + report);
    assertTrue(matched >= 83, "only " + matched + " models still matched their expected outputs after pruning:\n"
        + report);
  }

  /** A float32 or int64 (indices of an embedding lookup) input as ONNX Runtime takes it. */
  private static OnnxTensor tensor(OrtEnvironment env, TensorProto t) throws Exception {
    long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
    if (t.getDataType() == TensorProto.DataType.INT64.getNumber()) {
      return OnnxTensor.createTensor(env, LongBuffer.wrap(OnnxGraph.longValues(t)), dims);
    }
    return OnnxTensor.createTensor(env, FloatBuffer.wrap(OnnxGraph.floatValues(t)), dims);
  }

  /**
   * Runs a model on the case's own inputs; its outputs must have the case's expected shapes and, when
   * {@code compareValues}, its expected values.
   *
   * @return false when ONNX Runtime cannot load the original model either
   */
  private static boolean assertRunsLikeTheCase(Path modelFile, ModelProto model, String id, boolean compareValues)
      throws Exception {
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
        feed.put(inputs.get(i), tensor(env, t));
      }
      try (OrtSession.Result r = session.run(feed)) {
        for (int i = 0; i < r.size(); i++) {
          TensorProto expected = TensorProto.parseFrom(Files.readAllBytes(dataSet.resolve("output_" + i + ".pb")));
          OnnxTensor actual = (OnnxTensor) r.get(i);
          assertArrayEquals(expected.getDimsList().stream().mapToLong(Long::longValue).toArray(),
              actual.getInfo().getShape(), id);
          if (!compareValues) {
            continue;
          }
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
