package fwi.edge;

import fwi.edge.inference.Inference;
import fwi.edge.inference.InferenceService;
import fwi.edge.inference.ModelInfo;
import fwi.edge.inference.WindowReport;
import fwi.edge.ota.ModelHost;
import fwi.edge.ota.ModelStore;
import fwi.edge.ota.OtaClient;
import fwi.edge.ota.OtaSettings;
import fwi.edge.ota.OtaTransport;
import fwi.edge.ota.TrustedKeys;
import fwi.edge.publish.PublisherSettings;
import fwi.edge.publish.MqttPublisher;
import fwi.edge.publish.Stream;
import fwi.edge.telemetry.Capabilities;
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
import fwi.runtime.ort.RunnerOptions;
import fwi.runtime.ort.TensorSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * One edge agent, wired: the model store's active model into inference, the MQTT publisher (birth,
 * death, telemetry, results, OTA status), the OTA client on the manifest and block topics, and the
 * telemetry clock. Plain Java so tests can run an agent, stop it and start another on the same
 * directories; {@link EdgeAgent} builds one from configuration.
 *
 * <p>{@link #close()} order: the telemetry clock stops, the OTA client stops, the last window is
 * published, then the publisher sends its own Death (SHUTDOWN) and flushes. Inference is the
 * caller's and stays open.
 */
public final class Agent implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(Agent.class);

  /** Everything an agent needs, checked. */
  public record Settings(String deviceId, String profile, String agentVersion, Path modelDir,
      Optional<Path> bootstrapFile, Optional<String> bootstrapId, long bootstrapVersion, RunnerOptions runnerOptions,
      int warmupRuns, OtaSettings ota, TrustedKeys keys, PublisherSettings mqtt, VelocityEncoding resultEncoding,
      long telemetryIntervalMs) {
  }

  private final Settings settings;
  private final Inference inference;
  private final long startedUnixMs = System.currentTimeMillis();
  private final AtomicLong droppedReported = new AtomicLong();
  private final ModelStore store;
  private final MqttPublisher publisher;
  private final OtaClient ota;
  private final DeviceCapabilities capabilities;
  private ScheduledExecutorService clock;
  private Inference.Listener listener;

  /**
   * Opens the model store (installing the bootstrap model on a fresh device), loads the active model
   * and prepares publisher and OTA client; nothing connects before {@link #start()}.
   */
  public Agent(Settings settings, Inference inference) throws IOException {
    this.settings = settings;
    this.inference = inference;
    store = ModelStore.open(settings.modelDir(), settings.ota().keepPrevious());
    if (store.active().isEmpty() && settings.bootstrapFile().isPresent()) {
      Path f = settings.bootstrapFile().get();
      String id = settings.bootstrapId().orElse(f.getFileName().toString().replaceFirst("\\.onnx$", ""));
      ModelInfo m = store.importBootstrap(f, id, settings.bootstrapVersion());
      LOG.infof("installed bootstrap model %s from %s", m.label(), f);
    }
    loadActive();
    capabilities = Capabilities.measure(settings.modelDir(), settings.ota().maxBlockSizeBytes(), settings.keys().keyIds());
    publisher = new MqttPublisher(settings.mqtt(), this::birth);
    ota = new OtaClient(settings.ota(), settings.deviceId(), settings.profile(), settings.keys(), settings.runnerOptions(),
        store, new Host(), new Transport(), Clock.systemUTC());
  }

  /** Connects (in the background), resumes an interrupted download and starts the telemetry clock. */
  public void start() {
    VelocityEncoding encoding = settings.resultEncoding();
    listener = new Inference.Listener() {
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
    };
    inference.addListener(listener);
    publisher.subscribe("fwi/v1/profile/" + settings.profile() + "/manifest", ota::onManifest);
    publisher.subscribe(publisher.topics().manifest(), ota::onManifest);
    publisher.subscribe(publisher.topics().otaBlock(), (topic, payload) -> ota.onBlock(payload));
    publisher.start();
    ota.start();
    clock = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "fwi-telemetry"));
    clock.scheduleAtFixedRate(() -> publishTelemetry(inference.cutWindow()), settings.telemetryIntervalMs(),
        settings.telemetryIntervalMs(), TimeUnit.MILLISECONDS);
    LOG.infof("agent %s (%s) started: model %s, broker %s", settings.deviceId(), settings.profile(),
        inference.model().map(ModelInfo::label).orElse("none (waiting for OTA)"), settings.mqtt().brokerUrl());
  }

  /** Loads the store's active model; a file ONNX Runtime refuses leaves the agent waiting for OTA. */
  private void loadActive() {
    Optional<ModelInfo> active = store.active();
    Optional<Path> file = store.activeFile();
    if (active.isEmpty() || file.isEmpty()) {
      LOG.warn("no model in the store yet: inference waits for an over-the-air update");
      return;
    }
    try {
      ModelRunner runner = ModelRunner.open(file.get(), settings.runnerOptions());
      warmUpOrClose(runner, active.get());
      inference.install(runner, active.get());
    } catch (IOException | ModelLoadException | InferenceException ex) {
      LOG.errorf("the stored active model %s cannot serve: %s; waiting for an over-the-air update",
          active.get().label(), ex.getMessage());
    }
  }

  private void warmUpOrClose(ModelRunner runner, ModelInfo model) throws InferenceException {
    try {
      long[] t = Inference.warmUp(runner, settings.warmupRuns());
      if (t.length > 0) {
        LOG.infof("warm-up of %s: %d runs, last %.1f ms", model.label(), t.length, t[t.length - 1] / 1e6);
      }
    } catch (InferenceException | RuntimeException ex) {
      runner.close();
      throw ex;
    }
  }

  private Birth.Builder birth() {
    Birth.Builder b = Birth.newBuilder().setProfileName(settings.profile()).setAgentVersion(settings.agentVersion())
        .setCapabilities(capabilities).setAgentStartedUnixMs(startedUnixMs);
    inference.model().ifPresent(m -> b.setRunningModel(Reports.ref(m)));
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

  /** The OTA client's last status, if it reported one. */
  public Optional<OtaStatus> otaStatus() {
    return ota.lastStatus();
  }

  @Override
  public void close() {
    if (clock != null) {
      clock.shutdownNow();
    }
    if (listener != null) {
      inference.removeListener(listener);
    }
    ota.close();
    publishTelemetry(inference.cutWindow());
    publisher.close();
  }

  public boolean brokerConnected() {
    return publisher.connected();
  }

  public long publishBuffered() {
    return publisher.bufferedCount();
  }

  public long publishDropped() {
    return publisher.droppedCount();
  }

  public long publishUnmatched() {
    return publisher.unmatchedCount();
  }

  public long publishSent() {
    long n = 0;
    for (Stream s : Stream.values()) {
      n += publisher.sentCount(s);
    }
    return n;
  }

  public String otaState() {
    return ota.lastStatus().map(s -> s.getState().name().replace("OTA_STATE_", "")).orElse("IDLE");
  }

  /** Inference as the OTA client sees it: a new model is warmed up before it serves. */
  private final class Host implements ModelHost {
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
