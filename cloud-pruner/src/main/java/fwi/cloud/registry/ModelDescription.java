package fwi.cloud.registry;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import fwi.cloud.graph.ModelCounter;
import fwi.cloud.graph.ModelSummary;
import fwi.cloud.model.InvalidModelException;
import fwi.cloud.model.OnnxModels;
import fwi.cloud.prune.PruneMetadata;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the registry knows about one ONNX file, read from its bytes: content address, size, ONNX IR
 * version and default-domain opset, graph interface, trainable parameters and multiply-accumulates
 * of one single-sample inference (as {@link ModelCounter} counts them, like {@code pruner describe}),
 * the pruning record if the file carries one, and all {@code metadata_props}.
 *
 * @param sha256Hex SHA-256 of the file, 64 lower-case hex digits
 * @param sizeBytes file size, at least 1
 * @param irVersion ONNX IR version, at least 1 (8 for InversionNet)
 * @param opset version of the default ({@code ""} or {@code ai.onnx}) operator set, at least 1
 * @param inputs graph inputs that are not initializers, in graph order
 * @param outputs graph outputs, in graph order
 * @param params trainable parameters, at least 0
 * @param macs multiply-accumulates of one single-sample inference, at least 0
 * @param prune the {@code fwi.prune.*} record of a pruned model; empty for an unpruned one
 * @param metadata every {@code metadata_props} entry, in file order
 */
public record ModelDescription(String sha256Hex, long sizeBytes, long irVersion, long opset, List<Tensor> inputs,
    List<Tensor> outputs, long params, long macs, Optional<PruneInfo> prune, Map<String, String> metadata) {

  /**
   * A graph input or output.
   *
   * @param name value name in the graph
   * @param elementType ONNX {@code TensorProto.DataType} name, e.g. {@code FLOAT}
   * @param dims dimensions, outermost first; -1 for a symbolic or unknown dimension, e.g.
   *     {@code [-1, 5, 1000, 70]} = [batch, sources, time samples, receivers]
   */
  public record Tensor(String name, String elementType, List<Long> dims) {
    public Tensor {
      if (name == null || name.isEmpty()) {
        throw new IllegalArgumentException("tensor name must not be empty, but was '" + name + "'");
      }
      if (elementType == null || elementType.isEmpty()) {
        throw new IllegalArgumentException("element type of tensor '" + name + "' must not be empty, but was '"
            + elementType + "'");
      }
      dims = List.copyOf(dims);
      for (long d : dims) {
        if (d < 0 && d != -1) {
          throw new IllegalArgumentException("dimensions of tensor '" + name + "' must be -1 or at least 0, but were "
              + dims);
        }
      }
    }
  }

  /**
   * The pruning record a pruned model carries ({@link PruneMetadata}). It describes the last
   * pruning step that wrote the file: after progressive pruning in several steps, "before" is the
   * model that step started from.
   *
   * @param baseSha256Hex SHA-256 of the unpruned model the pruning chain started from
   * @param planJson the plan as JSON: {@code kind}, {@code settings}, {@code channels} (group -> [before, after])
   * @param criterion channel ranking criterion, e.g. {@code l1}
   * @param paramsBefore trainable parameters before the step
   * @param paramsAfter trainable parameters after it
   * @param macsBefore single-sample MACs before the step
   * @param macsAfter single-sample MACs after it
   */
  public record PruneInfo(String baseSha256Hex, String planJson, String criterion, long paramsBefore,
      long paramsAfter, long macsBefore, long macsAfter) {
    public PruneInfo {
      Sha256.checkHex(PruneMetadata.BASE_SHA256, baseSha256Hex);
      if (planJson == null || planJson.isEmpty()) {
        throw new IllegalArgumentException(PruneMetadata.PLAN + " must not be empty, but was '" + planJson + "'");
      }
      if (criterion == null) {
        throw new IllegalArgumentException(PruneMetadata.CRITERION + " must be given, but was null");
      }
      if (paramsBefore < 0 || paramsAfter < 0 || macsBefore < 0 || macsAfter < 0) {
        throw new IllegalArgumentException("prune counts must be at least 0, but were params " + paramsBefore + " -> "
            + paramsAfter + ", MACs " + macsBefore + " -> " + macsAfter);
      }
    }
  }

  public ModelDescription {
    Sha256.checkHex("sha256", sha256Hex);
    if (sizeBytes < 1) {
      throw new IllegalArgumentException("size must be at least 1 byte, but was " + sizeBytes);
    }
    if (irVersion < 1) {
      throw new IllegalArgumentException("ONNX IR version must be at least 1, but was " + irVersion);
    }
    if (opset < 1) {
      throw new IllegalArgumentException("ONNX opset must be at least 1, but was " + opset);
    }
    if (params < 0 || macs < 0) {
      throw new IllegalArgumentException("params and MACs must be at least 0, but were " + params + " and " + macs);
    }
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    if (prune == null) {
      throw new IllegalArgumentException("prune must be an Optional, but was null");
    }
    metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
  }

  /**
   * Describes the ONNX file {@code file}.
   *
   * @throws InvalidModelException naming the file if it is not an ONNX model this project can count
   */
  public static ModelDescription of(Path file) throws IOException, InvalidModelException {
    return of(Files.readAllBytes(file), file.toString());
  }

  /**
   * Describes ONNX bytes.
   *
   * @param source names the model in errors, e.g. its file name
   * @throws InvalidModelException naming {@code source} and the offending value if the bytes are
   *     not an ONNX model, have no default-domain opset, carry an unreadable pruning record, or hold
   *     an operator the parameter and MAC counter does not know
   */
  public static ModelDescription of(byte[] onnx, String source) throws InvalidModelException {
    ModelProto m = OnnxModels.parse(onnx, source);
    long opset = defaultOpset(m, source);
    if (m.getIrVersion() < 1) {
      throw new InvalidModelException(source + ": ONNX IR version must be at least 1, but was " + m.getIrVersion());
    }
    ModelSummary counts;
    try {
      counts = ModelCounter.count(m);
    } catch (InvalidModelException e) {
      throw new InvalidModelException(source + ": cannot count parameters and MACs: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new InvalidModelException(source + ": cannot count parameters and MACs: " + e, e);
    }
    Set<String> initializers = new HashSet<>();
    m.getGraph().getInitializerList().forEach(t -> initializers.add(t.getName()));
    List<Tensor> inputs = new ArrayList<>();
    for (ValueInfoProto v : m.getGraph().getInputList()) {
      if (!initializers.contains(v.getName())) {
        inputs.add(tensor(v, source));
      }
    }
    List<Tensor> outputs = new ArrayList<>();
    for (ValueInfoProto v : m.getGraph().getOutputList()) {
      outputs.add(tensor(v, source));
    }
    Map<String, String> metadata = OnnxModels.metadata(m);
    return new ModelDescription(OnnxModels.sha256(onnx), onnx.length, m.getIrVersion(), opset, inputs, outputs,
        counts.params(), counts.macs(), pruneInfo(metadata, source), metadata);
  }

  private static long defaultOpset(ModelProto m, String source) throws InvalidModelException {
    for (OperatorSetIdProto o : m.getOpsetImportList()) {
      if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) {
        if (o.getVersion() < 1) {
          throw new InvalidModelException(source + ": default-domain opset must be at least 1, but was "
              + o.getVersion());
        }
        return o.getVersion();
      }
    }
    throw new InvalidModelException(source + ": opset_import must name the default domain, but names only "
        + m.getOpsetImportList().stream().map(o -> "'" + o.getDomain() + "'").toList());
  }

  private static Tensor tensor(ValueInfoProto v, String source) throws InvalidModelException {
    TypeProto type = v.getType();
    if (!type.hasTensorType()) {
      throw new InvalidModelException(source + ": graph value '" + v.getName() + "' must be a tensor, but is a "
          + type.getValueCase());
    }
    int elem = type.getTensorType().getElemType();
    TensorProto.DataType dt = TensorProto.DataType.forNumber(elem);
    String elementType = dt == null ? "DATA_TYPE_" + elem : dt.name();
    List<Long> dims = new ArrayList<>();
    for (TensorShapeProto.Dimension d : type.getTensorType().getShape().getDimList()) {
      if (d.hasDimValue() && d.getDimValue() < 0) {
        throw new InvalidModelException(source + ": dimensions of '" + v.getName() + "' must be at least 0, but one was "
            + d.getDimValue());
      }
      dims.add(d.hasDimValue() ? d.getDimValue() : -1L);
    }
    return new Tensor(v.getName(), elementType, dims);
  }

  private static Optional<PruneInfo> pruneInfo(Map<String, String> md, String source) throws InvalidModelException {
    if (!md.containsKey(PruneMetadata.PLAN)) {
      return Optional.empty();
    }
    try {
      return Optional.of(new PruneInfo(required(md, PruneMetadata.BASE_SHA256, source), md.get(PruneMetadata.PLAN),
          required(md, PruneMetadata.CRITERION, source), count(md, PruneMetadata.PARAMS_BEFORE, source),
          count(md, PruneMetadata.PARAMS_AFTER, source), count(md, PruneMetadata.MACS_BEFORE, source),
          count(md, PruneMetadata.MACS_AFTER, source)));
    } catch (IllegalArgumentException e) {
      throw new InvalidModelException(source + ": pruning record: " + e.getMessage(), e);
    }
  }

  private static String required(Map<String, String> md, String key, String source) throws InvalidModelException {
    String v = md.get(key);
    if (v == null) {
      throw new InvalidModelException(source + ": a pruned model (it has " + PruneMetadata.PLAN + ") must carry "
          + key + ", but it is missing");
    }
    return v;
  }

  private static long count(Map<String, String> md, String key, String source) throws InvalidModelException {
    String v = required(md, key, source);
    try {
      long n = Long.parseLong(v);
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new InvalidModelException(source + ": metadata " + key + " must be a count of at least 0, but was '" + v + "'");
  }
}
