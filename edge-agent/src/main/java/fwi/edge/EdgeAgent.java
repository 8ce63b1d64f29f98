package fwi.edge;

import fwi.edge.inference.Inference;
import fwi.edge.inference.InferenceService;
import fwi.edge.inference.ModelInfo;
import fwi.edge.inference.WindowReport;
import fwi.edge.ota.ModelHost;
import fwi.edge.ota.ModelStore;
import fwi.edge.ota.OtaClient;
import fwi.edge.ota.OtaConfig;
import fwi.edge.ota.OtaSettings;
import fwi.edge.ota.OtaTransport;
import fwi.edge.ota.TrustedKeys;
import fwi.edge.publish.MqttConfig;
import fwi.edge.publish.MqttPublisher;
import fwi.edge.publish.Stream;
import fwi.edge.telemetry.Capabilities;
import fwi.edge.telemetry.ReportConfig;
import fwi.edge.telemetry.Reports;
import fwi.edge.web.AgentStatus;
import fwi.proto.v1.Birth;
import fwi.proto.v1.BlockRequest;
import fwi.proto.v1.DeviceCapabilities;
import fwi.proto.v1.OtaStatus;
import fwi.proto.v1.VelocityEncoding;
import fwi.runtime.ort.InferenceException;
import fwi.runtime.ort.ModelLoadException;
import fwi.runtime.ort.ModelRunner;
import fwi.runtime.ort.TensorSpec;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Wires the agent together at start-up: the model store's active model into inference, the MQTT
 * publisher (birth, death, telemetry, results, OTA status), the OTA client on the manifest and block
 * topics, and the telemetry clock. Every setting is checked first, so a bad one stops the agent
 * before it connects, naming the key and the value.
 *
 * <p>Shutdown order: the telemetry clock stops, the last window is published, the OTA client stops,
 * then the publisher sends its own Death (SHUTDOWN) and flushes, and only then inference closes.
 */
@ApplicationScoped
public class EdgeAgent implements AgentStatus {
  private static final Logger LOG = Logger.getLogger(EdgeAgent.class);

  private final AgentIdentity identity;
  private final InferenceService inferenceService;
  private final OtaConfig otaConfig;
  private final MqttConfig mqttConfig;
  private final ReportConfig reportConfig;
  private final String agentVersion;
  private final OtaSettings otaSettings;
  private final TrustedKeys keys;
  private final VelocityEncoding encoding;
  private final long startedUnixMs = System.currentTimeMillis();
  private final AtomicLong droppedReported = new AtomicLong();

  private ModelStore store;
  private MqttPublisher publisher;
  private OtaClient ota;
  private ScheduledExecutorService clock;
  private DeviceCapabilities capabilities;

  EdgeAgent(AgentIdentity identity, InferenceService inferenceService, OtaConfig otaConfig, MqttConfig mqttConfig,
      ReportConfig reportConfig, @ConfigProperty(name = "quarkus.application.version", defaultValue = "0.1.0")
      String agentVersion) {
    this.identity = identity;
    this.inferenceService = inferenceService;
    this.otaConfig = otaConfig;
    this.mqttConfig = mqttConfig;
    this.reportConfig = reportConfig;
    this.agentVersion = agentVersion;
    // Check everything before anything starts.
    this.otaSettings = otaConfig.settings();
    this.keys = otaConfig.keys();
    this.encoding = encoding(reportConfig.resultEncoding());
    if (reportConfig.telemetryIntervalMs() < 100) {
      throw new IllegalArgumentException("fwi.report.telemetry-interval-ms must be at least 100, but was "
          + reportConfig.telemetryIntervalMs());
    }
    mqttConfig.settings(identity.deviceId(), outboxDir());
  }

  static VelocityEncoding encoding(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "float16" -> VelocityEncoding.VELOCITY_ENCODING_FLOAT16;
      case "uint16" -> VelocityEncoding.VELOCITY_ENCODING_UINT16_SCALED;
      case "float32" -> VelocityEncoding.VELOCITY_ENCODING_FLOAT32;
      case "none" -> VelocityEncoding.VELOCITY_ENCODING_UNSPECIFIED;
      default -> throw new IllegalArgumentException("fwi.report.result-encoding must be float16, uint16, float32 or none,"
          + " but was '" + name + "'");
    };
  }

  private Path outboxDir() {
    return otaConfig.modelDir().resolve("outbox");
  }

  void start(@Observes StartupEvent e) throws IOException {
    Inference inference = inferenceService.inference();
    store = ModelStore.open(otaConfig.modelDir(), otaSettings.keepPrevious());
    if (store.active().isEmpty() && otaConfig.bootstrapFile().isPresent()) {
      Path f = otaConfig.bootstrapFile().get();
      String id = otaConfig.bootstrapId().orElse(f.getFileName().toString().replaceFirst("\\.onnx$", ""));
      ModelInfo m = store.importBootstrap(f, id, otaConfig.bootstrapVersion());
      LOG.infof("installed bootstrap model %s from %s", m.label(), f);
    }
    loadActive(inference);
    capabilities = Capabilities.measure(otaConfig.modelDir(), otaSettings.maxBlockSizeBytes(), keys.keyIds());
    publisher = new MqttPublisher(mqttConfig.settings(identity.deviceId(), outboxDir()), this::birth);
    ota = new OtaClient(otaSettings, identity.deviceId(), identity.profile(), keys, inferenceService.runnerOptions(),
        store, new Host(inference), new Transport(), Clock.systemUTC());
    inference.addListener(new Inference.Listener() {
      @Override
      public void onResult(Inference.Outcome o) {
        ota.recordInference(o.model(), o.inferenceNanos(), true);
        publisher.publish(Stream.RESULT, h -> Reports.result(o, encoding).setHeader(h).build());
      }

      @Override
      public void onFailure(ModelInfo model, String inputId, Exception error) {
        ota.recordInference(model, 0, false);
      }

      @Override
      public void onSwap(Optional<ModelInfo> previous, ModelInfo next, WindowReport closed) {
        if (previous.isPresent()) {
          publishTelemetry(closed);
        }
        publisher.republishBirth();
      }
    });
    String profileTopic = "fwi/v1/profile/" + identity.profile() + "/manifest";
    publisher.subscribe(profileTopic, ota::onManifest);
    publisher.subscribe(publisher.topics().manifest(), ota::onManifest);
    publisher.subscribe(publisher.topics().otaBlock(), (topic, payload) -> ota.onBlock(payload));
    publisher.start();
    ota.start();
    clock = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "fwi-telemetry"));
    clock.scheduleAtFixedRate(() -> publishTelemetry(inference.cutWindow()), reportConfig.telemetryIntervalMs(),
        reportConfig.telemetryIntervalMs(), TimeUnit.MILLISECONDS);
    LOG.infof("agent %s (%s) started: model %s, broker %s", identity.deviceId(), identity.profile(),
        inference.model().map(ModelInfo::label).orElse("none (waiting for OTA)"), mqttConfig.brokerUrl());
  }

  /** Loads the store's active model; a file ONNX Runtime refuses leaves the agent waiting for OTA. */
  private void loadActive(Inference inference) {
    Optional<ModelInfo> active = store.active();
    Optional<Path> file = store.activeFile();
    if (active.isEmpty() || file.isEmpty()) {
      LOG.warn("no model in the store yet: inference waits for an over-the-air update");
      return;
    }
    try {
      ModelRunner runner = ModelRunner.open(file.get(), inferenceService.runnerOptions());
      warmUpOrClose(runner, active.get());
      inference.install(runner, active.get());
    } catch (IOException | ModelLoadException | InferenceException ex) {
      LOG.errorf("the stored active model %s cannot serve: %s; waiting for an over-the-air update",
          active.get().label(), ex.getMessage());
    }
  }

  private void warmUpOrClose(ModelRunner runner, ModelInfo model) throws InferenceException {
    try {
      long[] t = Inference.warmUp(runner, inferenceService.warmupRuns());
      if (t.length > 0) {
        LOG.infof("warm-up of %s: %d runs, last %.1f ms", model.label(), t.length, t[t.length - 1] / 1e6);
      }
    } catch (InferenceException | RuntimeException ex) {
      runner.close();
      throw ex;
    }
  }

  private Birth.Builder birth() {
    Birth.Builder b = Birth.newBuilder().setProfileName(identity.profile()).setAgentVersion(agentVersion)
        .setCapabilities(capabilities).setAgentStartedUnixMs(startedUnixMs);
    inferenceService.inference().model().ifPresent(m -> b.setRunningModel(Reports.ref(m)));
    return b;
  }

  private void publishTelemetry(WindowReport w) {
    try {
      long dropped = publisher.droppedCount();
      long inWindow = dropped - droppedReported.getAndSet(dropped);
      Reports.PublishFigures p = new Reports.PublishFigures(inWindow, publisher.bufferedCount());
      publisher.publish(Stream.TELEMETRY, h -> Reports.telemetry(w, p).setHeader(h).build());
    } catch (RuntimeException ex) {
      LOG.errorf(ex, "telemetry of the window starting %d not published", w.startUnixMs());
    }
  }

  /**
   * Operator's rollback to the previous model.
   *
   * @return completes with the model serving afterwards; fails if there is no previous model or it fails its smoke test
   */
  public CompletableFuture<ModelInfo> rollback(String why) {
    return ota.rollback(why);
  }

  void stop(@Observes @Priority(1) ShutdownEvent e) {
    if (clock != null) {
      clock.shutdownNow();
    }
    if (ota != null) {
      ota.close();
    }
    if (publisher != null) {
      publishTelemetry(inferenceService.inference().cutWindow());
      publisher.close();
    }
  }

  @Override
  public boolean brokerConnected() {
    return publisher != null && publisher.connected();
  }

  @Override
  public long publishBuffered() {
    return publisher == null ? 0 : publisher.bufferedCount();
  }

  @Override
  public long publishDropped() {
    return publisher == null ? 0 : publisher.droppedCount();
  }

  @Override
  public long publishSent() {
    if (publisher == null) {
      return 0;
    }
    long n = 0;
    for (Stream s : Stream.values()) {
      n += publisher.sentCount(s);
    }
    return n;
  }

  @Override
  public String otaState() {
    return ota == null ? "IDLE" : ota.lastStatus().map(s -> s.getState().name().replace("OTA_STATE_", "")).orElse("IDLE");
  }

  /** Inference as the OTA client sees it: a new model is warmed up before it serves. */
  private final class Host implements ModelHost {
    private final Inference inference;

    Host(Inference inference) {
      this.inference = inference;
    }

    @Override
    public Optional<ModelInfo> active() {
      return inference.model();
    }

    @Override
    public Optional<TensorSpec> activeInput() {
      return inference.inputSpec();
    }

    @Override
    public Optional<TensorSpec> activeOutput() {
      return inference.outputSpec();
    }

    @Override
    public void activate(ModelRunner runner, ModelInfo model) {
      try {
        warmUpOrClose(runner, model);
      } catch (InferenceException ex) {
        throw new IllegalStateException("warm-up of " + model.label() + " failed: " + ex.getMessage(), ex);
      }
      inference.install(runner, model);
    }
  }

  /** OTA over the publisher: block requests are not buffered (stale ones are useless), statuses are. */
  private final class Transport implements OtaTransport {
    @Override
    public boolean requestBlock(BlockRequest.Builder request) {
      return publisher.publishNow(Stream.OTA_GET, h -> request.setHeader(h).build());
    }

    @Override
    public void status(OtaStatus.Builder status) {
      publisher.publish(Stream.OTA_STATUS, h -> status.setHeader(h).build());
    }
  }
}
