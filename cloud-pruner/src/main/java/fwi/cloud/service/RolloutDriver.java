package fwi.cloud.service;

import fwi.cloud.fleet.FleetState;
import fwi.cloud.ota.BlockAccess;
import fwi.cloud.ota.ManifestPublisher;
import fwi.cloud.registry.ModelRegistry;
import fwi.cloud.rollout.Rollout;
import fwi.cloud.rollout.RolloutSettings;
import fwi.proto.v1.OtaState;
import fwi.proto.v1.OtaStatus;
import fwi.proto.v1.SignedManifest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.function.LongSupplier;
import org.jboss.logging.Logger;

/**
 * Carries out staged rollouts: starts {@link Rollout}s, feeds them the devices' OTA statuses and
 * telemetry, and performs their actions — device-targeted manifests for a stage, the profile-wide
 * manifest for the last one (also written to {@code fwi.models}), and on abort a signed rollback for
 * the devices that installed the new model, the new model's manifests withdrawn from devices that
 * had not, and its blocks no longer served. Actions that fail (broker away) are retried on the next
 * tick, in order; events from the fleet are queued and applied on the clock's thread, so the Kafka feed never waits on MQTT.
 * Also keeps each profile's <em>current</em> version — the one its devices should
 * run, and a rollback's target — in {@code current-models.properties}, and every rollout in
 * {@code rollouts/<id>.json}, written when it changes: after a restart, running rollouts carry on
 * where they were (telemetry windows replayed from Kafka count once, by their end time). Thread-safe: rollout state
 * changes under one lock and only queues actions; the actions are published by the driver's own
 * publisher thread, outside that lock and in order, and a stage's device manifests go out all at once
 * (one PUBACK round trip per stage rather than one per device: 50 devices made API calls wait 2.4 s).
 */
final class RolloutDriver implements BlockAccess {
  private static final Logger LOG = Logger.getLogger(RolloutDriver.class);
  private static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(10);

  /**
   * An action of a rollout, with the rollout's status when the action arose (so publishing needs no
   * lock on the rollouts), or (status null) publishing {@code version} profile-wide as current.
   */
  private record Pending(Rollout.Status status, Rollout.Action action, String profile, long version) {
  }

  private final ModelRegistry registry;
  private final ManifestPublisher manifests;
  private final KafkaOut kafka;
  private final RolloutSettings settings;
  private final LongSupplier clock;
  private final Path currentFile;
  private final Map<String, Rollout> rollouts = new LinkedHashMap<>();
  private final Map<String, String> profileOf = new ConcurrentHashMap<>();
  private final Map<String, Boolean> profileWide = new ConcurrentHashMap<>();
  /** Actions in order; filled under the state lock, published under {@link #publishing} only. */
  private final ConcurrentLinkedDeque<Pending> pending = new ConcurrentLinkedDeque<>();
  private final java.util.concurrent.ExecutorService publisher = java.util.concurrent.Executors.newSingleThreadExecutor(
      r -> {
        Thread t = new Thread(r, "fwi-rollout-publisher");
        t.setDaemon(true);
        return t;
      });
  private final java.util.concurrent.atomic.AtomicBoolean drainScheduled = new java.util.concurrent.atomic.AtomicBoolean();
  private final java.util.Queue<Runnable> events = new java.util.concurrent.ConcurrentLinkedQueue<>();
  /**
   * Model sha256 → devices it is withdrawn from (those of the aborted rollout). Per device, not per
   * sha256 alone: another profile may register byte-identical bytes and roll them out on its own.
   */
  private final Map<String, Set<String>> withdrawn = new ConcurrentHashMap<>();
  private final Map<String, Long> current = new TreeMap<>();
  private final Path rolloutsDir;
  private final com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
  /** What was last written per rollout, so unchanged rollouts are not written again on every tick. */
  private final Map<String, Stored> written = new java.util.HashMap<>();
  private final Set<String> rollbackPublished = ConcurrentHashMap.newKeySet();
  private int counter;
  /**
   * Per profile, the newest telemetry windows (by window end, not arrival, so an outage upstream does not
   * empty it): a rollout's baseline, the old model's p95 as it begins, comes from them.
   */
  private final Map<String, java.util.ArrayDeque<FleetState.Window>> recent = new java.util.HashMap<>();

  /** How far back from a profile's newest window on a model its baseline p95 reaches, ms. */
  static final long BASELINE_SPAN_MS = 30_000;
  private static final int RECENT_CAP = 200_000;

  /** A rollout as stored in {@code rollouts/<id>.json}, with what the driver has published of it. */
  record Stored(Rollout.Snapshot rollout, boolean profileWide, boolean rollbackPublished) {
  }

  RolloutDriver(ModelRegistry registry, ManifestPublisher manifests, KafkaOut kafka, RolloutSettings settings,
      Path stateDir, LongSupplier clock) throws IOException {
    this.registry = registry;
    this.manifests = manifests;
    this.kafka = kafka;
    this.settings = settings;
    this.clock = clock;
    this.currentFile = stateDir.resolve("current-models.properties");
    if (Files.exists(currentFile)) {
      Properties p = new Properties();
      try (var in = Files.newBufferedReader(currentFile, StandardCharsets.UTF_8)) {
        p.load(in);
      }
      for (String k : p.stringPropertyNames()) {
        try {
          current.put(k, Long.parseLong(p.getProperty(k).trim()));
        } catch (NumberFormatException e) {
          throw new IOException(currentFile + ": version of profile " + k + " must be a number, but was '"
              + p.getProperty(k) + "'");
        }
      }
    }
    this.rolloutsDir = stateDir.resolve("rollouts");
    Files.createDirectories(rolloutsDir);
    restore();
  }

  /**
   * Loads the stored rollouts: running and paused ones carry on (their current stage is published
   * again on the first tick, in case the service stopped before it was), an aborted one whose
   * rollback was not yet published publishes it. A file that cannot be read is reported and skipped.
   */
  private void restore() throws IOException {
    List<Stored> found = new ArrayList<>();
    try (var files = Files.list(rolloutsDir)) {
      for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".json")).sorted().toList()) {
        try {
          Stored st = json.readValue(f.toFile(), Stored.class);
          Rollout.restore(st.rollout()); // validates
          found.add(st);
        } catch (IOException | IllegalArgumentException e) {
          LOG.errorf("stored rollout %s cannot be read, so it is not resumed: %s", f, e.getMessage());
        }
      }
    }
    found.sort(Comparator.comparingInt(st -> sequenceOf(st.rollout().id())));
    for (Stored st : found) {
      Rollout r = Rollout.restore(st.rollout());
      String id = st.rollout().id();
      rollouts.put(id, r);
      profileOf.put(id, st.rollout().profile());
      if (st.profileWide()) {
        profileWide.put(id, true);
      }
      if (st.rollbackPublished()) {
        rollbackPublished.add(id);
      }
      written.put(id, st);
      counter = Math.max(counter, sequenceOf(id));
      // An aborted model's blocks stay unserved, unless a later rollout took the same version up again.
      registry.model(st.rollout().profile(), st.rollout().toVersion()).ifPresent(m -> {
        if (r.state() == Rollout.State.ABORTED) {
          withdraw(m.sha256Hex(), st.rollout().order());
        } else {
          allow(m.sha256Hex(), st.rollout().order());
        }
      });
      if (r.state() == Rollout.State.RUNNING || r.state() == Rollout.State.PAUSED
          || (r.state() == Rollout.State.ABORTED && !st.rollbackPublished())) {
        enqueue(r, r.republish());
        LOG.infof("rollout %s resumed after a restart: %s at stage %d", id, r.state(), r.status().stage());
      }
    }
  }

  private static int sequenceOf(String rolloutId) {
    int dash = rolloutId.lastIndexOf('-');
    try {
      return Integer.parseInt(rolloutId.substring(dash + 1));
    } catch (NumberFormatException | IndexOutOfBoundsException e) {
      return 0;
    }
  }

  /** Writes every rollout that changed since it was last written (atomically: temporary file, then move). */
  private synchronized void persist() {
    for (Map.Entry<String, Rollout> e : rollouts.entrySet()) {
      String id = e.getKey();
      Stored st = new Stored(e.getValue().snapshot(), profileWide.getOrDefault(id, false),
          rollbackPublished.contains(id));
      if (st.equals(written.get(id))) {
        continue;
      }
      Path f = rolloutsDir.resolve(id + ".json");
      Path tmp = rolloutsDir.resolve(id + ".json.tmp");
      try {
        json.writeValue(tmp.toFile(), st);
        Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        written.put(id, st);
      } catch (IOException ex) {
        LOG.errorf("storing rollout %s failed (a restart would not resume it as it is now): %s", id, ex.getMessage());
      }
    }
  }

  /** The version a profile's devices should run (0: none yet). */
  synchronized long current(String profile) {
    return current.getOrDefault(profile, 0L);
  }

  /** Makes {@code version} the profile's current model and publishes its manifest profile-wide. */
  void setCurrent(String profile, long version) throws IOException {
    synchronized (this) {
      current.put(profile, version);
      saveCurrent();
      SignedManifest m = registry.manifest(profile, version);
      kafka.manifest(profile, m);
      pending.add(new Pending(null, new Rollout.Action.ProfileWide(), profile, version));
    }
    drain();
  }

  private void saveCurrent() throws IOException {
    StringBuilder sb = new StringBuilder("# current model version per profile (fleet service)\n");
    current.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
    Path tmp = currentFile.resolveSibling(currentFile.getFileName() + ".tmp");
    Files.writeString(tmp, sb, StandardCharsets.UTF_8);
    Files.move(tmp, currentFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * Starts rolling {@code toVersion} out to {@code devices} of {@code profile}, from the profile's
   * current version.
   *
   * @throws IllegalStateException if a rollout of the profile is still running or paused
   * @throws IllegalArgumentException if there is no device, the profile has no current version (nothing to
   *     roll back to), or the version is not newer than the current one
   */
  Rollout start(String profile, long toVersion, double predictedP95Ms, double sloMs, List<String> devices) {
    Rollout r = startLocked(profile, toVersion, predictedP95Ms, sloMs, devices);
    drain();
    return r;
  }

  private synchronized Rollout startLocked(String profile, long toVersion, double predictedP95Ms, double sloMs,
      List<String> devices) {
    for (Rollout r : rollouts.values()) {
      if (profileOf.get(r.status().id()).equals(profile)
          && (r.state() == Rollout.State.RUNNING || r.state() == Rollout.State.PAUSED)) {
        throw new IllegalStateException("rollout " + r.status().id() + " of profile " + profile + " is still "
            + r.state().name().toLowerCase() + "; abort it first");
      }
    }
    long from = current(profile);
    if (from == 0) {
      throw new IllegalArgumentException("profile " + profile + " has no current model version yet, so a failed "
          + "rollout of version " + toVersion + " would have nothing to roll back to; make a version current first");
    }
    if (toVersion <= from) {
      throw new IllegalArgumentException("version " + toVersion + " of profile " + profile
          + " must be newer than the current version " + from);
    }
    registry.model(profile, toVersion).ifPresent(m -> allow(m.sha256Hex(), devices)); // tried again after an abort
    List<String> order = new ArrayList<>(devices);
    order.sort(Comparator.comparing(RolloutDriver::hash));
    String id = String.format("%s-v%d-%d", profile, toVersion, ++counter);
    double baseline = baselineP95Ms(profile, from);
    Rollout r = new Rollout(id, profile, from, toVersion, predictedP95Ms, sloMs, baseline, order, settings);
    rollouts.put(id, r);
    profileOf.put(id, profile);
    LOG.infof("rollout %s: version %d -> %d to %d device(s), stages %s, predicted p95 %.1f ms, SLO %.1f ms, "
        + "version %d at %s", id, from, toVersion, order.size(), settings.stages(), predictedP95Ms, sloMs, from,
        baseline > 0 ? String.format("p95 %.1f ms", baseline) : "an unknown p95 (no recent telemetry)");
    enqueue(r, r.start(clock.getAsLong()));
    persist();
    return r;
  }

  synchronized List<Rollout.Status> all() {
    return rollouts.values().stream().map(Rollout::status).toList();
  }

  synchronized Optional<Rollout.Status> status(String id) {
    return Optional.ofNullable(rollouts.get(id)).map(Rollout::status);
  }

  /** Whether a rollout of {@code profile} is running or paused. */
  synchronized boolean active(String profile) {
    return rollouts.values().stream().anyMatch(r -> profileOf.get(r.status().id()).equals(profile)
        && (r.state() == Rollout.State.RUNNING || r.state() == Rollout.State.PAUSED));
  }

  /**
   * Operator action on a rollout: pause, resume or abort.
   *
   * @throws IllegalArgumentException for another action
   */
  Optional<Rollout.Status> act(String id, String action, String why) {
    Optional<Rollout.Status> s = actLocked(id, action, why);
    drain();
    return s;
  }

  private synchronized Optional<Rollout.Status> actLocked(String id, String action, String why) {
    Rollout r = rollouts.get(id);
    if (r == null) {
      return Optional.empty();
    }
    switch (action) {
      case "pause" -> r.pause(why);
      case "resume" -> r.resume();
      case "abort" -> enqueue(r, r.abort("aborted by " + why, clock.getAsLong()));
      default -> throw new IllegalArgumentException("rollout action must be pause, resume or abort, but was '" + action
          + "'");
    }
    persist();
    return Optional.of(r.status());
  }

  /** An OTA status of a device (from {@code fwi.device-events}); applied on the next tick. */
  void onOtaStatus(String deviceId, OtaStatus s) {
    events.add(() -> applyOtaStatus(deviceId, s));
  }

  /** A telemetry window of a device of {@code profile}; applied on the next tick. */
  void onWindow(String profile, FleetState.Window w) {
    events.add(() -> applyWindow(profile, w));
  }

  private void applyOtaStatus(String deviceId, OtaStatus s) {
    OtaState st = s.getState();
    boolean ok = st == OtaState.OTA_STATE_ACTIVE && !s.getRollback();
    boolean bad = st == OtaState.OTA_STATE_REJECTED || st == OtaState.OTA_STATE_FAILED
        || st == OtaState.OTA_STATE_ROLLED_BACK;
    if (!ok && !bad) {
      return;
    }
    // A device that leaves the new model (its own health watch, an operator) reports ROLLED_BACK from it.
    long version = st == OtaState.OTA_STATE_ROLLED_BACK && s.hasFromModel() ? s.getFromModel().getVersion()
        : s.getToModel().getVersion();
    String detail = st.name().replace("OTA_STATE_", "") + " " + s.getReason().name().replace("OTA_REASON_", "")
        + (s.getDetail().isEmpty() ? "" : ": " + s.getDetail());
    for (Rollout r : rollouts.values()) {
      enqueue(r, r.onUpdateEnded(deviceId, version, ok, detail, clock.getAsLong()));
      if (st == OtaState.OTA_STATE_ROLLED_BACK && s.getToModel().getVersion() != version) {
        enqueue(r, r.onUpdateEnded(deviceId, s.getToModel().getVersion(), false, detail, clock.getAsLong()));
      }
    }
  }

  /**
   * The p95 of {@code version} on {@code profile} over its newest {@link #BASELINE_SPAN_MS} of telemetry
   * (windows' p95 weighted by their inferences); 0 if none was seen.
   */
  private double baselineP95Ms(String profile, long version) {
    java.util.ArrayDeque<FleetState.Window> q = recent.get(profile);
    if (q == null) {
      return 0;
    }
    long newest = Long.MIN_VALUE;
    for (FleetState.Window w : q) {
      if (w.modelVersion() == version && w.inferences() > 0) {
        newest = Math.max(newest, w.endUnixMs());
      }
    }
    long n = 0;
    double sum = 0;
    for (FleetState.Window w : q) {
      if (w.modelVersion() == version && w.inferences() > 0 && w.endUnixMs() >= newest - BASELINE_SPAN_MS) {
        n += w.inferences();
        sum += w.inferences() * (double) w.p95Us();
      }
    }
    return n == 0 ? 0 : sum / n / 1000;
  }

  private void remember(String profile, FleetState.Window w) {
    java.util.ArrayDeque<FleetState.Window> q = recent.computeIfAbsent(profile, k -> new java.util.ArrayDeque<>());
    if (!q.isEmpty() && w.endUnixMs() < q.peekLast().endUnixMs() - BASELINE_SPAN_MS) {
      return; // older than what is kept already (a device's backlog after an outage)
    }
    q.addLast(w);
    long horizon = q.peekLast().endUnixMs() - BASELINE_SPAN_MS;
    while (q.size() > RECENT_CAP || (!q.isEmpty() && q.peekFirst().endUnixMs() < horizon)) {
      q.pollFirst();
    }
  }

  private void applyWindow(String profile, FleetState.Window w) {
    remember(profile, w);
    for (Rollout r : rollouts.values()) {
      if (profileOf.get(r.status().id()).equals(profile)) {
        r.onTelemetry(w.deviceId(), w.endUnixMs(), w.modelVersion(), w.inferences(), w.errors(), w.p95Us() / 1000.0);
      }
    }
  }

  /** Advances every rollout and retries actions that failed. */
  void tick() {
    tickLocked();
    drain();
  }

  private synchronized void tickLocked() {
    for (Runnable e = events.poll(); e != null; e = events.poll()) {
      e.run();
    }
    long now = clock.getAsLong();
    for (Rollout r : rollouts.values()) {
      Rollout.State before = r.state();
      enqueue(r, r.tick(now));
      if (before != Rollout.State.COMPLETED && r.state() == Rollout.State.COMPLETED) {
        Rollout.Status s = r.status();
        try {
          current.put(s.profile(), s.toVersion());
          saveCurrent();
        } catch (IOException e) {
          LOG.errorf("rollout %s completed, but recording profile %s's current version failed: %s", s.id(),
              s.profile(), e.getMessage());
        }
        LOG.infof("rollout %s completed: profile %s runs version %d", s.id(), s.profile(), s.toVersion());
      }
    }
    persist();
  }

  private void enqueue(Rollout r, List<Rollout.Action> actions) {
    if (actions.isEmpty()) {
      return;
    }
    Rollout.Status status = r.status();
    for (Rollout.Action a : actions) {
      pending.add(new Pending(status, a, "", 0));
    }
  }

  /**
   * Has the queued actions published, in order, on the driver's publisher thread, outside the state
   * lock: API calls, the dashboard and the clock never wait for the broker. A failed action stays
   * first in the queue and is retried on the next tick.
   */
  private void drain() {
    if (!pending.isEmpty() && drainScheduled.compareAndSet(false, true)) {
      try {
        publisher.execute(() -> {
          drainScheduled.set(false);
          publishQueued();
        });
      } catch (java.util.concurrent.RejectedExecutionException e) {
        drainScheduled.set(false); // closed
      }
    }
  }

  private void publishQueued() {
    while (!pending.isEmpty()) {
      Pending p = pending.peekFirst();
      try {
        execute(p);
        pending.removeFirst();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Exception e) {
        LOG.warnf("rollout action %s failed, retried on the next tick: %s", p.action(), e.getMessage());
        return;
      }
    }
  }

  /** Whether every queued action has been published (tests, shutdown). */
  boolean idle() {
    return pending.isEmpty();
  }

  /** Stops the publisher thread, giving a publish under way up to {@code timeout} to finish. */
  void close(Duration timeout) {
    publisher.shutdown();
    try {
      if (!publisher.awaitTermination(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
        publisher.shutdownNow();
      }
    } catch (InterruptedException e) {
      publisher.shutdownNow();
      Thread.currentThread().interrupt();
    }
    if (!pending.isEmpty()) {
      LOG.warnf("closing with %d rollout action(s) not published (first: %s)", pending.size(),
          pending.peekFirst().action());
    }
  }

  private void execute(Pending p) throws Exception {
    if (p.status() == null) {
      manifests.publishToProfile(registry.manifest(p.profile(), p.version()), PUBLISH_TIMEOUT);
      return;
    }
    Rollout.Status s = p.status();
    String profile = s.profile();
    if (p.action() instanceof Rollout.Action.Target t) {
      SignedManifest m = registry.manifestFor(profile, s.toVersion(), t.devices());
      manifests.publishToDevices(t.devices(), m, PUBLISH_TIMEOUT);
      LOG.infof("rollout %s stage %d: version %d targeted at %s", s.id(), s.stage(), s.toVersion(), t.devices());
    } else if (p.action() instanceof Rollout.Action.ProfileWide) {
      SignedManifest m = registry.manifest(profile, s.toVersion());
      manifests.publishToProfile(m, PUBLISH_TIMEOUT);
      kafka.manifest(profile, m);
      profileWide.put(s.id(), true);
      persist();
      LOG.infof("rollout %s: version %d published to every device of %s", s.id(), s.toVersion(), profile);
    } else if (p.action() instanceof Rollout.Action.Rollback b) {
      withdraw(registry.model(profile, s.toVersion()).orElseThrow().sha256Hex(), s.devices().keySet());
      if (s.fromVersion() > 0 && !b.devices().isEmpty()) {
        SignedManifest back = registry.rollbackManifest(profile, s.fromVersion(), s.toVersion(), b.devices());
        manifests.publishToDevices(b.devices(), back, PUBLISH_TIMEOUT);
      }
      List<String> clear = new ArrayList<>();
      for (Map.Entry<String, Rollout.DeviceState> e : s.devices().entrySet()) {
        if (!b.devices().contains(e.getKey()) && e.getValue() != Rollout.DeviceState.WAITING) {
          clear.add(e.getKey());
        }
      }
      manifests.clearDevices(clear, PUBLISH_TIMEOUT);
      if (profileWide.getOrDefault(s.id(), false) && s.fromVersion() > 0) {
        SignedManifest back = registry.rollbackManifest(profile, s.fromVersion(), s.toVersion());
        manifests.publishToProfile(back, PUBLISH_TIMEOUT);
        kafka.manifest(profile, back);
      }
      rollbackPublished.add(s.id());
      persist();
      LOG.warnf("rollout %s aborted (%s): rolled back %s to version %d", s.id(), b.reason(), b.devices(),
          s.fromVersion());
    }
  }

  private void withdraw(String sha256Hex, java.util.Collection<String> devices) {
    withdrawn.computeIfAbsent(sha256Hex, k -> ConcurrentHashMap.newKeySet()).addAll(devices);
  }

  private void allow(String sha256Hex, java.util.Collection<String> devices) {
    Set<String> from = withdrawn.get(sha256Hex);
    if (from != null) {
      from.removeAll(devices);
    }
  }

  /** Blocks of a model withdrawn by an aborted rollout are not served any more to that rollout's devices. */
  @Override
  public boolean mayDownload(String deviceId, String modelSha256Hex) {
    return !withdrawn.getOrDefault(modelSha256Hex, Set.of()).contains(deviceId);
  }

  private static String hash(String deviceId) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(deviceId.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }
}
