package fwi.cloud.train;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import fwi.cloud.model.InvalidModelException;
import fwi.cloud.model.OnnxModels;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A folder that lets a killed training job continue: {@code state.json} ({@link TrainingState}),
 * the current weights {@code last-<step>.onnx}, AdamW's moments {@code optimizer-<step>.bin}, and
 * the best model so far {@code best.onnx}. Every file is written under a temporary name and
 * renamed; {@code state.json} is renamed last, so a crash at any point leaves the previous
 * checkpoint whole. Files of older steps are deleted after the new state is in place.
 *
 * <p>The optimizer file: magic {@code FWIADAMW}, format int, parameter count int, then per
 * parameter its name (UTF), value count int, first moments, second moments (big-endian floats).
 */
public final class Checkpoint {
  /** Version of {@code state.json} and the optimizer file; other versions are refused by number. */
  public static final int FORMAT = 1;
  static final String STATE = "state.json";
  static final String BEST = "best.onnx";
  private static final String MAGIC = "FWIADAMW";
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private final Path dir;

  public Checkpoint(Path dir) {
    this.dir = dir;
  }

  public Path dir() {
    return dir;
  }

  /**
   * The saved state, if the folder holds one.
   *
   * @throws IOException if the state cannot be read or has another format version
   */
  public Optional<TrainingState> state() throws IOException {
    Path p = dir.resolve(STATE);
    if (!Files.exists(p)) {
      return Optional.empty();
    }
    TrainingState s;
    try {
      s = JSON.readValue(p.toFile(), TrainingState.class);
    } catch (IOException e) {
      throw new IOException(p + ": not a readable training state (" + e.getMessage() + ")", e);
    }
    if (s.format() != FORMAT) {
      throw new IOException(p + ": checkpoint format " + s.format() + " is not supported, only " + FORMAT);
    }
    return Optional.of(s);
  }

  /** The current weights named by the state. */
  public ModelProto model(TrainingState s) throws IOException, InvalidModelException {
    return OnnxModels.read(dir.resolve(s.modelFile()));
  }

  /** The best model so far, if one was saved. */
  public Optional<ModelProto> best() throws IOException, InvalidModelException {
    Path p = dir.resolve(BEST);
    return Files.exists(p) ? Optional.of(OnnxModels.read(p)) : Optional.empty();
  }

  /** AdamW's moments named by the state. */
  public Map<String, float[][]> moments(TrainingState s) throws IOException {
    Path p = dir.resolve(s.optimizerFile());
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(p), 1 << 16))) {
      byte[] magic = in.readNBytes(MAGIC.length());
      if (!MAGIC.equals(new String(magic, java.nio.charset.StandardCharsets.US_ASCII))) {
        throw new IOException(p + ": not an optimizer state file (bad magic)");
      }
      int format = in.readInt();
      if (format != FORMAT) {
        throw new IOException(p + ": optimizer state format " + format + " is not supported, only " + FORMAT);
      }
      int count = in.readInt();
      Map<String, float[][]> out = new LinkedHashMap<>();
      for (int i = 0; i < count; i++) {
        String name = in.readUTF();
        int n = in.readInt();
        float[] m = new float[n];
        float[] v = new float[n];
        for (int k = 0; k < n; k++) {
          m[k] = in.readFloat();
        }
        for (int k = 0; k < n; k++) {
          v[k] = in.readFloat();
        }
        out.put(name, new float[][] {m, v});
      }
      return out;
    }
  }

  /**
   * Saves a consistent checkpoint: model, optimizer, optionally a new best model, then the state.
   *
   * @param state its {@code modelFile}/{@code optimizerFile} are set here from its step
   * @return the state as saved
   */
  public TrainingState save(TrainingState state, ModelProto current, Map<String, float[][]> moments,
      Optional<ModelProto> newBest) throws IOException {
    Files.createDirectories(dir);
    String modelFile = "last-" + state.step() + ".onnx";
    String optimizerFile = "optimizer-" + state.step() + ".bin";
    Optional<TrainingState> previous = Files.exists(dir.resolve(STATE)) ? state() : Optional.empty();
    writeAtomically(dir.resolve(modelFile), current.toByteArray());
    Path tmp = dir.resolve(optimizerFile + ".tmp");
    try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16))) {
      out.write(MAGIC.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      out.writeInt(FORMAT);
      out.writeInt(moments.size());
      for (Map.Entry<String, float[][]> e : moments.entrySet()) {
        out.writeUTF(e.getKey());
        out.writeInt(e.getValue()[0].length);
        for (float f : e.getValue()[0]) {
          out.writeFloat(f);
        }
        for (float f : e.getValue()[1]) {
          out.writeFloat(f);
        }
      }
    }
    Files.move(tmp, dir.resolve(optimizerFile), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    if (newBest.isPresent()) {
      writeAtomically(dir.resolve(BEST), newBest.get().toByteArray());
    }
    TrainingState saved = new TrainingState(FORMAT, state.baseSha256(), state.config(), state.trainFiles(),
        state.validationFiles(), state.epochsDone(), state.batchesDone(), state.step(), state.epochLossSum(),
        state.epochSamples(), state.epochTrainNanos(), state.bestValidationLoss(), state.bestEpoch(), state.history(),
        state.trainNanos(), state.skippedSamples(), modelFile, optimizerFile);
    writeAtomically(dir.resolve(STATE), JSON.writeValueAsBytes(saved));
    if (previous.isPresent() && previous.get().step() != state.step()) {
      Files.deleteIfExists(dir.resolve(previous.get().modelFile()));
      Files.deleteIfExists(dir.resolve(previous.get().optimizerFile()));
    }
    return saved;
  }

  private static void writeAtomically(Path target, byte[] bytes) throws IOException {
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    Files.write(tmp, bytes);
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
