package fwi.edge.ota;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import fwi.edge.inference.ModelInfo;
import fwi.proto.v1.BlockResponse;
import fwi.proto.v1.ManifestBody;
import fwi.proto.v1.ModelRef;
import fwi.proto.v1.OtaReason;
import fwi.proto.v1.OtaState;
import fwi.proto.v1.OtaStatus;
import fwi.proto.v1.SignedManifest;
import fwi.runtime.ort.ModelRunner;
import fwi.runtime.ort.RunnerOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The device's over-the-air update state machine ({@code ota_status.proto}), one update at a time:
 * <pre>
 * IDLE -> MANIFEST_RECEIVED -> DOWNLOADING -> VERIFYING -> INSTALLING -> SMOKE_TESTING -> ACTIVE
 *               |                  |             |            |              |            |
 *            REJECTED            FAILED        FAILED    ROLLED_BACK    ROLLED_BACK  ROLLED_BACK (health)
 * </pre>
 * The serving model is replaced only after the candidate passed the smoke test; every failure
 * leaves the previous model serving and is reported with its reason and a detail naming the value.
 *
 * <p>Threading: all work runs on one thread this client owns. {@link #onManifest}, {@link #onBlock},
 * {@link #tick}, {@link #rollback} and {@link #recordInference} only enqueue work (or, for
 * inference outcomes, update counters), so they are safe to call from MQTT callback and inference
 * threads; file I/O, hashing, ONNX Runtime loading and the smoke test never run on the caller's thread.
 *
 * <p>Manifests: retained manifests are delivered again on every reconnect, on the profile and the
 * device topic. A manifest (by its signed body) already handled is ignored, except after a
 * failure a retry can cure (DOWNLOAD_TIMEOUT, STORAGE_ERROR; then the download resumes with the
 * next attempt number). A manifest for the model already active or already downloading is
 * ignored silently. A verified manifest for a newer version, or a signed rollback, supersedes a
 * running download (FAILED / SUPERSEDED). A model rolled back on this device is not installed
 * again unless by a signed rollback (REJECTED with reason number 12, see {@link OtaReasons}).
 *
 * <p>Fault injection: with {@link OtaSettings#faultHoldIn()} set, every update pauses in VERIFYING
 * (file checked, not yet moved) or INSTALLING (file moved into the store, the old model still
 * serving) for {@link OtaSettings#faultHoldMs()} and logs it, so crash tests can kill the agent at
 * exactly that point. Off by default.
 *
 * <p>Health: after a swap the host reports each inference through {@link #recordInference}; a
 * model that fails its health window is rolled back automatically to the previous one
 * (ROLLED_BACK / HEALTH_CHECK_FAILED). {@link #rollback} does the same on an operator's request
 * (ROLLED_BACK, reason OPERATOR_REQUEST, detail "operator request: ...").
 */
public final class OtaClient implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(OtaClient.class);
  /** Handled manifests remembered, by body digest. */
  static final int SEEN_LIMIT = 64;

  /** One update (or one rollback) as the status reports it. Touched only on the client's thread. */
  private static final class Update {
    final String key;
    final Optional<ManifestBody> body;
    final Optional<ModelInfo> target;
    final Optional<ModelInfo> from;
    Download download;
    BlockFetcher fetcher;
    OtaState state = OtaState.OTA_STATE_IDLE;
    long enteredMs;
    long lastReportMs;
    long receivedBytes;
    long smokeNanos;
    int attempt = 1;

    Update(String key, Optional<ManifestBody> body, Optional<ModelInfo> target, Optional<ModelInfo> from) {
      this.key = key;
      this.body = body;
      this.target = target;
      this.from = from;
    }

    long received() {
      return download != null ? download.receivedBytes() : receivedBytes;
    }

    long total() {
      return body.map(ManifestBody::getSizeBytes).orElse(0L);
    }

    boolean rollback() {
      return body.map(ManifestBody::getRollback).orElse(false);
    }
  }

  private final OtaSettings settings;
  private final ManifestVerifier verifier;
  private final SmokeTest smokeTest;
  private final ModelStore store;
  private final ModelHost host;
  private final OtaTransport transport;
  private final Clock clock;
  private final HealthWatch health;
  private final ScheduledThreadPoolExecutor executor;
  /** (body digest, active model) -> whether a redelivery may retry it. */
  private final Map<String, Boolean> seen = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
      return size() > SEEN_LIMIT;
    }
  };
  /** The running update (MANIFEST_RECEIVED .. SMOKE_TESTING); null when idle. */
  private Update update;
  private volatile Optional<OtaStatus> last = Optional.empty();
  private volatile Optional<OtaState> heldIn = Optional.empty();

  /**
   * @param settings tuning, validated
   * @param deviceId this device's id (target lists)
   * @param profile this device's hardware profile
   * @param keys keys manifests must be signed with
   * @param runnerOptions session options for candidate models (those they will serve with)
   * @param store the model directory; the client changes it, nobody else should meanwhile
   * @param host serves the model; told to activate a model only after its smoke test passed
   * @param transport sends block requests and statuses
   * @param clock wall clock for status times, timeouts and the health window
   */
  public OtaClient(OtaSettings settings, String deviceId, String profile, TrustedKeys keys, RunnerOptions runnerOptions,
      ModelStore store, ModelHost host, OtaTransport transport, Clock clock) {
    this.settings = settings;
    this.verifier = new ManifestVerifier(keys, deviceId, profile, settings.maxOpset(), settings.maxIrVersion(),
        settings.maxBlockSizeBytes());
    this.smokeTest = SmokeTest.of(settings, runnerOptions);
    this.store = store;
    this.host = host;
    this.transport = transport;
    this.clock = clock;
    this.health = new HealthWatch(settings);
    this.executor = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "fwi-ota");
      t.setDaemon(true);
      return t;
    });
    executor.setRemoveOnCancelPolicy(true);
  }

  /** Resumes a download a previous run left ({@link #resumeAfterRestart}) and starts the periodic {@link #tick}. */
  public void start() {
    resumeAfterRestart();
    executor.scheduleWithFixedDelay(() -> run("tick", this::doTick), settings.tickIntervalMs(),
        settings.tickIntervalMs(), TimeUnit.MILLISECONDS);
  }

  /**
   * Picks up downloads saved by a previous run ({@code downloads/*.manifest} and their progress):
   * each manifest is verified again against the device as it is now; the newest applicable one
   * resumes, requesting only the blocks still missing; the others are deleted.
   *
   * @return completes when the resume has been started
   */
  public CompletableFuture<Void> resumeAfterRestart() {
    return call("resume", () -> {
      doResume();
      return null;
    });
  }

  /**
   * A manifest arrived on {@code fwi/v1/profile/{profile}/manifest} or
   * {@code fwi/v1/dev/{deviceId}/manifest}. An empty payload (a cleared retained message) is ignored.
   *
   * @param topic where it came from, for logs
   */
  public void onManifest(String topic, byte[] payload) {
    byte[] copy = payload.clone();
    submit("manifest", () -> handleManifest(topic, copy));
  }

  /** A {@code BlockResponse} arrived on {@code fwi/v1/dev/{deviceId}/ota/block}. */
  public void onBlock(byte[] payload) {
    byte[] copy = payload.clone();
    submit("block", () -> handleBlock(copy));
  }

  /** Checks timeouts, retries, the progress report and the health window now ({@link #start} does this periodically). */
  public void tick() {
    submit("tick", this::doTick);
  }

  /**
   * Operator command: makes the previous model ({@link ModelStore#previous()}) serve again after
   * loading and smoke-testing it; the model rolled back from is not installed again from a
   * manifest. Reported as ROLLED_BACK, reason OPERATOR_REQUEST, detail {@code operator request: <why>}.
   *
   * @return the model serving now; fails with {@link IllegalStateException} if there is no active
   *     or no previous model, or with {@link OtaException} if the previous model fails its smoke
   *     test (the current model keeps serving)
   */
  public CompletableFuture<ModelInfo> rollback(String why) {
    return call("rollback", () -> {
      ModelInfo bad = host.active()
          .orElseThrow(() -> new IllegalStateException("no model is active; nothing to roll back"));
      return rollBack(bad, OtaReason.OTA_REASON_OPERATOR_REQUEST_VALUE, "operator request: " + why);
    });
  }

  /**
   * The outcome of one inference, from the host; cheap, any thread. Feeds the health window of a
   * newly activated model (and the latency baseline of the model before it).
   */
  public void recordInference(ModelInfo model, long latencyNanos, boolean ok) {
    health.record(model, latencyNanos, ok).ifPresent(f -> submit("health rollback", () -> healthRollback(f)));
  }

  /** The last status reported, for the local page. */
  public Optional<OtaStatus> lastStatus() {
    return last;
  }

  /** Completes once everything queued before it has run (tests use it instead of sleeping). */
  CompletableFuture<Void> sync() {
    return call("sync", () -> null);
  }

  /**
   * Stops the client: queued work finishes (a running smoke test too), periodic ticks stop, the
   * download in progress stays on disk for {@link #resumeAfterRestart}.
   */
  @Override
  public void close() {
    executor.shutdown();
    try {
      if (!executor.awaitTermination(60, TimeUnit.SECONDS)) {
        LOG.warn("OTA client did not stop within 60 s");
        return;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    if (update != null && update.download != null) {
      try {
        update.download.close();
      } catch (IOException e) {
        LOG.warnf("closing the download of %s failed: %s", update.target.map(ModelInfo::label).orElse("?"), e);
      }
    }
  }

  // ---- manifests ----

  private void handleManifest(String topic, byte[] payload) {
    if (payload.length == 0) {
      LOG.debugf("retained manifest on %s was cleared", topic);
      return;
    }
    String key = manifestKey(payload);
    if (update != null && update.key.equals(key)) {
      return;
    }
    Boolean retriable = seen.get(seenKey(key, host.active()));
    if (retriable != null && !retriable) {
      LOG.debugf("manifest on %s was handled before; ignored", topic);
      return;
    }
    ManifestVerifier.Verdict verdict = verifier.verify(payload, deviceState());
    if (verdict instanceof ManifestVerifier.Rejection r) {
      Optional<ModelInfo> model = r.body().map(ManifestVerifier::model);
      if (model.isPresent() && (isActive(model.get()) || isRunning(model.get()))) {
        seen.put(seenKey(key, host.active()), false);
        return;
      }
      reject(new Update(key, r.body(), model, host.active()), r.reasonValue(), r.detail());
      return;
    }
    ManifestVerifier.Accepted a = (ManifestVerifier.Accepted) verdict;
    if (isRunning(a.model())) {
      return;
    }
    if (!a.body().getRollback() && store.wasRolledBack(a.model())) {
      reject(new Update(key, Optional.of(a.body()), Optional.of(a.model()), host.active()), OtaReasons.MODEL_ROLLED_BACK,
          "model " + a.model().label() + " (sha256 " + a.model().sha256Hex() + ") was rolled back on this device and "
              + "is not installed again; publish a new build or a signed rollback");
      return;
    }
    if (update != null) {
      ManifestBody running = update.body.orElseThrow();
      if (!a.body().getRollback() && a.body().getVersion() <= running.getVersion()) {
        LOG.infof("manifest for %s on %s ignored while the newer %s downloads", a.model().label(), topic,
            update.target.map(ModelInfo::label).orElse("?"));
        return;
      }
      fail(update, OtaReason.OTA_REASON_SUPERSEDED_VALUE, "superseded by " + a.model().label()
          + (a.body().getRollback() ? " (signed rollback)" : ""));
    }
    begin(key, payload, a);
  }

  private void reject(Update u, int reason, String detail) {
    report(u, OtaState.OTA_STATE_MANIFEST_RECEIVED, 0, "");
    report(u, OtaState.OTA_STATE_REJECTED, reason, detail);
    // Disk may be freed meanwhile: a redelivery checks again. The other checks give the same answer
    // until the active model changes, which the key of `seen` includes.
    remember(u, reason == OtaReason.OTA_REASON_INSUFFICIENT_DISK_VALUE);
  }

  private void begin(String key, byte[] payload, ManifestVerifier.Accepted a) {
    Update u = new Update(key, Optional.of(a.body()), Optional.of(a.model()), host.active());
    update = u;
    report(u, OtaState.OTA_STATE_MANIFEST_RECEIVED, 0, "");
    Optional<Path> kept = store.installedFile(a.model());
    if (kept.isPresent() && intact(kept.get(), a.model())) {
      // A kept previous model (a signed rollback) or a file a crash left installed: no download needed.
      u.receivedBytes = u.total();
      report(u, OtaState.OTA_STATE_DOWNLOADING, 0, "model file already in the store");
      report(u, OtaState.OTA_STATE_VERIFYING, 0, "");
      holdIfInjected(u, OtaState.OTA_STATE_VERIFYING);
      report(u, OtaState.OTA_STATE_INSTALLING, 0, "");
      holdIfInjected(u, OtaState.OTA_STATE_INSTALLING);
      install(u, kept.get());
      return;
    }
    try {
      u.download = Download.start(store.downloadsDirectory(), a.body(), payload);
    } catch (IOException e) {
      fail(u, OtaReason.OTA_REASON_STORAGE_ERROR_VALUE, "cannot start the download in " + store.downloadsDirectory()
          + ": " + e);
      return;
    }
    u.attempt = u.download.attempt();
    u.fetcher = new BlockFetcher(u.download, settings);
    report(u, OtaState.OTA_STATE_DOWNLOADING, 0, u.download.receivedBytes() > 0 ? "resuming" : "");
    if (u.download.complete()) {
      finishDownload(u);
      return;
    }
    pump(u);
  }

  // ---- download ----

  private void handleBlock(byte[] payload) {
    BlockResponse r;
    try {
      r = BlockResponse.parseFrom(payload);
    } catch (InvalidProtocolBufferException e) {
      LOG.warnf("block response of %d bytes is not a BlockResponse (%s); ignored", payload.length, e.getMessage());
      return;
    }
    Update u = update;
    if (u == null || u.fetcher == null) {
      LOG.debugf("block response %s arrived with no download running; ignored", r.getRequestId());
      return;
    }
    try {
      Download.Outcome o = u.fetcher.onResponse(r, clock.millis());
      if (o.kind() == Download.Kind.STORED && u.download.complete()) {
        finishDownload(u);
        return;
      }
    } catch (OtaException e) {
      fail(u, e.reasonValue(), e.detail());
      return;
    } catch (IOException e) {
      fail(u, OtaReason.OTA_REASON_STORAGE_ERROR_VALUE, "writing block " + r.getBlockIndex() + " failed: " + e);
      return;
    }
    pump(u);
  }

  private void pump(Update u) {
    try {
      u.fetcher.pump(transport, clock.millis());
    } catch (OtaException e) {
      fail(u, e.reasonValue(), e.detail());
    }
  }

  private void doTick() {
    long now = clock.millis();
    Update u = update;
    if (u != null && u.fetcher != null) {
      u.fetcher.expire(now);
      pump(u);
      if (update == u && now - u.lastReportMs >= settings.progressIntervalMs()) {
        report(u, OtaState.OTA_STATE_DOWNLOADING, 0, u.fetcher.offline() ? "offline; waiting for the connection" : "");
      }
    }
    health.poll(now).ifPresent(this::healthRollback);
  }

  private void doResume() {
    List<Download.Pending> pending;
    try {
      pending = Download.pending(store.downloadsDirectory());
    } catch (IOException e) {
      LOG.warnf("cannot list downloads in %s: %s", store.downloadsDirectory(), e);
      return;
    }
    record Candidate(Download.Pending pending, ManifestVerifier.Accepted accepted) {
    }
    List<Candidate> resumable = new java.util.ArrayList<>();
    for (Download.Pending p : pending) {
      if (update != null && update.target.map(m -> m.sha256Hex().equals(p.shaHex())).orElse(false)) {
        continue;
      }
      ManifestVerifier.Verdict v = verifier.verify(p.signedManifest(), deviceState());
      if (v instanceof ManifestVerifier.Accepted a && a.model().sha256Hex().equals(p.shaHex())
          && (a.body().getRollback() || !store.wasRolledBack(a.model()))) {
        resumable.add(new Candidate(p, a));
      } else {
        String why = v instanceof ManifestVerifier.Rejection r ? OtaReasons.name(r.reasonValue()) + ": " + r.detail()
            : "its manifest is for another file";
        LOG.infof("abandoning the saved download %s: %s", p.shaHex(), why);
        deleteQuietly(p.shaHex());
      }
    }
    resumable.sort(Comparator.comparing((Candidate c) -> c.accepted().body().getRollback())
        .thenComparingLong(c -> c.accepted().body().getVersion()).reversed());
    for (Candidate c : resumable) {
      if (update == null) {
        LOG.infof("resuming the download of %s", c.accepted().model().label());
        begin(manifestKey(c.pending().signedManifest()), c.pending().signedManifest(), c.accepted());
      } else {
        deleteQuietly(c.pending().shaHex());
      }
    }
  }

  // ---- verify, install, smoke test, activate ----

  private void finishDownload(Update u) {
    report(u, OtaState.OTA_STATE_VERIFYING, 0, "");
    Path part;
    try {
      part = u.download.verify();
      u.download.close();
    } catch (OtaException e) {
      fail(u, e.reasonValue(), e.detail());
      return;
    } catch (IOException e) {
      fail(u, OtaReason.OTA_REASON_STORAGE_ERROR_VALUE, "verifying the downloaded file failed: " + e);
      return;
    }
    holdIfInjected(u, OtaState.OTA_STATE_VERIFYING);
    report(u, OtaState.OTA_STATE_INSTALLING, 0, "");
    ModelInfo target = u.target.orElseThrow();
    Path installed;
    try {
      installed = store.install(part, target);
      Download.deleteFiles(store.downloadsDirectory(), target.sha256Hex());
    } catch (IOException e) {
      deleteQuietly(target.sha256Hex());
      end(u, OtaState.OTA_STATE_ROLLED_BACK, OtaReason.OTA_REASON_STORAGE_ERROR_VALUE,
          "moving the model into the store failed: " + e);
      return;
    }
    holdIfInjected(u, OtaState.OTA_STATE_INSTALLING);
    install(u, installed);
  }

  /**
   * Fault injection ({@link OtaSettings#faultHoldIn()}): pauses the OTA thread in {@code state} if
   * so configured, logging it first, so a crash test can kill the agent exactly here. Interrupted
   * (only by {@link #simulateCrash()}), the update goes no further.
   */
  private void holdIfInjected(Update u, OtaState state) {
    if (!settings.faultHoldIn().equals(Optional.of(state))) {
      return;
    }
    String model = u.target.map(ModelInfo::label).orElse("?");
    String name = state.name().replace("OTA_STATE_", "");
    LOG.warnf("OTA fault injection: holding %s in %s for %d ms (fwi.ota.fault-injection.hold-in)", model, name,
        settings.faultHoldMs());
    heldIn = Optional.of(state);
    try {
      Thread.sleep(settings.faultHoldMs());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancellationException("OTA thread interrupted while " + model + " was held in " + name);
    } finally {
      heldIn = Optional.empty();
    }
    LOG.infof("OTA fault injection: %s released from %s", model, name);
  }

  /** The state a fault-injection pause holds the running update in right now, if any. */
  Optional<OtaState> heldIn() {
    return heldIn;
  }

  /**
   * Test seam: stops as a killed process would. The OTA thread is interrupted (a fault-injection
   * pause ends there, without the steps after it), nothing is closed or cleaned up, and no status is
   * reported: what is on disk is what a SIGKILL at that moment would leave.
   */
  void simulateCrash() throws InterruptedException {
    executor.shutdownNow();
    if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the OTA thread did not stop within 30 s of the simulated crash");
    }
  }

  private void install(Update u, Path file) {
    ModelInfo target = u.target.orElseThrow();
    ModelRunner runner;
    try {
      runner = smokeTest.load(Files.readAllBytes(file), target.label());
    } catch (OtaException e) {
      discard(u, e.reasonValue(), e.detail());
      return;
    } catch (IOException e) {
      end(u, OtaState.OTA_STATE_ROLLED_BACK, OtaReason.OTA_REASON_STORAGE_ERROR_VALUE, "reading " + file + " failed: " + e);
      return;
    }
    report(u, OtaState.OTA_STATE_SMOKE_TESTING, 0, "");
    try {
      u.smokeNanos = smokeTest.check(runner, u.body);
    } catch (OtaException | RuntimeException e) {
      runner.close();
      if (e instanceof OtaException o) {
        discard(u, o.reasonValue(), o.detail());
        return;
      }
      throw (RuntimeException) e;
    }
    Optional<ModelInfo> before = host.active();
    try {
      store.activate(target);
    } catch (IOException e) {
      runner.close();
      end(u, OtaState.OTA_STATE_ROLLED_BACK, OtaReason.OTA_REASON_STORAGE_ERROR_VALUE,
          "recording " + target.label() + " as active failed: " + e);
      return;
    }
    health.arm(target, clock.millis()); // before the swap, so the first inferences of the new model count
    try {
      host.activate(runner, target);
    } catch (RuntimeException e) {
      LOG.errorf(e, "the host refused %s after its smoke test passed", target.label());
      before.ifPresent(health::follow);
      before.ifPresent(b -> {
        try {
          store.activate(b);
        } catch (IOException | RuntimeException e2) {
          LOG.errorf("restoring %s as the store's active model failed: %s", b.label(), e2);
        }
      });
      end(u, OtaState.OTA_STATE_ROLLED_BACK, OtaReason.OTA_REASON_UNSPECIFIED_VALUE,
          "the agent could not switch to the model: " + e.getMessage());
      return;
    }
    end(u, OtaState.OTA_STATE_ACTIVE, 0, "");
  }

  /** The candidate failed to load or its smoke test: remember it as rolled back, drop its file. */
  private void discard(Update u, int reason, String detail) {
    try {
      store.discard(u.target.orElseThrow());
    } catch (IOException e) {
      LOG.warnf("recording %s as rolled back failed: %s", u.target.orElseThrow().label(), e);
    }
    end(u, OtaState.OTA_STATE_ROLLED_BACK, reason, detail);
  }

  // ---- rollback ----

  private void healthRollback(HealthWatch.Failure f) {
    if (!host.active().map(f.model()::equals).orElse(false)) {
      return;
    }
    try {
      rollBack(f.model(), OtaReason.OTA_REASON_HEALTH_CHECK_FAILED_VALUE, f.detail());
    } catch (OtaException | RuntimeException e) {
      LOG.errorf("%s failed its health check (%s) but cannot be rolled back: %s", f.model().label(), f.detail(),
          e.getMessage());
    }
  }

  /** Makes the previous model serve again after smoke-testing it; returns it. */
  private ModelInfo rollBack(ModelInfo bad, int reason, String detail) throws OtaException {
    ModelInfo previous = store.previous().orElseThrow(() -> new IllegalStateException(
        "no previous model to roll back to from " + bad.label() + "; history: " + store.history()));
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(store.file(previous));
    } catch (IOException e) {
      throw new OtaException(OtaReason.OTA_REASON_STORAGE_ERROR, "reading " + store.file(previous) + " failed: " + e);
    }
    String actual = DurableFiles.hex(DurableFiles.sha256(bytes));
    if (!actual.equals(previous.sha256Hex())) {
      throw new OtaException(OtaReason.OTA_REASON_SHA256_MISMATCH, "previous model " + previous.label()
          + " sha256 must be " + previous.sha256Hex() + ", but its file has " + actual);
    }
    SmokeTest.Passed passed = smokeTest.run(bytes, previous.label(), Optional.empty());
    try {
      store.rollBack(previous);
    } catch (IOException | RuntimeException e) {
      passed.runner().close();
      throw new OtaException(OtaReason.OTA_REASON_STORAGE_ERROR, "recording the rollback to " + previous.label()
          + " failed: " + e);
    }
    host.activate(passed.runner(), previous);
    health.follow(previous);
    Update u = new Update("rollback", Optional.empty(), Optional.of(bad), Optional.of(previous));
    u.smokeNanos = passed.medianLatencyNanos();
    report(u, OtaState.OTA_STATE_ROLLED_BACK, reason, detail + "; " + bad.label() + " -> " + previous.label());
    return previous;
  }

  // ---- ending an update ----

  /** Ends the running update in FAILED; a retry on redelivery is allowed for DOWNLOAD_TIMEOUT and STORAGE_ERROR. */
  private void fail(Update u, int reason, String detail) {
    boolean retriable = reason == OtaReason.OTA_REASON_DOWNLOAD_TIMEOUT_VALUE
        || reason == OtaReason.OTA_REASON_STORAGE_ERROR_VALUE;
    if (u.download != null) {
      try {
        if (retriable) {
          u.download.close(); // keep the progress: the retry resumes
        } else {
          u.download.delete();
        }
      } catch (IOException e) {
        LOG.warnf("cleaning up the download of %s failed: %s", u.target.map(ModelInfo::label).orElse("?"), e);
      }
    }
    report(u, OtaState.OTA_STATE_FAILED, reason, detail);
    remember(u, retriable);
    if (update == u) {
      update = null;
    }
  }

  private void end(Update u, OtaState state, int reason, String detail) {
    report(u, state, reason, detail);
    remember(u, false);
    if (update == u) {
      update = null;
    }
  }

  /** Remembers how the manifest of {@code u} ended, for the model active when it arrived. */
  private void remember(Update u, boolean retriable) {
    seen.put(seenKey(u.key, u.from), retriable);
  }

  /** A handled manifest is looked at again only if the active model changed since (version rules depend on it). */
  private static String seenKey(String manifestKey, Optional<ModelInfo> active) {
    return manifestKey + "/" + active.map(ModelInfo::sha256Hex).orElse("none");
  }

  // ---- status ----

  private void report(Update u, OtaState state, int reason, String detail) {
    long now = clock.millis();
    if (u.state != state) {
      u.state = state;
      u.enteredMs = now;
    }
    u.lastReportMs = now;
    OtaStatus.Builder b = OtaStatus.newBuilder()
        .setState(state)
        .setReasonValue(reason)
        .setDetail(detail)
        .setStateEnteredUnixMs(u.enteredMs)
        .setRollback(u.rollback())
        .setReceivedBytes(u.received())
        .setTotalBytes(u.total())
        .setAttemptCount(u.attempt)
        .setSmokeTestLatencyUs(u.smokeNanos / 1_000);
    u.from.ifPresent(m -> b.setFromModel(ref(m)));
    u.target.ifPresent(m -> b.setToModel(ref(m)));
    OtaStatus status = b.build();
    last = Optional.of(status);
    if (reason != 0) {
      LOG.warnf("OTA %s -> %s: %s: %s", u.target.map(ModelInfo::label).orElse("?"), state.name(),
          OtaReasons.name(reason), detail);
    } else {
      LOG.debugf("OTA %s -> %s (%d/%d bytes) %s", u.target.map(ModelInfo::label).orElse("?"), state.name(),
          u.received(), u.total(), detail);
    }
    try {
      transport.status(status.toBuilder());
    } catch (RuntimeException e) {
      LOG.warnf(e, "publishing the OTA status %s failed", state.name());
    }
  }

  static ModelRef ref(ModelInfo m) {
    return ModelRef.newBuilder()
        .setModelId(m.modelId())
        .setVersion(m.version())
        .setSha256(ByteString.copyFrom(DurableFiles.unhex(m.sha256Hex())))
        .build();
  }

  // ---- helpers ----

  private ManifestVerifier.DeviceState deviceState() {
    long free;
    try {
      free = store.usableBytes();
    } catch (IOException e) {
      LOG.warnf("cannot read the free space of %s: %s", store.directory(), e);
      free = 0;
    }
    return new ManifestVerifier.DeviceState(host.active(), host.activeInput(), host.activeOutput(), free);
  }

  /** Identity of a manifest: the digest of its signed body (the envelope's header changes on every publish). */
  private static String manifestKey(byte[] payload) {
    try {
      return DurableFiles.hex(DurableFiles.sha256(SignedManifest.parseFrom(payload).getBody().toByteArray()));
    } catch (InvalidProtocolBufferException e) {
      return DurableFiles.hex(DurableFiles.sha256(payload));
    }
  }

  private boolean isActive(ModelInfo m) {
    return host.active().map(a -> a.sha256Hex().equals(m.sha256Hex()) && a.version() == m.version()).orElse(false);
  }

  private boolean isRunning(ModelInfo m) {
    return update != null && update.target.map(t -> t.sha256Hex().equals(m.sha256Hex())).orElse(false);
  }

  private boolean intact(Path file, ModelInfo m) {
    try {
      if (DurableFiles.hex(DurableFiles.sha256(file)).equals(m.sha256Hex())) {
        return true;
      }
      LOG.warnf("%s does not match its name's sha256; deleting it and downloading again", file);
      Files.deleteIfExists(file);
    } catch (IOException e) {
      LOG.warnf("cannot check %s: %s", file, e);
    }
    return false;
  }

  private void deleteQuietly(String shaHex) {
    try {
      Download.deleteFiles(store.downloadsDirectory(), shaHex);
    } catch (IOException e) {
      LOG.warnf("deleting the download files of %s failed: %s", shaHex, e);
    }
  }

  private interface Work<T> {
    T run() throws Exception;
  }

  private void submit(String what, Runnable task) {
    try {
      executor.execute(() -> run(what, task));
    } catch (RejectedExecutionException e) {
      LOG.debugf("OTA client is closed; dropped %s", what);
    }
  }

  private static void run(String what, Runnable task) {
    try {
      task.run();
    } catch (RuntimeException e) {
      LOG.errorf(e, "OTA %s failed unexpectedly", what);
    }
  }

  private <T> CompletableFuture<T> call(String what, Work<T> work) {
    CompletableFuture<T> f = new CompletableFuture<>();
    try {
      executor.execute(() -> {
        try {
          f.complete(work.run());
        } catch (Exception e) {
          LOG.debugf("OTA %s failed: %s", what, e.getMessage());
          f.completeExceptionally(e);
        }
      });
    } catch (RejectedExecutionException e) {
      f.completeExceptionally(new IllegalStateException("OTA client is closed; cannot " + what, e));
    }
    return f;
  }
}
