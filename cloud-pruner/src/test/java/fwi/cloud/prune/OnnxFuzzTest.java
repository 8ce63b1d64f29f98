package fwi.cloud.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.InvalidProtocolBufferException;
import fwi.cloud.graph.ModelCounter;
import fwi.cloud.model.InvalidModelException;
import fwi.cloud.model.OnnxModels;
import fwi.cloud.registry.ModelDescription;
import fwi.testing.Fuzz;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Hostile ONNX models (an operator's upload to {@code POST /api/profiles/{p}/models}, a file given
 * to {@code pruner prune}): describing, analysing and pruning either succeed with a smaller valid
 * model or throw {@link InvalidModelException} (or its {@code UnsupportedOperatorException}) naming
 * what is wrong; nothing else, no hang. Two campaigns: whole files mutated byte by byte (mostly
 * caught by the protobuf parser), and one node, initializer or graph input of a valid model
 * mutated and put back, which reaches the shape inference, channel analysis and pruning.
 * {@code -Dfwi.fuzz.tries=100000} for a long run.
 */
class OnnxFuzzTest {
  private static final int TRIES = 150;
  private static final ModelProto BASE = Fixtures.inversionNet(1.0 / 32);
  private static final String SHA = "0".repeat(64);

  /** What the service and the CLI do with outside bytes: describe (registry), analyse, prune by half, count the result. */
  static void describeAnalyseAndPrune(byte[] onnx) throws Exception {
    ModelDescription d = ModelDescription.of(onnx, "upload.onnx");
    ModelProto m = OnnxModels.parse(onnx, "upload.onnx");
    ChannelGraph cg = ChannelGraph.analyze(m);
    PruneResult r = Pruner.prune(cg, SHA, Plans.uniform(cg, 0.5, 1), Criterion.L1, 0);
    assertTrue(r.after().params() <= r.before().params(), "pruning added parameters: " + r.before() + " -> " + r.after());
    assertEquals(d.params(), r.before().params(), "the registry and the pruner count the same model differently");
    ModelCounter.count(r.model());
  }

  private static Fuzz.Campaign campaign(String name, Fuzz.Target t) {
    return Fuzz.campaign(name, t).documented(InvalidModelException.class, InvalidProtocolBufferException.class)
        .timeoutMs(20_000).allocationBudget(n -> 400L * BASE.getSerializedSize() + (256L << 20));
  }

  @Test
  void refusesHostileModelFilesByName() {
    campaign("onnx-file", OnnxFuzzTest::describeAnalyseAndPrune)
        .seeds(List.of(BASE.toByteArray(), Fixtures.inversionNet(1.0 / 64).toByteArray())).run(TRIES);
  }

  /**
   * Input: a kind byte (node, initializer, graph input), an index byte, then the serialized part
   * that replaces that element of {@link #BASE}.
   */
  static byte[] spliced(byte[] input) throws InvalidProtocolBufferException {
    if (input.length < 2) {
      throw new InvalidProtocolBufferException("a spliced case needs a kind and an index byte, but had " + input.length
          + " bytes");
    }
    ModelProto.Builder b = BASE.toBuilder();
    byte[] part = java.util.Arrays.copyOfRange(input, 2, input.length);
    int index = input[1] & 0xff;
    switch ((input[0] & 0xff) % 3) {
      case 0 -> b.getGraphBuilder().setNode(index % BASE.getGraph().getNodeCount(), NodeProto.parseFrom(part));
      case 1 -> b.getGraphBuilder().setInitializer(index % BASE.getGraph().getInitializerCount(),
          TensorProto.parseFrom(part));
      default -> b.getGraphBuilder().setInput(index % BASE.getGraph().getInputCount(), ValueInfoProto.parseFrom(part));
    }
    return b.build().toByteArray();
  }

  static List<byte[]> parts() {
    List<byte[]> seeds = new ArrayList<>();
    for (int i = 0; i < BASE.getGraph().getNodeCount(); i += 3) {
      seeds.add(withPrefix(0, i, BASE.getGraph().getNode(i).toByteArray()));
    }
    for (int i = 0; i < BASE.getGraph().getInitializerCount(); i += 5) {
      seeds.add(withPrefix(1, i, BASE.getGraph().getInitializer(i).toByteArray()));
    }
    seeds.add(withPrefix(2, 0, BASE.getGraph().getInput(0).toByteArray()));
    return seeds;
  }

  private static byte[] withPrefix(int kind, int index, byte[] part) {
    byte[] out = new byte[part.length + 2];
    out[0] = (byte) kind;
    out[1] = (byte) index;
    System.arraycopy(part, 0, out, 2, part.length);
    return out;
  }

  /** Every conv weight in turn claiming 2^20 x 2^20 x 3 x 3 values while its data stays small. */
  @Test
  void refusesInitializersWhoseDimensionsClaimMoreThanTheirData() {
    Fuzz.Campaign c = campaign("onnx-part", input -> describeAnalyseAndPrune(spliced(input)));
    for (int i = 0; i < BASE.getGraph().getInitializerCount(); i++) {
      TensorProto t = BASE.getGraph().getInitializer(i);
      if (t.getDimsCount() == 4) {
        TensorProto huge = t.toBuilder().clearDims().addDims(1 << 20).addDims(1 << 20).addDims(3).addDims(3).build();
        c.check(withPrefix(1, i, huge.toByteArray()));
      }
    }
  }

  @Test
  void refusesHostileNodesInitializersAndInputsByName() {
    campaign("onnx-part", input -> describeAnalyseAndPrune(spliced(input))).seeds(parts()).run(2 * TRIES);
  }
}
