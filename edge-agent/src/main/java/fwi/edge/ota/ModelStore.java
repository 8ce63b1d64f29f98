package fwi.edge.ota;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fwi.edge.inference.ModelInfo;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * The device's model directory, crash-safe: after a power cut at any point the store reads back
 * either the state before or the state after the interrupted operation.
 *
 * <pre>
 * &lt;dir&gt;/store.json              active model, history (previously active, most recent first),
 *                              models rolled back on this device; replaced atomically
 * &lt;dir&gt;/models/&lt;sha256&gt;.onnx    installed model files, named by content
 * &lt;dir&gt;/downloads/             downloads in progress (see the OTA client); not touched here
 * </pre>
 *
 * A model file only becomes active through {@code store.json}, which is written last (temp file,
 * fsync, rename, directory fsync); a file present in {@code models/} but not named there is
 * unreferenced and removed by the next pruning. Stray {@code *.tmp} files are deleted on
 * {@link #open}. The active model and the {@code keepPrevious} most recent previous ones keep their
 * files; older files are deleted after each change.
 *
 * <p>Thread-safe (synchronized); meant to be changed by one owner, the OTA client's thread.
 */
public final class ModelStore {
  /** Name of the state file in the store directory. */
  public static final String STATE_FILE = "store.json";
  static final int FORMAT = 1;
  /** Models remembered as rolled back; older entries are forgotten. */
  static final int ROLLED_BACK_LIMIT = 32;
  private static final Logger LOG = Logger.getLogger(ModelStore.class);
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private record State(Optional<ModelInfo> active, List<ModelInfo> history, List<ModelInfo> rolledBack) {
    State {
      history = List.copyOf(history);
      rolledBack = List.copyOf(rolledBack);
    }
  }

  private final Path dir;
  private final Path models;
  private final Path downloads;
  private final int keepPrevious;
  private State state;

  private ModelStore(Path dir, int keepPrevious, State state) {
    this.dir = dir;
    this.models = dir.resolve("models");
    this.downloads = dir.resolve("downloads");
    this.keepPrevious = keepPrevious;
    this.state = state;
  }

  /**
   * Opens (creating if needed) the store in {@code dir} and deletes stray temp files.
   *
   * @param keepPrevious previously active models whose files are kept for rollback, at least 0
   * @throws IOException if the directory cannot be created or {@code store.json} cannot be read
   *     (the message names the file)
   */
  public static ModelStore open(Path dir, int keepPrevious) throws IOException {
    if (keepPrevious < 0) {
      throw new IllegalArgumentException("keep-previous must be at least 0, but was " + keepPrevious);
    }
    ModelStore s = new ModelStore(dir, keepPrevious, new State(Optional.empty(), List.of(), List.of()));
    Files.createDirectories(s.models);
    Files.createDirectories(s.downloads);
    int stray = DurableFiles.deleteTempFiles(dir) + DurableFiles.deleteTempFiles(s.models)
        + DurableFiles.deleteTempFiles(s.downloads);
    if (stray > 0) {
      LOG.infof("model store %s: deleted %d temp files an interrupted write left", dir, stray);
    }
    s.state = read(dir.resolve(STATE_FILE));
    return s;
  }

  /** The store directory. */
  public Path directory() {
    return dir;
  }

  /** Where downloads in progress live ({@code <dir>/downloads}). */
  Path downloadsDirectory() {
    return downloads;
  }

  /** The active model, if any. */
  public synchronized Optional<ModelInfo> active() {
    return state.active;
  }

  /** The active model's file, if a model is active. */
  public synchronized Optional<Path> activeFile() {
    return state.active.map(this::file);
  }

  /** Where the file of {@code model} lives in the store (whether or not it is installed). */
  public Path file(ModelInfo model) {
    return models.resolve(model.sha256Hex() + ".onnx");
  }

  /** Previously active models, most recent first, at most {@code keepPrevious}. */
  public synchronized List<ModelInfo> history() {
    return state.history;
  }

  /** The model a rollback returns to: the most recent previous model whose file is present. */
  public synchronized Optional<ModelInfo> previous() {
    return state.history.stream().filter(m -> Files.isRegularFile(file(m))).findFirst();
  }

  /** Whether {@code model} (by SHA-256) was rolled back on this device and has not been active since. */
  public synchronized boolean wasRolledBack(ModelInfo model) {
    return state.rolledBack.stream().anyMatch(m -> m.sha256Hex().equals(model.sha256Hex()));
  }

  /** Models rolled back on this device, most recent first. */
  public synchronized List<ModelInfo> rolledBack() {
    return state.rolledBack;
  }

  /** The installed file of {@code model}, if present (it may be a leftover; check its digest before use). */
  public Optional<Path> installedFile(ModelInfo model) {
    Path f = file(model);
    return Files.isRegularFile(f) ? Optional.of(f) : Optional.empty();
  }

  /** Usable bytes on the store's file system. */
  public long usableBytes() throws IOException {
    return Files.getFileStore(dir).getUsableSpace();
  }

  /**
   * Moves a complete, verified file into {@code models/} atomically (fsync file, atomic rename,
   * fsync directory). The model does not become active; see {@link #activate}.
   *
   * @param verifiedFile a file on the store's file system whose SHA-256 the caller checked
   * @return the installed file
   */
  public synchronized Path install(Path verifiedFile, ModelInfo model) throws IOException {
    Path target = file(model);
    DurableFiles.moveDurably(verifiedFile, target);
    return target;
  }

  /**
   * Makes the installed {@code model} active and the previously active one the most recent
   * previous model, in one atomic write of {@code store.json}; then deletes files no longer kept.
   *
   * @throws IllegalStateException if the model's file is not installed
   */
  public synchronized void activate(ModelInfo model) throws IOException {
    requireInstalled(model);
    List<ModelInfo> history = new ArrayList<>();
    state.active.filter(a -> !sameFile(a, model)).ifPresent(history::add);
    state.history.stream().filter(m -> !sameFile(m, model) && !history.contains(m)).forEach(history::add);
    List<ModelInfo> rolledBack = state.rolledBack.stream().filter(m -> !sameFile(m, model)).toList();
    commit(new State(Optional.of(model), trim(history), rolledBack));
  }

  /**
   * Rolls back: {@code previous} (from the history) becomes active again, the active model leaves
   * the history and is remembered as rolled back (so a manifest for it is not installed again);
   * then its file is deleted.
   *
   * @throws IllegalStateException if no model is active or {@code previous} is not an installed
   *     model of the history
   */
  public synchronized void rollBack(ModelInfo previous) throws IOException {
    ModelInfo bad = state.active.orElseThrow(() -> new IllegalStateException("no model is active; nothing to roll back"));
    if (!state.history.contains(previous)) {
      throw new IllegalStateException("can roll back only to a previous model " + labels(state.history) + ", but was "
          + previous.label());
    }
    requireInstalled(previous);
    List<ModelInfo> history = state.history.stream().filter(m -> !m.equals(previous) && !sameFile(m, bad)).toList();
    commit(new State(Optional.of(previous), history, rememberRolledBack(bad)));
  }

  /**
   * Records that {@code candidate}, installed but never activated, failed (load or smoke test):
   * it is remembered as rolled back and its file is deleted unless it is active or kept.
   */
  public synchronized void discard(ModelInfo candidate) throws IOException {
    commit(new State(state.active, state.history, rememberRolledBack(candidate)));
  }

  /**
   * First start: copies a model shipped with the agent into the store and makes it active. Does
   * nothing if a model is already active (so it can run on every start).
   *
   * @param file the shipped ONNX file
   * @param modelId registry id of the shipped model
   * @param version its version, at least 1
   * @return the active model
   */
  public synchronized ModelInfo importBootstrap(Path file, String modelId, long version) throws IOException {
    if (state.active.isPresent()) {
      return state.active.get();
    }
    ModelInfo model = new ModelInfo(modelId, version, DurableFiles.hex(DurableFiles.sha256(file)));
    DurableFiles.copyDurably(file, file(model));
    activate(model);
    LOG.infof("model store %s: imported bootstrap model %s from %s", dir, model.label(), file);
    return model;
  }

  private void requireInstalled(ModelInfo model) {
    if (!Files.isRegularFile(file(model))) {
      throw new IllegalStateException("model " + model.label() + " is not installed: " + file(model) + " is missing");
    }
  }

  private List<ModelInfo> rememberRolledBack(ModelInfo bad) {
    List<ModelInfo> r = new ArrayList<>();
    r.add(bad);
    state.rolledBack.stream().filter(m -> !sameFile(m, bad)).forEach(r::add);
    return r.size() > ROLLED_BACK_LIMIT ? r.subList(0, ROLLED_BACK_LIMIT) : r;
  }

  private List<ModelInfo> trim(List<ModelInfo> history) {
    return history.size() > keepPrevious ? history.subList(0, keepPrevious) : history;
  }

  private static boolean sameFile(ModelInfo a, ModelInfo b) {
    return a.sha256Hex().equals(b.sha256Hex());
  }

  private void commit(State next) throws IOException {
    DurableFiles.writeAtomically(dir.resolve(STATE_FILE), JSON.writeValueAsBytes(toJson(next)));
    state = next;
    prune();
  }

  /** Deletes model files that are neither active nor kept; never fails the caller (the state is committed). */
  private void prune() {
    Set<String> kept = new HashSet<>();
    state.active.ifPresent(m -> kept.add(m.sha256Hex() + ".onnx"));
    state.history.forEach(m -> kept.add(m.sha256Hex() + ".onnx"));
    try (DirectoryStream<Path> files = Files.newDirectoryStream(models, "*.onnx")) {
      for (Path f : files) {
        if (!kept.contains(f.getFileName().toString())) {
          Files.deleteIfExists(f);
          LOG.debugf("model store %s: deleted %s (neither active nor among the %d kept)", dir, f.getFileName(),
              keepPrevious);
        }
      }
      DurableFiles.syncDirectory(models);
    } catch (IOException e) {
      LOG.warnf("model store %s: pruning old model files failed, will retry on the next change: %s", dir, e);
    }
  }

  private static ObjectNode toJson(State s) {
    ObjectNode root = JSON.createObjectNode();
    root.put("format", FORMAT);
    s.active.ifPresent(m -> root.set("active", toJson(m)));
    ArrayNode h = root.putArray("history");
    s.history.forEach(m -> h.add(toJson(m)));
    ArrayNode r = root.putArray("rolledBack");
    s.rolledBack.forEach(m -> r.add(toJson(m)));
    return root;
  }

  private static ObjectNode toJson(ModelInfo m) {
    ObjectNode o = JSON.createObjectNode();
    o.put("modelId", m.modelId());
    o.put("version", m.version());
    o.put("sha256", m.sha256Hex());
    return o;
  }

  private static State read(Path file) throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return new State(Optional.empty(), List.of(), List.of());
    }
    try {
      JsonNode root = JSON.readTree(bytes);
      int format = root.path("format").asInt(-1);
      if (format != FORMAT) {
        throw new IOException(file + ": format must be " + FORMAT + ", but was " + root.path("format"));
      }
      Optional<ModelInfo> active = root.has("active") ? Optional.of(model(root.get("active"))) : Optional.empty();
      return new State(active, models(root.path("history")), models(root.path("rolledBack")));
    } catch (IOException | RuntimeException e) {
      throw new IOException("model store state " + file + " cannot be read: " + e.getMessage(), e);
    }
  }

  private static List<ModelInfo> models(JsonNode array) {
    List<ModelInfo> l = new ArrayList<>();
    array.forEach(n -> l.add(model(n)));
    return l;
  }

  private static ModelInfo model(JsonNode n) {
    return new ModelInfo(n.path("modelId").asText(null), n.path("version").asLong(0), n.path("sha256").asText(null));
  }

  private static String labels(List<ModelInfo> models) {
    return models.stream().map(ModelInfo::label).toList().toString();
  }
}
