package fwi.cloud.graph;

import static fwi.cloud.model.GraphBuilder.floatValue;
import static fwi.cloud.model.GraphBuilder.ints;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import fwi.cloud.model.GraphBuilder;
import fwi.cloud.model.InvalidModelException;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Shapes of the ops whose arguments name axes, against shapes worked out by hand from the ONNX operator docs. */
class ShapeInferenceTest {
  private static final long[] X = {2, 3, 4, 5};

  /** Infers a graph reading {@code x [2, 3, 4, 5]} at the given opset. */
  private static Map<String, long[]> infer(long opset, Consumer<GraphBuilder> nodes) throws InvalidModelException {
    GraphBuilder g = new GraphBuilder("axes");
    g.input(floatValue("x", X));
    nodes.accept(g);
    ModelProto m = ModelProto.newBuilder().setIrVersion(8)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset)).setGraph(g.build()).build();
    return ShapeInference.infer(new OnnxGraph(m), 1);
  }

  private static AttributeProto attr(String name, long v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
  }

  @Test
  void transposeFollowsPermAndReversesWithoutIt() throws Exception {
    Map<String, long[]> s = infer(17, g -> {
      g.node("Transpose", "t", new String[] {"x"}, ints("perm", 0, 2, 3, 1));
      g.node("Transpose", "r", new String[] {"x"});
    });
    assertArrayEquals(new long[] {2, 4, 5, 3}, s.get("t"));
    assertArrayEquals(new long[] {5, 4, 3, 2}, s.get("r"));
  }

  @Test
  void transposeWithARepeatedAxisIsRefusedNamingPerm() {
    InvalidModelException e = assertThrows(InvalidModelException.class,
        () -> infer(17, g -> g.node("Transpose", "t", new String[] {"x"}, ints("perm", 0, 1, 1, 3))));
    assertEquals("node 't' (Transpose): perm [0, 1, 1, 3] is not a permutation of the 4 axes of its input",
        e.getMessage());
  }

  @Test
  void reductionsTakeAxesFromTheAttributeOrFromTheInputAndHonourKeepdims() throws Exception {
    Map<String, long[]> old = infer(11, g -> {
      g.node("ReduceMean", "keep", new String[] {"x"}, ints("axes", 2, -1));
      g.node("ReduceSum", "drop", new String[] {"x"}, ints("axes", 1), attr("keepdims", 0));
      g.node("ReduceMax", "all", new String[] {"x"}, attr("keepdims", 0));
    });
    assertArrayEquals(new long[] {2, 3, 1, 1}, old.get("keep"));
    assertArrayEquals(new long[] {2, 4, 5}, old.get("drop"));
    assertArrayEquals(new long[0], old.get("all"));
    Map<String, long[]> v13 = infer(13, g -> {
      g.node("ReduceSum", "input", new String[] {"x", g.longs("axes", 0, 3)}, attr("keepdims", 0));
      g.node("ReduceSum", "noop", new String[] {"x"}, attr("noop_with_empty_axes", 1));
    });
    assertArrayEquals(new long[] {3, 4}, v13.get("input"));
    assertArrayEquals(X, v13.get("noop"));
  }

  @Test
  void splitUsesTheAttributeTheInputOrEqualParts() throws Exception {
    Map<String, long[]> s = infer(11, g -> {
      g.node("Split", "attr", List.of("a0", "a1"), new String[] {"x"}, attr("axis", 2), ints("split", 1, 3));
      g.node("Split", "equal", List.of("e0", "e1", "e2"), new String[] {"x"}, attr("axis", 1));
    });
    assertArrayEquals(new long[] {2, 3, 1, 5}, s.get("a0"));
    assertArrayEquals(new long[] {2, 3, 3, 5}, s.get("a1"));
    assertArrayEquals(new long[] {2, 1, 4, 5}, s.get("e2"));
    Map<String, long[]> v13 = infer(13, g -> g.node("Split", "input", List.of("i0", "i1"),
        new String[] {"x", g.longs("sizes", 2, 3)}, attr("axis", -1)));
    assertArrayEquals(new long[] {2, 3, 4, 2}, v13.get("i0"));
    assertArrayEquals(new long[] {2, 3, 4, 3}, v13.get("i1"));
    Map<String, long[]> v18 = infer(18, g -> g.node("Split", "chunks", List.of("c0", "c1"), new String[] {"x"},
        attr("axis", 3), attr("num_outputs", 2)));
    assertArrayEquals(new long[] {2, 3, 4, 3}, v18.get("c0"), "ceil(5 / 2)");
    assertArrayEquals(new long[] {2, 3, 4, 2}, v18.get("c1"), "the rest");
  }

  @Test
  void splitIntoSizesThatDoNotAddUpIsRefusedNamingThem() {
    InvalidModelException e = assertThrows(InvalidModelException.class, () -> infer(11, g -> g.node("Split", "s",
        List.of("p", "q"), new String[] {"x"}, attr("axis", 3), ints("split", 2, 2))));
    assertEquals("node 's' (Split): sizes [2, 2] must be 2 non-negative values summing to 5, the size of axis 3 of "
        + "[2, 3, 4, 5]", e.getMessage());
  }

  @Test
  void tileMultipliesEveryAxisByItsRepeats() throws Exception {
    Map<String, long[]> s = infer(13, g -> g.node("Tile", "t", new String[] {"x", g.longs("repeats", 1, 2, 1, 3)}));
    assertArrayEquals(new long[] {2, 6, 4, 15}, s.get("t"));
  }

  @Test
  void tileWithRepeatsComputedAtRunTimeIsRefusedByName() {
    UnsupportedOperatorException e = assertThrows(UnsupportedOperatorException.class, () -> infer(13, g -> {
      g.input(ValueInfoProto.newBuilder().setName("reps").setType(TypeProto.newBuilder().setTensorType(
          TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.INT64.getNumber()))).build());
      g.node("Tile", "t", new String[] {"x", "reps"});
    }));
    assertEquals("node 't' (Tile): repeats (input 1) must be a constant, but 'reps' is computed at run time",
        e.getMessage());
  }

  @Test
  void gatherReplacesItsAxisByTheShapeOfTheIndices() throws Exception {
    Map<String, long[]> s = infer(13, g -> {
      g.node("Gather", "rows", new String[] {"x", g.longs("idx", 0, 3, 1)}, attr("axis", 2));
      g.input(floatValue("table", 7, 4));
      g.input(ValueInfoProto.newBuilder().setName("ids").setType(TypeProto.newBuilder().setTensorType(
          TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.INT64.getNumber())
              .setShape(floatValue("ids", 2, 6).getType().getTensorType().getShape()))).build());
      g.node("Gather", "embed", new String[] {"table", "ids"});
    });
    assertArrayEquals(new long[] {2, 3, 3, 5}, s.get("rows"));
    assertArrayEquals(new long[] {2, 6, 4}, s.get("embed"), "an embedding lookup with indices known only at run time");
  }

  @Test
  void anAxisOutsideTheInputIsRefusedNamingIt() {
    InvalidModelException e = assertThrows(InvalidModelException.class,
        () -> infer(13, g -> g.node("Gather", "g", new String[] {"x", g.longs("idx", 0)}, attr("axis", 4))));
    assertEquals("node 'g' (Gather): axis names axis 4, outside the 4 axes of its input", e.getMessage());
  }
}
