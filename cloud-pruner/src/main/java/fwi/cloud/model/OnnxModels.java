package fwi.cloud.model;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** Reading, writing, hashing and tagging ONNX {@link ModelProto}s. Stateless. */
public final class OnnxModels {
  /** Largest model we parse: protobuf's own limit is 2 GiB, InversionNet at full width is ~98 MB. */
  static final int MAX_MODEL_BYTES = Integer.MAX_VALUE - 8;

  private OnnxModels() {}

  /**
   * Parses a serialized ONNX model.
   *
   * @param source names the model in errors
   * @throws InvalidModelException if the bytes are not an ONNX model with a graph
   */
  public static ModelProto parse(byte[] bytes, String source) throws InvalidModelException {
    try {
      CodedInputStream in = CodedInputStream.newInstance(bytes);
      in.setSizeLimit(MAX_MODEL_BYTES);
      ModelProto m = ModelProto.parseFrom(in);
      if (!m.hasGraph() || m.getGraph().getNodeCount() == 0) {
        throw new InvalidModelException(source + ": not an ONNX model (no graph nodes in " + bytes.length + " bytes)");
      }
      return m;
    } catch (InvalidProtocolBufferException e) {
      throw new InvalidModelException(source + ": not an ONNX model: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new InvalidModelException(source + ": cannot parse ONNX model: " + e.getMessage(), e);
    }
  }

  /** Reads and parses a model file. */
  public static ModelProto read(Path file) throws IOException, InvalidModelException {
    return parse(Files.readAllBytes(file), file.toString());
  }

  /** Writes a model atomically: to a temporary file beside the target, then renamed over it. */
  public static void write(ModelProto model, Path file) throws IOException {
    write(model.toByteArray(), file);
  }

  /** Writes serialized model bytes atomically: to a temporary file beside the target, then renamed. */
  public static void write(byte[] bytes, Path file) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
    try {
      Files.write(tmp, bytes);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Lower-case hex sha256 of {@code bytes}. */
  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  /** The model's {@code metadata_props} in file order. */
  public static Map<String, String> metadata(ModelProto model) {
    Map<String, String> m = new LinkedHashMap<>();
    for (StringStringEntryProto e : model.getMetadataPropsList()) {
      m.put(e.getKey(), e.getValue());
    }
    return m;
  }

  /** One metadata value, if present. */
  public static Optional<String> metadata(ModelProto model, String key) {
    return Optional.ofNullable(metadata(model).get(key));
  }

  /** A copy of {@code model} with {@code key} set to {@code value} (replacing an earlier value). */
  public static ModelProto withMetadata(ModelProto model, String key, String value) {
    ModelProto.Builder b = model.toBuilder().clearMetadataProps();
    boolean replaced = false;
    for (StringStringEntryProto e : model.getMetadataPropsList()) {
      if (e.getKey().equals(key)) {
        if (!replaced) {
          b.addMetadataProps(StringStringEntryProto.newBuilder().setKey(key).setValue(value));
          replaced = true;
        }
      } else {
        b.addMetadataProps(e);
      }
    }
    if (!replaced) {
      b.addMetadataProps(StringStringEntryProto.newBuilder().setKey(key).setValue(value));
    }
    return b.build();
  }
}
