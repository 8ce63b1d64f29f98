package fwi.cloud.service;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.google.protobuf.ByteString;
import fwi.cloud.bridge.BridgeStats;
import fwi.cloud.bridge.KafkaTopics;
import fwi.cloud.bridge.MqttKafkaBridge;
import fwi.cloud.fleet.DeviceView;
import fwi.cloud.fleet.FleetFeed;
import fwi.cloud.fleet.FleetState;
import fwi.cloud.jobs.JobRunner;
import fwi.cloud.jobs.JobStore;
import fwi.cloud.model.InvalidModelException;
import fwi.cloud.model.OnnxModels;
import fwi.cloud.ota.BlockPublisher;
import fwi.cloud.ota.ManifestPublisher;
import fwi.cloud.planner.HoldRules;
import fwi.cloud.planner.Planner;
import fwi.cloud.profile.LatencyFit;
import fwi.cloud.profile.ProfileCatalog;
import fwi.cloud.profile.ProfileSpec;
import fwi.cloud.registry.ManifestSigner;
import fwi.cloud.registry.ModelRegistry;
import fwi.cloud.registry.RegisteredModel;
import fwi.cloud.registry.Registration;
import fwi.cloud.rollout.Rollout;
import fwi.proto.v1.ModelRef;
import fwi.proto.v1.PruneJob;
import fwi.proto.v1.PruneJobReport;
import fwi.proto.v1.PruneJobState;
import fwi.proto.v1.PruneMethod;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.jboss.logging.Logger;

/**
 * The fleet service's parts wired together, without a framework (so tests run it, stop it and start
 * it again on the same state): the MQTT → Kafka bridge, fleet state fed back from Kafka, the profile
 * catalog with each profile's latency model fitted from its devices' telemetry, the planner, the
 * compression jobs, the model registry with its signed manifests, the OTA block and manifest
 * publishers, and the staged rollouts; one clock thread ticks the planner and the rollouts.
 *
 * <p>The loop: a profile's p95 stays above its SLO → the planner asks for a target on the reference
 * machine → a job compresses the base model to the uniform ratio the latency table predicts meets it
 * → the model is registered (version n+1 of the profile's lineage) → a rollout targets a canary
 * stage, watches its telemetry, widens, and finally publishes profile-wide — or aborts and rolls the
 * canaries back.
 */
public final class CloudService implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(CloudService.class);
  private static final DateTimeFormatter JOB_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")
      .withZone(ZoneOffset.UTC);

  private final CloudSettings settings;
  private final FleetState fleet;
  private final Planner planner;
  private final Set<String> toMeasure = ConcurrentHashMap.newKeySet();
  private final Set<String> unmeasurable = ConcurrentHashMap.newKeySet();
  /** Per profile, the model its latest successful job made. */
  private final Map<String, HoldRules.JobModel> lastJobModel = new ConcurrentHashMap<>();
  private volatile ReferenceLatency reference;
  private volatile String referenceProblem = "not measured yet";
  private volatile String baseSha = "";
  private MqttKafkaBridge bridge;
  private FleetFeed feed;
  private ModelRegistry registry;
  private ManifestPublisher manifests;
  private BlockPublisher blocks;
  private KafkaOut kafka;
  private RolloutDriver rollouts;
  private JobStore jobStore;
  private JobRunner jobs;
  private ScheduledExecutorService clock;
  private volatile boolean started;

  public CloudService(CloudSettings settings) {
    this.settings = settings;
    this.fleet = new FleetState(settings.telemetryRetentionMs());
    this.planner = new Planner(settings.planner());
  }

  /**
   * Starts every part. Kafka or the MQTT broker may be down: the clients keep retrying and the
   * service serves what it has.
   *
   * @throws IOException if the state directory, the registry or the job store cannot be opened
   * @throws IllegalArgumentException for a bad setting, naming it
   */
  public synchronized void start() throws IOException, InvalidModelException {
    if (started) {
      return;
    }
    Files.createDirectories(settings.stateDir());
    ensureTopics();
    registry = ModelRegistry.open(settings.registryDir(), new ManifestSigner(settings.signingKeys()),
        settings.registry());
    kafka = new KafkaOut(settings.kafkaBootstrap(), settings.otaMqtt().clientId() + "-out");
    manifests = new ManifestPublisher(settings.otaMqtt().withClientId(settings.otaMqtt().clientId() + "-manifests"),
        settings.otaMqtt().clientId());
    manifests.start();
    rollouts = new RolloutDriver(registry, manifests, kafka, settings.rollout(), settings.stateDir(),
        System::currentTimeMillis);
    blocks = new BlockPublisher(registry, settings.otaMqtt().withClientId(settings.otaMqtt().clientId() + "-blocks"),
        settings.blocks(), rollouts);
    blocks.start();
    jobStore = JobStore.open(settings.stateDir().resolve("jobs"));
    jobs = new JobRunner(jobStore, settings.jobConcurrency());
    jobs.addListener(kafka::report);
    registerBase();
    fleet.addListener(this::onWindow);
    fleet.addOtaListener(rollouts::onOtaStatus);
    feed = new FleetFeed(settings.kafkaBootstrap(), fleet);
    feed.start();
    if (settings.bridge().isPresent()) {
      bridge = new MqttKafkaBridge(settings.bridge().get());
      bridge.start();
    }
    clock = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "fwi-fleet-clock"));
    clock.scheduleWithFixedDelay(this::tick, settings.tickMs(), settings.tickMs(), TimeUnit.MILLISECONDS);
    started = true;
    LOG.infof("fleet service started: Kafka %s, MQTT %s, bridge %s, %d profiles, registry %s, state in %s",
        settings.kafkaBootstrap(), settings.mqttUrl(), bridge == null ? "off" : "on", settings.profiles().all().size(),
        settings.registryDir(), settings.stateDir());
  }

  private void ensureTopics() {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, settings.kafkaBootstrap(),
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000, AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000))) {
      Set<String> created = KafkaTopics.ensure(admin, KafkaTopics.defaults(settings.topicPartitions(),
          settings.topicReplicationFactor()), Duration.ofSeconds(15));
      if (!created.isEmpty()) {
        LOG.infof("created Kafka topics %s", created);
      }
    } catch (RuntimeException e) {
      LOG.warnf("Kafka topics not checked (%s); the clients keep retrying, and the brokers' auto-creation or an "
          + "operator must create them", e.getMessage());
    }
  }

  /**
   * Registers the base model as the first version of every profile without a model, and measures
   * its latency table in the background. A base model other than the one of the last start is a
   * new base model: every profile gets a compression job.
   */
  private void registerBase() throws IOException, InvalidModelException {
    if (settings.baseModel().isEmpty()) {
      referenceProblem = "no base model configured (fwi.compression.base-model)";
      return;
    }
    Path base = settings.baseModel().get();
    byte[] bytes = Files.readAllBytes(base);
    String sha = OnnxModels.sha256(bytes);
    baseSha = sha;
    Path shaFile = settings.stateDir().resolve("base-model.sha256");
    String previous = Files.exists(shaFile) ? Files.readString(shaFile, StandardCharsets.UTF_8).trim() : "";
    for (ProfileSpec p : settings.profiles().all()) {
      if (registry.latest(p.name()).isEmpty()) {
        RegisteredModel m = registry.register(p.name(), bytes, base.toString(), Registration.none());
        LOG.infof("base model %s registered for profile %s as %s", base, p.name(), m.modelId());
      }
      if (rollouts.current(p.name()) == 0) {
        rollouts.setCurrent(p.name(), registry.latest(p.name()).orElseThrow().version());
      }
    }
    Files.writeString(shaFile, sha + "\n", StandardCharsets.UTF_8);
    boolean newBase = !previous.isEmpty() && !previous.equals(sha);
    Thread t = new Thread(() -> {
      try {
        reference = ReferenceLatency.forBase(base, settings.latencyTable(), settings.stateDir().resolve("latency"),
            settings.tableThreads());
        referenceProblem = "";
        if (newBase) {
          for (ProfileSpec p : settings.profiles().all()) {
            submit(planner.request(p, Planner.Trigger.NEW_BASE_MODEL, latency(p), fit(p),
                "new base model " + base.getFileName() + " (" + sha.substring(0, 12) + ")"));
          }
        }
      } catch (Exception e) {
        referenceProblem = "latency table of " + base + ": " + e.getMessage();
        LOG.errorf(e, "no reference latency table: compression jobs cannot plan (%s)", e.getMessage());
      }
    }, "fwi-latency-table");
    t.setDaemon(true);
    t.start();
  }

  private Optional<FleetState.ProfileLatency> latency(ProfileSpec p) {
    return fleet.profileLatency(p.name(), System.currentTimeMillis());
  }

  private LatencyFit.Estimate fit(ProfileSpec p) {
    return settings.profiles().fit(p.name()).estimate();
  }

  private void onWindow(String profile, FleetState.Window w) {
    rollouts.onWindow(profile, w);
    ReferenceLatency ref = reference;
    if (ref == null || settings.profiles().get(profile).isEmpty()) {
      return;
    }
    Optional<Double> ms = ref.known(w.modelSha256Hex());
    if (ms.isPresent()) {
      if (ms.get() > 0 && w.p95Us() > 0) {
        settings.profiles().fit(profile).observe(w.modelSha256Hex(), ms.get(), w.p95Us() / 1000.0);
      }
    } else if (!unmeasurable.contains(w.modelSha256Hex())) {
      toMeasure.add(w.modelSha256Hex()); // on the clock's thread, not the Kafka feed's
    }
  }

  private void tick() {
    try {
      long now = System.currentTimeMillis();
      fleet.expireSilent(now - settings.offlineAfterMs());
      measureNewModels();
      if (settings.plannerAutomatic() && reference != null) {
        for (ProfileSpec p : settings.profiles().all()) {
          if (rollouts.active(p.name())) {
            continue; // the rollout's gate judges the new model; a second job would race it
          }
          holdIfFastestFailed(p.name());
          Optional<Planner.Decision> d = planner.evaluate(p, latency(p), fit(p), now);
          if (d.isPresent()) {
            submit(d.get());
          }
        }
      }
      rollouts.tick();
    } catch (RuntimeException e) {
      LOG.errorf(e, "fleet clock tick failed");
    }
  }

  /** Holds SLO-triggered jobs for {@code profile} when {@link HoldRules#fastestRolledBack} says so. */
  private void holdIfFastestFailed(String profile) {
    if (planner.held(profile).isPresent()) {
      return;
    }
    HoldRules.fastestRolledBack(profile, Optional.ofNullable(lastJobModel.get(profile)), rollouts.all(),
        settings.maxRatio()).ifPresent(why -> {
          planner.hold(profile, why);
          LOG.warnf("profile %s: SLO-triggered jobs held: %s", profile, why);
        });
  }

  private void measureNewModels() {
    ReferenceLatency ref = reference;
    if (ref == null) {
      return;
    }
    for (String sha : List.copyOf(toMeasure)) {
      toMeasure.remove(sha);
      if (registry.bySha256(sha).isEmpty()) {
        unmeasurable.add(sha); // not a model of this registry (a device's own bootstrap file)
        continue;
      }
      try {
        byte[] bytes = registry.store().readVerified(sha);
        ref.ms(OnnxModels.parse(bytes, "model " + sha.substring(0, 12)), sha);
      } catch (IOException | InvalidModelException e) {
        unmeasurable.add(sha);
        LOG.warnf("reference latency of model %s cannot be predicted: %s", sha, e.getMessage());
      }
    }
  }

  /** Starts a job for a planner decision; refuses when no base model or dataset is configured. */
  private PruneJob submit(Planner.Decision d) {
    ReferenceLatency ref = reference;
    if (ref == null || settings.dataset().isEmpty()) {
      planner.jobEnded(d.profile(), System.currentTimeMillis());
      throw new IllegalStateException("profile " + d.profile() + " needs a compression job (" + d.reason()
          + "), but none can run: " + (ref == null ? referenceProblem : "no dataset configured (fwi.compression.dataset)"));
    }
    ProfileSpec p = settings.profiles().get(d.profile()).orElseThrow();
    RegisteredModel base = registry.bySha256(baseSha).stream()
        .filter(m -> m.profile().equals(d.profile())).findFirst()
        .orElseGet(() -> registry.latest(d.profile()).orElseThrow());
    long now = System.currentTimeMillis();
    PruneJob job = PruneJob.newBuilder().setJobId(d.profile() + "-" + JOB_TIME.format(Instant.ofEpochMilli(now)))
        .setProfile(p.toProto())
        .setBaseModel(ModelRef.newBuilder().setModelId(base.modelId()).setVersion(base.version())
            .setSha256(ByteString.copyFrom(HexFormat.of().parseHex(base.sha256Hex()))))
        .setTargetLatencyP95Us(Math.round(d.targetProfileMs() * 1000)).setMethod(PruneMethod.PRUNE_METHOD_UNIFORM_L1)
        .setFineTuneEpochs(settings.compression().finetuneEpochs())
        .setRetrainThresholdMaeRatio(settings.compression().threshold())
        .setRetrainEpochs(settings.compression().retrainEpochs())
        .setDatasetId(settings.dataset().get().getFileName().toString())
        .setRandomSeed(settings.compression().training().seed())
        .setRequestedBy(d.trigger().name().toLowerCase() + ": " + d.reason()).setCreatedUnixMs(now).build();
    LatencyFit fitNow = settings.profiles().fit(d.profile());
    CompressionWork work = new CompressionWork(d, settings.baseModel().get(), ref,
        ms -> fitNow.estimate().predictMs(ms), settings.compression(), settings.maxRatio(), settings.dataset().get(),
        settings.split(), registry, settings.stateDir().resolve("jobs").resolve(job.getJobId()));
    try {
      kafka.job(job);
      LOG.infof("job %s started for profile %s: %s", job.getJobId(), d.profile(), d.reason());
      jobs.submit(job, work).whenComplete((report, e) -> jobEnded(job, report));
    } catch (IOException e) {
      planner.jobEnded(d.profile(), System.currentTimeMillis());
      throw new IllegalStateException("job " + job.getJobId() + " could not be stored: " + e.getMessage(), e);
    }
    return job;
  }

  private void jobEnded(PruneJob job, PruneJobReport report) {
    String profile = job.getProfile().getName();
    planner.jobEnded(profile, System.currentTimeMillis());
    if (report == null || report.getState() != PruneJobState.PRUNE_JOB_STATE_SUCCEEDED || !settings.rolloutAfterJob()) {
      return;
    }
    long version = report.getResultingModel().getVersion();
    double targetMs = job.getTargetLatencyP95Us() / 1000.0;
    double predictedMs = report.getPredictedLatencyP95Us() / 1000.0;
    lastJobModel.put(profile, new HoldRules.JobModel(job.getJobId(), version, predictedMs > targetMs, targetMs,
        predictedMs));
    Optional<String> repeat = HoldRules.repeatOfAborted(profile, job.getJobId(), version,
        job.getProfile().getLatencyP95SloUs() / 1000.0, rollouts.all());
    if (repeat.isPresent()) {
      planner.hold(profile, repeat.get());
      LOG.warnf("profile %s: no rollout, SLO-triggered jobs held: %s", profile, repeat.get());
      return;
    }
    try {
      startRollout(profile, version, OptionalDouble.of(predictedMs));
    } catch (RuntimeException e) {
      LOG.warnf("job %s registered version %d of %s, but no rollout started: %s", job.getJobId(),
          report.getResultingModel().getVersion(), profile, e.getMessage());
    }
  }

  /**
   * Rolls version {@code version} of {@code profile} out to the profile's online devices.
   *
   * @param predictedP95Ms the p95 the gates expect; empty: predicted from the profile's latency model
   * @throws IllegalArgumentException if the profile or version is unknown or the profile has no online device
   * @throws IllegalStateException if a rollout of the profile is running
   */
  public Rollout.Status startRollout(String profile, long version, OptionalDouble predictedP95Ms) {
    ProfileSpec p = settings.profiles().get(profile)
        .orElseThrow(() -> new IllegalArgumentException("unknown hardware profile '" + profile + "'"));
    RegisteredModel m = registry.model(profile, version).orElseThrow(() -> new IllegalArgumentException(
        "profile " + profile + " has no registered version " + version));
    double predicted = predictedP95Ms.isPresent() && predictedP95Ms.getAsDouble() > 0 ? predictedP95Ms.getAsDouble()
        : predict(p, m);
    List<String> devices = fleet.devices().stream().filter(d -> d.profile().equals(profile) && d.online())
        .map(DeviceView::deviceId).toList();
    if (devices.isEmpty()) {
      throw new IllegalArgumentException("profile " + profile + " has no online device to roll version " + version
          + " out to");
    }
    return rollouts.start(profile, version, predicted, p.latencyP95SloUs() / 1000.0, devices).status();
  }

  private double predict(ProfileSpec p, RegisteredModel m) {
    ReferenceLatency ref = reference;
    if (ref == null) {
      return p.latencyP95SloUs() / 1000.0; // nothing better known: the SLO itself is the gate
    }
    try {
      double ms = ref.ms(OnnxModels.parse(registry.store().readVerified(m.sha256Hex()), m.modelId()), m.sha256Hex());
      return fit(p).predictMs(ms);
    } catch (IOException | InvalidModelException e) {
      return p.latencyP95SloUs() / 1000.0;
    }
  }

  /** An operator's request for a job now. */
  public Planner.Decision requestJob(String profile, String why) {
    ProfileSpec p = settings.profiles().get(profile)
        .orElseThrow(() -> new IllegalArgumentException("unknown hardware profile '" + profile + "'"));
    Planner.Decision d = planner.request(p, Planner.Trigger.REQUEST, latency(p), fit(p), why);
    submit(d);
    return d;
  }

  /** A model an operator uploaded, and the rollout started for it, if any. */
  public record Upload(RegisteredModel model, Optional<Rollout.Status> rollout) {
  }

  /**
   * Registers an uploaded model for {@code profile} and, if asked, rolls it out in stages — or, when the
   * profile has no current model yet, publishes it profile-wide as the current one (a staged rollout
   * needs a previous version to roll back to).
   *
   * @throws InvalidModelException naming the upload if it is not a model devices could accept
   */
  public Upload registerModel(String profile, byte[] onnx, boolean rollout, OptionalDouble predictedP95Ms)
      throws IOException, InvalidModelException {
    if (settings.profiles().get(profile).isEmpty()) {
      throw new IllegalArgumentException("unknown hardware profile '" + profile + "'");
    }
    RegisteredModel m = registry.register(profile, onnx, "upload for " + profile, Registration.none());
    LOG.infof("uploaded model registered as %s (%s)", m.modelId(), m.sha256Hex());
    if (rollout && rollouts.current(profile) == 0) {
      // Nothing runs on the profile yet, so there is nothing a failed stage could roll back to: the
      // first model goes out profile-wide at once (devices still verify and smoke-test it).
      rollouts.setCurrent(profile, m.version());
      LOG.infof("profile %s had no current model: %s published profile-wide as current", profile, m.modelId());
      return new Upload(m, Optional.empty());
    }
    return new Upload(m, rollout ? Optional.of(startRollout(profile, m.version(), predictedP95Ms)) : Optional.empty());
  }

  /**
   * Makes a registered version the profile's current model and publishes its manifest profile-wide at
   * once, without stages (a profile's first model, or what a fleet already runs when the service takes
   * it over).
   *
   * @throws IllegalArgumentException if the profile has no such version
   */
  public void setCurrentVersion(String profile, long version) throws IOException {
    registry.model(profile, version).orElseThrow(() -> new IllegalArgumentException("profile " + profile
        + " has no registered version " + version));
    rollouts.setCurrent(profile, version);
  }

  public boolean started() {
    return started;
  }

  public CloudSettings settings() {
    return settings;
  }

  public ProfileCatalog catalog() {
    return settings.profiles();
  }

  public FleetState fleet() {
    return fleet;
  }

  public Planner planner() {
    return planner;
  }

  public JobStore jobStore() {
    return jobStore;
  }

  public ModelRegistry registry() {
    return registry;
  }

  public List<Rollout.Status> rollouts() {
    return rollouts.all();
  }

  public Optional<Rollout.Status> rollout(String id) {
    return rollouts.status(id);
  }

  /** Pause, resume or abort a rollout; empty if there is no such rollout. */
  public Optional<Rollout.Status> act(String id, String action, String why) {
    return rollouts.act(id, action, why);
  }

  /** The profile's current version (what its devices should run). */
  public long currentVersion(String profile) {
    return rollouts.current(profile);
  }

  public Optional<BridgeStats> bridgeStats() {
    return bridge == null ? Optional.empty() : Optional.of(bridge.stats());
  }

  public Optional<BlockPublisher.Stats> blockStats() {
    return blocks == null ? Optional.empty() : Optional.of(blocks.stats());
  }

  /** Whether the fleet state has read everything Kafka held at start. */
  public boolean caughtUp() {
    return feed != null && feed.caughtUp();
  }

  /** Why jobs cannot plan yet; empty once the reference latency table is ready. */
  public String referenceProblem() {
    return referenceProblem;
  }

  @Override
  public synchronized void close() {
    started = false;
    if (clock != null) {
      clock.shutdownNow();
    }
    if (bridge != null) {
      bridge.close();
    }
    if (feed != null) {
      feed.close();
    }
    if (jobs != null) {
      jobs.close();
    }
    if (blocks != null) {
      blocks.close();
    }
    if (rollouts != null) {
      rollouts.close(java.time.Duration.ofSeconds(5));
    }
    if (manifests != null) {
      manifests.close();
    }
    if (kafka != null) {
      kafka.close();
    }
    if (registry != null) {
      try {
        registry.close();
      } catch (IOException e) {
        LOG.warnf("closing the registry failed: %s", e.getMessage());
      }
    }
  }
}
