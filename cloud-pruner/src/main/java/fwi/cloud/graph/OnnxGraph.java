package fwi.cloud.graph;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import fwi.cloud.model.InvalidModelException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Read-only index over an ONNX graph: initializers by name, the node producing each tensor, the
 * nodes consuming it, and the default-domain opset. Nodes keep file order, which ONNX requires to
 * be topological. Immutable after construction; safe to share between threads.
 */
public final class OnnxGraph {
  private final ModelProto model;
  private final Map<String, TensorProto> initializers = new HashMap<>();
  private final Map<String, NodeProto> producers = new HashMap<>();
  private final Map<String, List<NodeProto>> consumers = new HashMap<>();
  private final long opset;

  public OnnxGraph(ModelProto model) {
    this.model = model;
    GraphProto g = model.getGraph();
    for (TensorProto t : g.getInitializerList()) {
      initializers.put(t.getName(), t);
    }
    for (NodeProto n : g.getNodeList()) {
      for (String out : n.getOutputList()) {
        producers.put(out, n);
      }
      for (String in : n.getInputList()) {
        if (!in.isEmpty()) {
          consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
        }
      }
    }
    long v = 0;
    for (OperatorSetIdProto o : model.getOpsetImportList()) {
      if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) {
        v = o.getVersion();
      }
    }
    this.opset = v;
  }

  public ModelProto model() {
    return model;
  }

  public List<NodeProto> nodes() {
    return model.getGraph().getNodeList();
  }

  /** Default-domain opset version, 0 if the model declares none. */
  public long opset() {
    return opset;
  }

  public Optional<TensorProto> initializer(String name) {
    return Optional.ofNullable(initializers.get(name));
  }

  public boolean isInitializer(String name) {
    return initializers.containsKey(name);
  }

  public Optional<NodeProto> producer(String tensor) {
    return Optional.ofNullable(producers.get(tensor));
  }

  public List<NodeProto> consumers(String tensor) {
    return consumers.getOrDefault(tensor, List.of());
  }

  /** Number of values an initializer holds (product of its dims). */
  public static long elementCount(TensorProto t) {
    long n = 1;
    for (long d : t.getDimsList()) {
      n *= d;
    }
    return n;
  }

  /** Display name of a node: its name, or its first output when unnamed. */
  public static String nameOf(NodeProto n) {
    return n.getName().isEmpty() ? (n.getOutputCount() > 0 ? n.getOutput(0) : n.getOpType()) : n.getName();
  }

  /** An attribute of a node, if set. */
  public static Optional<AttributeProto> attribute(NodeProto n, String name) {
    for (AttributeProto a : n.getAttributeList()) {
      if (a.getName().equals(name)) {
        return Optional.of(a);
      }
    }
    return Optional.empty();
  }

  /** An integer-list attribute, or {@code fallback} when unset. */
  public static long[] ints(NodeProto n, String name, long[] fallback) {
    return attribute(n, name).map(a -> a.getIntsList().stream().mapToLong(Long::longValue).toArray()).orElse(fallback);
  }

  /** An integer attribute, or {@code fallback} when unset. */
  public static long intAttr(NodeProto n, String name, long fallback) {
    return attribute(n, name).map(AttributeProto::getI).orElse(fallback);
  }

  /** A string attribute, or {@code fallback} when unset. */
  public static String stringAttr(NodeProto n, String name, String fallback) {
    return attribute(n, name).map(a -> a.getS().toStringUtf8()).orElse(fallback);
  }

  /**
   * The integer values of a constant tensor (int64 or int32), as stored in raw or typed fields.
   *
   * @throws InvalidModelException if the tensor is not an integer tensor
   */
  public static long[] longValues(TensorProto t) throws InvalidModelException {
    int type = t.getDataType();
    int n = (int) elementCount(t);
    if (type == TensorProto.DataType.INT64.getNumber()) {
      if (!t.getRawData().isEmpty()) {
        long[] v = new long[n];
        t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(v);
        return v;
      }
      return t.getInt64DataList().stream().mapToLong(Long::longValue).toArray();
    }
    if (type == TensorProto.DataType.INT32.getNumber()) {
      if (!t.getRawData().isEmpty()) {
        int[] v = new int[n];
        t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(v);
        return java.util.Arrays.stream(v).asLongStream().toArray();
      }
      return t.getInt32DataList().stream().mapToLong(Integer::longValue).toArray();
    }
    throw new InvalidModelException("tensor '" + t.getName() + "' must be int64 or int32, but has data type " + type);
  }

  /**
   * The float values of a float32 tensor, as stored in raw or typed fields.
   *
   * @throws InvalidModelException if the tensor is not float32 or its size disagrees with its dims
   */
  public static float[] floatValues(TensorProto t) throws InvalidModelException {
    if (t.getDataType() != TensorProto.DataType.FLOAT.getNumber()) {
      throw new InvalidModelException("tensor '" + t.getName() + "' must be float32, but has data type " + t.getDataType());
    }
    int n = (int) elementCount(t);
    float[] v = new float[n];
    if (!t.getRawData().isEmpty()) {
      ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      if (b.remaining() != 4L * n) {
        throw new InvalidModelException("tensor '" + t.getName() + "' holds " + b.remaining() + " bytes, but its dims "
            + t.getDimsList() + " need " + 4L * n);
      }
      b.asFloatBuffer().get(v);
      return v;
    }
    if (t.getFloatDataCount() != n) {
      throw new InvalidModelException("tensor '" + t.getName() + "' holds " + t.getFloatDataCount()
          + " floats, but its dims " + t.getDimsList() + " need " + n);
    }
    for (int i = 0; i < n; i++) {
      v[i] = t.getFloatData(i);
    }
    return v;
  }
}
