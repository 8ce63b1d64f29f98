package fwi.cloud.registry;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.WRITE;

import com.google.protobuf.ByteString;
import fwi.cloud.model.InvalidModelException;
import fwi.proto.v1.ManifestBody;
import fwi.proto.v1.ModelRef;
import fwi.proto.v1.PrunePlanSummary;
import fwi.proto.v1.SignedManifest;
import fwi.proto.v1.TensorSpec;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The cloud's model registry: ONNX files by content ({@link ModelStore}) and, per hardware profile,
 * a lineage of versions (1, 2, 3, ... strictly increasing, never reused, persisted across restarts)
 * from which it builds and signs manifests ({@code fwi.v1.ManifestBody}) that devices accept.
 *
 * <p>Registering the same file again for the same profile returns the existing version (a retried
 * job registers nothing twice). A version's manifest body is a pure function of what was
 * registered (the creation time is recorded), so signing it again gives the same bytes; what
 * varies is only the target list (canary stages) and the rollback fields.
 *
 * <p>State lives in {@code <dir>/registry.json} (see {@code RegistryState}), replaced atomically
 * on every registration; {@code <dir>/registry.lock} keeps a second registry (process) off the
 * same directory. Several cloud instances need one registry owner, or a shared store of record
 * instead of this file.
 *
 * <p>Thread-safe: reads see an immutable snapshot; registrations are serialized.
 */
public final class ModelRegistry implements AutoCloseable {
  /** Hardware profile names: a segment of MQTT topics ({@code HardwareProfile.name}). */
  public static final Pattern PROFILE_NAME = Pattern.compile("[a-z0-9-]{1,32}");
  /** Device ids, as devices accept them ({@code fwi.agent.device-id}). */
  public static final Pattern DEVICE_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  /** Model ids devices accept: 1 to 128 printable ASCII characters without spaces. */
  static final Pattern MODEL_ID = Pattern.compile("[\\x21-\\x7e]{1,128}");
  static final String STATE_FILE = "registry.json";
  static final String LOCK_FILE = "registry.lock";
  static final int SCHEMA_VERSION = 1;

  private final Path stateFile;
  private final ModelStore store;
  private final ManifestSigner signer;
  private final RegistrySettings settings;
  private final Clock clock;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final Object writes = new Object();
  private final Map<String, List<ByteString>> blockDigests = new ConcurrentHashMap<>();
  private volatile Snapshot snapshot;

  /** The state and what is derived from it, swapped as one. */
  private record Snapshot(RegistryState state, Map<String, BlockLayout> layouts) {
    static Snapshot of(RegistryState s) {
      Map<String, BlockLayout> layouts = new HashMap<>();
      s.profiles().values().forEach(l -> l.models().forEach(m -> layouts.putIfAbsent(m.sha256Hex(), m.layout())));
      return new Snapshot(s, Map.copyOf(layouts));
    }
  }

  private ModelRegistry(Path dir, ModelStore store, ManifestSigner signer, RegistrySettings settings, Clock clock)
      throws IOException {
    this.stateFile = dir.resolve(STATE_FILE);
    this.store = store;
    this.signer = signer;
    this.settings = settings;
    this.clock = clock;
    Files.createDirectories(dir);
    Path lockFile = dir.resolve(LOCK_FILE);
    this.lockChannel = FileChannel.open(lockFile, CREATE, WRITE);
    FileLock l;
    try {
      l = lockChannel.tryLock();
    } catch (OverlappingFileLockException e) {
      l = null;
    }
    if (l == null) {
      lockChannel.close();
      throw new IllegalStateException("registry directory " + dir + " must have one owner, but another registry holds "
          + lockFile);
    }
    this.lock = l;
    try {
      this.snapshot = Snapshot.of(RegistryState.read(stateFile));
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * Opens (or creates) the registry in {@code dir}, with its files in {@code store}.
   *
   * @throws IOException if the state file exists but cannot be read (the registry refuses to start
   *     empty over it, which would hand out versions again)
   * @throws IllegalStateException if another registry has {@code dir} open
   */
  public static ModelRegistry open(Path dir, ModelStore store, ManifestSigner signer, RegistrySettings settings,
      Clock clock) throws IOException {
    return new ModelRegistry(dir, store, signer, settings, clock);
  }

  /** As {@link #open(Path, ModelStore, ManifestSigner, RegistrySettings, Clock)}; files in {@code dir/blobs}, UTC. */
  public static ModelRegistry open(Path dir, ManifestSigner signer, RegistrySettings settings) throws IOException {
    return open(dir, new ModelStore(dir), signer, settings, Clock.systemUTC());
  }

  public ModelStore store() {
    return store;
  }

  public ManifestSigner signer() {
    return signer;
  }

  public RegistrySettings settings() {
    return settings;
  }

  /**
   * Registers the ONNX file {@code onnx} for {@code profile} as the next version of its lineage.
   *
   * @see #register(String, byte[], String, Registration)
   */
  public RegisteredModel register(String profile, Path onnx, Registration registration)
      throws IOException, InvalidModelException {
    return register(profile, Files.readAllBytes(onnx), onnx.toString(), registration);
  }

  /**
   * Registers ONNX bytes for {@code profile}: stores them, describes them, assigns the next version
   * (or returns the existing one if this file is already registered for the profile), derives the
   * plan summary and base model from the file's pruning metadata where the caller gave none, and
   * persists the lineage.
   *
   * @param source names the model in errors, e.g. its file name
   * @throws IllegalArgumentException if {@code profile} is not a valid profile name
   * @throws InvalidModelException naming {@code source} if the bytes are not an ONNX model the
   *     registry can count, or devices could not accept a manifest for it (no input or output, a
   *     tensor without dimensions, a dimension of 0)
   * @throws IOException if the file or the state cannot be written (then nothing was registered)
   */
  public RegisteredModel register(String profile, byte[] onnx, String source, Registration registration)
      throws IOException, InvalidModelException {
    checkProfile(profile);
    ModelDescription d = ModelDescription.of(onnx, source);
    checkDeliverable(d, source);
    Optional<PrunePlanSummary> plan = PlanSummaries.summary(d, registration.plan(), source);
    String sha = store.put(onnx);
    synchronized (writes) {
      RegistryState state = snapshot.state();
      RegistryState.Lineage lineage = state.profiles().getOrDefault(profile, new RegistryState.Lineage(0, List.of()));
      for (RegisteredModel m : lineage.models()) {
        if (m.sha256Hex().equals(sha)) {
          return m;
        }
      }
      long version = lineage.lastVersion() + 1;
      int blockSize = Optional.ofNullable(snapshot.layouts().get(sha)).map(BlockLayout::blockSizeBytes)
          .orElse(settings.blockSizeBytes());
      blockDigests.computeIfAbsent(digestKey(sha, blockSize), k -> digests(onnx, blockSize));
      RegisteredModel m = new RegisteredModel(profile, version, modelId(profile, version), blockSize, clock.millis(), d,
          registration.quality(), plan, registration.baseModel().or(() -> baseModel(d, profile, state)));
      RegistryState next = state.plus(m);
      next.write(stateFile);
      snapshot = Snapshot.of(next);
      return m;
    }
  }

  /** Profiles with at least one model, sorted. */
  public List<String> profiles() {
    return List.copyOf(snapshot.state().profiles().keySet());
  }

  /** The profile's models in ascending version order; empty for a profile without models. */
  public List<RegisteredModel> models(String profile) {
    RegistryState.Lineage l = snapshot.state().profiles().get(profile);
    return l == null ? List.of() : l.models();
  }

  /** One version of a profile's lineage, if registered. */
  public Optional<RegisteredModel> model(String profile, long version) {
    return models(profile).stream().filter(m -> m.version() == version).findFirst();
  }

  /** The profile's newest version, if any. */
  public Optional<RegisteredModel> latest(String profile) {
    List<RegisteredModel> l = models(profile);
    return l.isEmpty() ? Optional.empty() : Optional.of(l.get(l.size() - 1));
  }

  /** Every registration of the file with this SHA-256 (one per profile it was registered for). */
  public List<RegisteredModel> bySha256(String sha256Hex) {
    List<RegisteredModel> found = new ArrayList<>();
    snapshot.state().profiles().values().forEach(l -> l.models().stream()
        .filter(m -> m.sha256Hex().equals(sha256Hex)).forEach(found::add));
    return found;
  }

  /**
   * How the registered file with this SHA-256 is cut into blocks (one block size per file, kept
   * from its first registration); empty if no registered model has this file. Cheap: for the
   * block server's every request.
   */
  public Optional<BlockLayout> blockLayout(String sha256Hex) {
    return Optional.ofNullable(snapshot.layouts().get(sha256Hex));
  }

  /**
   * The body of {@code profile}'s version {@code version} for the devices {@code targets} (empty:
   * every device of the profile), not a rollback.
   *
   * @throws UnknownModelException if the version is not registered for the profile
   * @throws IllegalArgumentException if a target is not a valid device id or is repeated
   * @throws ModelIntegrityException if the stored file no longer matches its SHA-256 (checked the
   *     first time its block digests are computed in this process)
   */
  public ManifestBody manifestBody(String profile, long version, List<String> targets) throws IOException {
    RegisteredModel m = require(profile, version);
    ModelDescription d = m.description();
    ManifestBody.Builder b = ManifestBody.newBuilder()
        .setSchemaVersion(SCHEMA_VERSION)
        .setModelId(m.modelId())
        .setVersion(m.version())
        .setProfileName(m.profile())
        .addAllTargetDeviceIds(checkTargets(targets));
    m.baseModel().ifPresent(b::setBaseModel);
    m.plan().ifPresent(b::setPlan);
    b.setCreatedUnixMs(m.createdUnixMs())
        .setParamCount(d.params())
        .setMacs(d.macs());
    m.quality().ifPresent(b::setQuality);
    BlockLayout layout = m.layout();
    b.setSha256(ByteString.copyFrom(Sha256.unhex(d.sha256Hex())))
        .setSizeBytes(d.sizeBytes())
        .setBlockSizeBytes(layout.blockSizeBytes())
        .setBlockCount(layout.blockCount())
        .addAllBlockSha256(blockDigests(m))
        .setOnnxOpset((int) d.opset())
        .setOnnxIrVersion((int) d.irVersion());
    d.inputs().forEach(t -> b.addInputs(spec(t)));
    d.outputs().forEach(t -> b.addOutputs(spec(t)));
    return b.build();
  }

  /**
   * The signed manifest of a version for every device of its profile.
   *
   * @throws UnknownModelException if the version is not registered for the profile
   */
  public SignedManifest manifest(String profile, long version) throws IOException {
    return manifestFor(profile, version, List.of());
  }

  /**
   * The signed manifest of a version, for the devices {@code targets} only (a canary stage), or
   * for every device of the profile if {@code targets} is empty. The same model signed again with
   * a wider list moves a rollout to its next stage.
   *
   * @throws UnknownModelException if the version is not registered for the profile
   * @throws IllegalArgumentException if a target is not a valid device id or is repeated
   */
  public SignedManifest manifestFor(String profile, long version, List<String> targets) throws IOException {
    return signer.sign(manifestBody(profile, version, targets));
  }

  /**
   * A signed rollback to {@code toVersion} for every device of the profile.
   *
   * @see #rollbackManifest(String, long, long, List)
   */
  public SignedManifest rollbackManifest(String profile, long toVersion, long fromVersion) throws IOException {
    return rollbackManifest(profile, toVersion, fromVersion, List.of());
  }

  /**
   * A signed downgrade: {@code toVersion}'s manifest with {@code rollback = true} and
   * {@code rollback_from_version = fromVersion}. A device installs it only if
   * {@code toVersion < active <= fromVersion}, so a replay cannot pull back devices that moved
   * past {@code fromVersion} since.
   *
   * @throws UnknownModelException if {@code toVersion} is not registered for the profile
   * @throws IllegalArgumentException if {@code fromVersion} is not above {@code toVersion} or
   *     above the profile's latest version, or a target is invalid
   */
  public SignedManifest rollbackManifest(String profile, long toVersion, long fromVersion, List<String> targets)
      throws IOException {
    RegisteredModel to = require(profile, toVersion);
    if (fromVersion <= toVersion) {
      throw new IllegalArgumentException("rollback_from_version must be above the version rolled back to ("
          + toVersion + "), but was " + fromVersion);
    }
    long last = snapshot.state().profiles().get(profile).lastVersion();
    if (fromVersion > last) {
      throw new IllegalArgumentException("rollback_from_version must be at most profile '" + profile
          + "''s latest version " + last + ", but was " + fromVersion);
    }
    ManifestBody body = manifestBody(profile, to.version(), targets).toBuilder()
        .setRollback(true)
        .setRollbackFromVersion(fromVersion)
        .build();
    return signer.sign(body);
  }

  /** Releases the directory lock. Idempotent. */
  @Override
  public void close() throws IOException {
    try {
      if (lock != null && lock.isValid()) {
        lock.release();
      }
    } finally {
      lockChannel.close();
    }
  }

  static String checkProfile(String profile) {
    if (profile == null || !PROFILE_NAME.matcher(profile).matches()) {
      throw new IllegalArgumentException("profile name must match " + PROFILE_NAME.pattern() + ", but was '" + profile
          + "'");
    }
    return profile;
  }

  private RegisteredModel require(String profile, long version) {
    checkProfile(profile);
    return model(profile, version).orElseThrow(() -> new UnknownModelException("profile '" + profile
        + "' has no model version " + version + "; its versions are "
        + models(profile).stream().map(RegisteredModel::version).toList()));
  }

  private String modelId(String profile, long version) {
    return settings.modelIdPrefix() + "-" + profile + "-v" + version;
  }

  private List<ByteString> blockDigests(RegisteredModel m) throws IOException {
    String key = digestKey(m.sha256Hex(), m.blockSizeBytes());
    List<ByteString> d = blockDigests.get(key);
    if (d == null) {
      d = store.blockSha256(m.sha256Hex(), m.blockSizeBytes());
      blockDigests.putIfAbsent(key, d);
    }
    return d;
  }

  private static String digestKey(String sha, int blockSize) {
    return sha + "/" + blockSize;
  }

  private static List<ByteString> digests(byte[] file, int blockSize) {
    List<ByteString> l = new ArrayList<>();
    for (int off = 0; off < file.length; off += blockSize) {
      l.add(ByteString.copyFrom(Sha256.of(file, off, Math.min(blockSize, file.length - off))));
    }
    return List.copyOf(l);
  }

  /** The registered model the pruning chain started from, preferring the same profile; else only its SHA-256. */
  private static Optional<ModelRef> baseModel(ModelDescription d, String profile, RegistryState state) {
    if (d.prune().isEmpty()) {
      return Optional.empty();
    }
    String base = d.prune().get().baseSha256Hex();
    Optional<RegisteredModel> same = state.profiles().getOrDefault(profile, new RegistryState.Lineage(0, List.of()))
        .models().stream().filter(m -> m.sha256Hex().equals(base)).findFirst();
    Optional<RegisteredModel> found = same.or(() -> state.profiles().values().stream()
        .flatMap(l -> l.models().stream()).filter(m -> m.sha256Hex().equals(base)).findFirst());
    return Optional.of(found.map(RegisteredModel::ref)
        .orElse(ModelRef.newBuilder().setSha256(ByteString.copyFrom(Sha256.unhex(base))).build()));
  }

  /** What a device's manifest check demands of the graph interface ({@code ManifestVerifier}). */
  private static void checkDeliverable(ModelDescription d, String source) throws InvalidModelException {
    if (d.inputs().isEmpty() || d.outputs().isEmpty()) {
      throw new InvalidModelException(source + ": devices need a model with inputs and outputs, but it has "
          + d.inputs().size() + " inputs and " + d.outputs().size() + " outputs");
    }
    if (d.opset() > 0xffffffffL || d.irVersion() > 0xffffffffL) {
      throw new InvalidModelException(source + ": opset and IR version must fit in 32 bits, but were " + d.opset()
          + " and " + d.irVersion());
    }
    List<ModelDescription.Tensor> all = new ArrayList<>(d.inputs());
    all.addAll(d.outputs());
    for (ModelDescription.Tensor t : all) {
      if (t.dims().isEmpty() || t.dims().contains(0L)) {
        throw new InvalidModelException(source + ": devices need every input and output to have dimensions of -1 or "
            + "at least 1, but '" + t.name() + "' has " + t.dims());
      }
    }
  }

  private static List<String> checkTargets(List<String> targets) {
    Set<String> seen = new HashSet<>();
    for (String t : targets) {
      if (t == null || !DEVICE_ID.matcher(t).matches()) {
        throw new IllegalArgumentException("target device id must match " + DEVICE_ID.pattern() + ", but was '" + t
            + "'");
      }
      if (!seen.add(t)) {
        throw new IllegalArgumentException("target device ids must be distinct, but '" + t + "' is repeated");
      }
    }
    return targets;
  }

  private static TensorSpec spec(ModelDescription.Tensor t) {
    return TensorSpec.newBuilder().setName(t.name()).setElementType(t.elementType()).addAllDims(t.dims()).build();
  }

  @Override
  public String toString() {
    return "ModelRegistry[" + stateFile + ", " + store + ", " + signer + "]";
  }
}
