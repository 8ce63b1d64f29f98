package fwi.cloud.model;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.AttributeProto.AttributeType;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/** Appends nodes and initializers to a {@link GraphProto.Builder}. Not thread-safe. */
public final class GraphBuilder {
  private final GraphProto.Builder graph;

  public GraphBuilder(String name) {
    this.graph = GraphProto.newBuilder().setName(name);
  }

  /** A float input or output; a dimension {@code <= 0} becomes the symbolic batch {@code N}. */
  public static ValueInfoProto floatValue(String name, long... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (long d : dims) {
      shape.addDim(d > 0 ? TensorShapeProto.Dimension.newBuilder().setDimValue(d)
          : TensorShapeProto.Dimension.newBuilder().setDimParam("N"));
    }
    return ValueInfoProto.newBuilder().setName(name)
        .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder()
            .setElemType(TensorProto.DataType.FLOAT.getNumber()).setShape(shape)))
        .build();
  }

  public GraphBuilder input(ValueInfoProto v) {
    graph.addInput(v);
    return this;
  }

  public GraphBuilder output(ValueInfoProto v) {
    graph.addOutput(v);
    return this;
  }

  /** Adds a float32 initializer stored as little-endian raw data. */
  public String floats(String name, float[] values, long... dims) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    graph.addInitializer(TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT.getNumber())
        .addAllDims(box(dims)).setRawData(ByteString.copyFrom(b.array())));
    return name;
  }

  /** Adds a rank-0 float32 initializer. */
  public String scalar(String name, float value) {
    return floats(name, new float[] {value});
  }

  /** Adds an int64 initializer (pads, slice bounds). */
  public String longs(String name, long... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    b.asLongBuffer().put(values);
    graph.addInitializer(TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64.getNumber())
        .addDims(values.length).setRawData(ByteString.copyFrom(b.array())));
    return name;
  }

  /** Adds a node with one output named like the node; returns the output name. */
  public String node(String opType, String name, String[] inputs, AttributeProto... attributes) {
    return node(opType, name, name, inputs, attributes);
  }

  /** Adds a node with one output; returns the output name. */
  public String node(String opType, String name, String output, String[] inputs, AttributeProto... attributes) {
    return node(opType, name, List.of(output), inputs, attributes).get(0);
  }

  /** Adds a node with several outputs (a Split); returns the output names. */
  public List<String> node(String opType, String name, List<String> outputs, String[] inputs,
      AttributeProto... attributes) {
    NodeProto.Builder n = NodeProto.newBuilder().setOpType(opType).setName(name).addAllOutput(outputs);
    for (String in : inputs) {
      n.addInput(in);
    }
    for (AttributeProto a : attributes) {
      n.addAttribute(a);
    }
    graph.addNode(n);
    return List.copyOf(outputs);
  }

  public static AttributeProto ints(String name, long... values) {
    AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeType.INTS);
    for (long v : values) {
      a.addInts(v);
    }
    return a.build();
  }

  public static AttributeProto floatAttr(String name, float value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeType.FLOAT).setF(value).build();
  }

  public static AttributeProto stringAttr(String name, String value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeType.STRING)
        .setS(ByteString.copyFromUtf8(value)).build();
  }

  public GraphProto build() {
    return graph.build();
  }

  private static Iterable<Long> box(long[] dims) {
    java.util.List<Long> l = new java.util.ArrayList<>(dims.length);
    for (long d : dims) {
      l.add(d);
    }
    return l;
  }

  /**
   * Adds a {@code Constant} node holding a 1-D int64 tensor in its {@code value} attribute (the
   * form {@code torch.onnx.export} writes for pads and shapes; valid from opset 1 on); returns the
   * output name.
   */
  public String constantLongs(String nodeName, String output, long... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    b.asLongBuffer().put(values);
    TensorProto t = TensorProto.newBuilder().setDataType(TensorProto.DataType.INT64.getNumber())
        .addDims(values.length).setRawData(ByteString.copyFrom(b.array())).build();
    return node("Constant", nodeName, output, new String[0],
        AttributeProto.newBuilder().setName("value").setType(AttributeType.TENSOR).setT(t).build());
  }
}
