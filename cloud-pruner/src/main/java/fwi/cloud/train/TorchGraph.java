package fwi.cloud.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.protobuf.ByteString;
import fwi.cloud.graph.OnnxGraph;
import fwi.cloud.model.InvalidModelException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;

/**
 * An ONNX graph made differentiable on DJL's PyTorch engine: every node runs as the matching
 * libtorch op, so autograd gives gradients for the graph's weights and the trained values can be
 * written back into the same graph ({@link #export()}).
 *
 * <p>Initializers fall in three roles ({@link Role}): the weights and biases of Conv,
 * ConvTranspose, Gemm and MatMul and the scale and shift of BatchNormalization are trainable
 * {@link Role#WEIGHT}s; BatchNormalization's running mean and variance are {@link Role#BUFFER}s,
 * updated in place by a training forward pass (PyTorch's rule, momentum taken from the node); all
 * other float initializers (pre- and post-processing constants) are fixed. Integer tensors that ops
 * read as settings (Pad's pads, Slice's starts, Reshape's shape) must be constants; they are read
 * once, here, not executed.
 *
 * <p>Not thread-safe: one owner runs forward passes and updates. Owns the native memory of its
 * parameters through its own sub-manager; {@link #close()} frees it.
 */
public final class TorchGraph implements AutoCloseable {
  /** What an initializer is to training. */
  public enum Role {
    /** Learned by gradient descent. */
    WEIGHT,
    /** Running statistics: changed by training forward passes, never by gradients. */
    BUFFER,
    /** Fixed: pre/post-processing constants and the like. */
    CONSTANT
  }

  /** A named trainable array; the array is owned by the graph. */
  public record Parameter(String name, NDArray array) {
  }

  private final ModelProto model;
  private final NDManager manager;
  private final List<NodeProto> nodes;
  private final String input;
  private final Map<String, NDArray> arrays = new LinkedHashMap<>();
  private final Map<String, Role> roles = new LinkedHashMap<>();
  private final Map<String, TensorProto> constants = new LinkedHashMap<>();
  private final Set<NDArray> persistent = Collections.newSetFromMap(new IdentityHashMap<>());
  private final TorchOps ops;

  private TorchGraph(ModelProto model, NDManager parent) throws InvalidModelException {
    this.model = model;
    GraphProto g = model.getGraph();
    List<String> inputs = new ArrayList<>();
    Set<String> initNames = new java.util.HashSet<>();
    g.getInitializerList().forEach(t -> initNames.add(t.getName()));
    g.getInputList().stream().map(v -> v.getName()).filter(n -> !initNames.contains(n)).forEach(inputs::add);
    if (inputs.size() != 1) {
      throw new InvalidModelException("the training executor needs exactly one graph input, but the model has "
          + inputs.size() + ": " + inputs);
    }
    this.input = inputs.get(0);
    this.nodes = g.getNodeList();
    this.manager = parent.newSubManager();
    boolean ok = false;
    try {
      Map<String, Role> r = classify(g);
      for (TensorProto t : g.getInitializerList()) {
        constants.put(t.getName(), t);
        if (t.getDataType() == TensorProto.DataType.FLOAT.getNumber()) {
          Role role = r.getOrDefault(t.getName(), Role.CONSTANT);
          NDArray a = manager.create(OnnxGraph.floatValues(t), new Shape(dims(t)));
          if (role == Role.WEIGHT) {
            a.setRequiresGradient(true);
          }
          put(t.getName(), a, role);
        }
      }
      for (NodeProto n : nodes) {
        if (n.getOpType().equals("Constant")) {
          TensorProto t = constantValue(n);
          constants.put(n.getOutput(0), t);
          if (t.getDataType() == TensorProto.DataType.FLOAT.getNumber()) {
            put(n.getOutput(0), manager.create(OnnxGraph.floatValues(t), new Shape(dims(t))), Role.CONSTANT);
          }
        }
      }
      this.ops = new TorchOps(model.getOpsetImportList().stream()
          .filter(o -> o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx"))
          .mapToLong(o -> o.getVersion()).max().orElse(1), constants);
      for (NodeProto n : nodes) {
        ops.check(n);
      }
      ok = true;
    } finally {
      if (!ok) {
        manager.close();
      }
    }
  }

  /**
   * Loads a model's weights into libtorch arrays under a sub-manager of {@code parent}.
   *
   * @throws InvalidModelException if the graph has not exactly one non-initializer input, a tensor
   *     is malformed, or a node uses an op or setting the executor has no kernel for
   *     ({@link fwi.cloud.graph.UnsupportedOperatorException} naming node and op)
   */
  public static TorchGraph load(ModelProto model, NDManager parent) throws InvalidModelException {
    return new TorchGraph(model, parent);
  }

  /** The role of every float initializer (and Constant node output), in graph order. */
  public Map<String, Role> roles() {
    return Collections.unmodifiableMap(roles);
  }

  /** Trainable arrays in graph order. */
  public List<Parameter> parameters() {
    List<Parameter> out = new ArrayList<>();
    roles.forEach((name, role) -> {
      if (role == Role.WEIGHT) {
        out.add(new Parameter(name, arrays.get(name)));
      }
    });
    return out;
  }

  /** Number of trainable values. */
  public long parameterCount() {
    return parameters().stream().mapToLong(p -> p.array().size()).sum();
  }

  /**
   * Runs the graph until {@code output} is computed; nodes after it (post-processing) are skipped.
   *
   * @param x the graph input, e.g. raw gathers {@code [N, 5, 1000, 70]}
   * @param output name of the tensor wanted (the graph output or an inner one such as the
   *     normalized {@code core_output})
   * @param training batch statistics in BatchNormalization (updating the running ones) and active
   *     Dropout; gradients are recorded only inside a DJL {@code GradientCollector}
   * @param step manager that takes ownership of every intermediate array, closed by the caller
   * @throws IllegalArgumentException if no node produces {@code output}
   * @throws IllegalStateException if libtorch refuses a node's inputs (wrong shape), naming the node
   */
  public NDArray run(NDArray x, String output, boolean training, NDManager step) {
    Map<String, NDArray> env = new java.util.HashMap<>(arrays);
    env.put(input, x);
    if (env.containsKey(output)) {
      return env.get(output);
    }
    for (NodeProto n : nodes) {
      if (n.getOpType().equals("Constant")) {
        continue;
      }
      NDArray[] in = new NDArray[n.getInputCount()];
      for (int i = 0; i < in.length; i++) {
        String name = n.getInput(i);
        if (!name.isEmpty()) {
          in[i] = env.get(name);
        }
      }
      NDArray[] out;
      try {
        out = ops.apply(n, in, training);
      } catch (RuntimeException e) {
        if (e instanceof IllegalArgumentException iae && iae.getMessage() != null
            && iae.getMessage().startsWith("node '")) {
          throw iae;
        }
        throw new IllegalStateException("node '" + OnnxGraph.nameOf(n) + "' (" + n.getOpType() + ") failed on inputs "
            + shapes(in) + ": " + e.getMessage(), e);
      }
      for (int i = 0; i < out.length && i < n.getOutputCount(); i++) {
        if (!persistent.contains(out[i])) {
          out[i].attach(step);
        }
        env.put(n.getOutput(i), out[i]);
      }
      if (env.containsKey(output)) {
        return env.get(output);
      }
    }
    throw new IllegalArgumentException("no node of the graph produces '" + output + "'");
  }

  /**
   * The model with every weight and buffer replaced by its current value; everything else (nodes,
   * other initializers, metadata) byte-identical.
   */
  public ModelProto export() {
    GraphProto.Builder g = model.getGraph().toBuilder();
    for (int i = 0; i < g.getInitializerCount(); i++) {
      TensorProto t = g.getInitializer(i);
      Role role = roles.get(t.getName());
      if (role == Role.WEIGHT || role == Role.BUFFER) {
        g.setInitializer(i, floatTensor(t, arrays.get(t.getName()).toFloatArray()));
      }
    }
    return model.toBuilder().setGraph(g).build();
  }

  /** Current values of a weight, buffer or constant. */
  public float[] get(String name) {
    NDArray a = arrays.get(name);
    if (a == null) {
      throw new IllegalArgumentException("no initializer named '" + name + "'");
    }
    return a.toFloatArray();
  }

  /** The live array of a weight, buffer or constant (owned by this graph). */
  NDArray array(String name) {
    return arrays.get(name);
  }

  @Override
  public void close() {
    manager.close();
  }

  private void put(String name, NDArray a, Role role) {
    arrays.put(name, a);
    roles.put(name, role);
    persistent.add(a);
  }

  /** Which initializers are weights and buffers, by the slot they fill in the ops that read them. */
  private static Map<String, Role> classify(GraphProto g) {
    Map<String, Role> r = new java.util.HashMap<>();
    for (NodeProto n : g.getNodeList()) {
      switch (n.getOpType()) {
        case "Conv", "ConvTranspose", "Gemm" -> {
          for (int i = 1; i < n.getInputCount(); i++) {
            r.put(n.getInput(i), Role.WEIGHT);
          }
        }
        case "MatMul" -> r.put(n.getInput(1), Role.WEIGHT);
        case "BatchNormalization" -> {
          r.put(n.getInput(1), Role.WEIGHT);
          r.put(n.getInput(2), Role.WEIGHT);
          r.put(n.getInput(3), Role.BUFFER);
          r.put(n.getInput(4), Role.BUFFER);
        }
        default -> {
        }
      }
    }
    return r;
  }

  private static TensorProto constantValue(NodeProto n) throws InvalidModelException {
    return OnnxGraph.attribute(n, "value").filter(a -> a.hasT()).map(a -> a.getT().toBuilder()
            .setName(n.getOutput(0)).build())
        .orElseThrow(() -> new fwi.cloud.graph.UnsupportedOperatorException(OnnxGraph.nameOf(n), "Constant",
            "only the 'value' (tensor) attribute is supported"));
  }

  static long[] dims(TensorProto t) {
    return t.getDimsList().stream().mapToLong(Long::longValue).toArray();
  }

  static TensorProto floatTensor(TensorProto like, float[] values) {
    ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return like.toBuilder().clearFloatData().setRawData(ByteString.copyFrom(b.array())).build();
  }

  private static String shapes(NDArray[] in) {
    List<String> s = new ArrayList<>();
    for (NDArray a : in) {
      s.add(a == null ? "-" : a.getShape().toString());
    }
    return s.toString();
  }
}
