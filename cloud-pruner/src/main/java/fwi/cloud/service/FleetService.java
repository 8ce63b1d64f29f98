package fwi.cloud.service;

import fwi.cloud.bridge.BridgeSettings;
import fwi.cloud.ota.BlockPublisherSettings;
import fwi.cloud.ota.MqttSettings;
import fwi.cloud.planner.PlannerSettings;
import fwi.cloud.profile.ProfileCatalog;
import fwi.cloud.profile.ProfilesConfig;
import fwi.cloud.prune.Criterion;
import fwi.cloud.registry.RegistrySettings;
import fwi.cloud.registry.SigningKeys;
import fwi.cloud.rollout.RolloutSettings;
import fwi.cloud.train.Compressor;
import fwi.cloud.train.TrainingConfig;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import java.util.Map;
import java.util.Optional;

/**
 * The fleet service in the Quarkus application: builds {@link CloudSettings} from the {@code fwi.*}
 * configuration and runs one {@link CloudService}, started by {@code pruner serve} (never by the
 * one-shot commands). The REST resources read it; before {@link #start()} they answer 503. Parts that
 * run alongside the service (the dashboard's feeds) start on the {@link Started} event.
 */
@ApplicationScoped
public class FleetService {
  private final ServiceConfig service;
  private final ProfilesConfig profiles;
  private final BridgeConfig bridge;
  private final RegistryConfig registry;
  private final OtaServingConfig ota;
  private final RolloutConfig rollout;
  private final CompressionConfig compression;
  private final Event<Started> started;
  private volatile CloudService cloud;

  /** Fired (synchronously, on the caller of {@link #start()}) once the service runs. */
  public record Started(CloudService cloud) {
  }

  FleetService(ServiceConfig service, ProfilesConfig profiles, BridgeConfig bridge, RegistryConfig registry,
      OtaServingConfig ota, RolloutConfig rollout, CompressionConfig compression, Event<Started> started) {
    this.service = service;
    this.profiles = profiles;
    this.bridge = bridge;
    this.registry = registry;
    this.ota = ota;
    this.rollout = rollout;
    this.compression = compression;
    this.started = started;
  }

  /** Starts the service; returns once every part runs. */
  public synchronized void start() throws Exception {
    if (cloud != null) {
      return;
    }
    CloudService c = new CloudService(settings());
    c.start();
    cloud = c;
    started.fire(new Started(c));
  }

  /** The configuration as checked settings. */
  CloudSettings settings() {
    Optional<BridgeSettings> b = Optional.empty();
    if (bridge.enabled()) {
      b = Optional.of(bridge.settings(service.mqttBrokerUrl(), service.kafkaBootstrap()));
    }
    MqttSettings mqtt = MqttSettings.of(service.mqttBrokerUrl(), ota.clientId());
    if (bridge.mqttUsername().isPresent()) {
      mqtt = mqtt.withCredentials(bridge.mqttUsername().get(), bridge.mqttPassword().orElse(""));
    }
    BlockPublisherSettings.Builder blocks = BlockPublisherSettings.builder()
        .requestFilter(ota.blocks().requestFilter()).senderId(ota.clientId())
        .workerThreads(ota.blocks().workerThreads());
    if (ota.blocks().deviceBlocksPerSecond() > 0) {
      blocks.deviceBlockRate(ota.blocks().deviceBlocksPerSecond(), ota.blocks().deviceBurstBlocks());
    }
    if (ota.blocks().deviceBytesPerSecond() > 0) {
      blocks.deviceByteRate(ota.blocks().deviceBytesPerSecond(), ota.blocks().deviceBurstBytes());
    }
    RolloutConfig.Planner p = rollout.planner();
    Compressor.Retrain retrain = switch (compression.retrain()) {
      case "auto" -> Compressor.Retrain.AUTO;
      case "always" -> Compressor.Retrain.ALWAYS;
      case "never" -> Compressor.Retrain.NEVER;
      default -> throw new IllegalArgumentException("fwi.compression.retrain must be auto, always or never, but was '"
          + compression.retrain() + "'");
    };
    int threads = compression.threads() > 0 ? compression.threads() : Runtime.getRuntime().availableProcessors();
    TrainingConfig training = TrainingConfig.reference().withBatchSize(compression.batchSize())
        .withLearningRate(compression.lr()).withSeed(compression.seed()).withThreads(threads);
    Compressor.Settings cs = new Compressor.Settings(0, compression.steps(), Criterion.L1, compression.roundTo(),
        compression.finetuneEpochs(), retrain, compression.threshold(), true, compression.retrainEpochs(), training,
        compression.latencyRuns(), compression.finetuneLr(), compression.recalibrateBatches());
    return new CloudSettings(service.kafkaBootstrap(), service.mqttBrokerUrl(), service.stateDir(),
        service.telemetryRetentionMs(), service.tickMs(), service.offlineAfterMs(), ProfileCatalog.from(profiles), b,
        bridge.topicPartitions(), bridge.topicReplicationFactor(),
        registry.dir().orElse(service.stateDir().resolve("registry")),
        new RegistrySettings(registry.blockSizeBytes(), registry.modelIdPrefix()), signingKeys(), mqtt, blocks.build(),
        new PlannerSettings(p.breachForMs(), p.clearBelowRatio(), p.cooldownMs(), p.targetMargin(),
            p.minTelemetryInferences()), p.automatic(),
        new RolloutSettings(rollout.stages(), rollout.installTimeoutMs(), rollout.observeMs(), rollout.minInferences(),
            rollout.maxOtaFailures(), rollout.maxErrorRatio(), rollout.latencyTolerance()), rollout.afterJob(),
        compression.baseModel(), compression.dataset(), compression.split(), compression.latencyTable(),
        compression.tableThreads(), cs, compression.maxRatio(), compression.concurrency());
  }

  private SigningKeys signingKeys() {
    RegistryConfig.Signing s = registry.signing();
    if (s.keys().isEmpty()) {
      throw new IllegalArgumentException("the fleet service signs every manifest: configure a key, e.g. "
          + "fwi.registry.signing.keys.\"<id>\".pem-file=<Ed25519 PKCS#8 PEM> and fwi.registry.signing.active-key-id=<id> "
          + "(deploy/bin/pruner serve makes a development key under run/keys)");
    }
    SigningKeys.Builder b = SigningKeys.builder();
    for (Map.Entry<String, RegistryConfig.Key> e : s.keys().entrySet()) {
      RegistryConfig.Key k = e.getValue();
      if (k.pemFile().isPresent() == k.pkcs8Base64().isPresent()) {
        throw new IllegalArgumentException("signing key '" + e.getKey() + "' needs exactly one of pem-file and "
            + "pkcs8-base64, but has " + (k.pemFile().isPresent() ? "both" : "neither"));
      }
      if (k.pemFile().isPresent()) {
        b.pemFile(e.getKey(), k.pemFile().get());
      } else {
        b.pkcs8Base64(e.getKey(), k.pkcs8Base64().get());
      }
    }
    s.publicKeys().forEach(b::publicOnly);
    String active = s.activeKeyId().orElseGet(() -> {
      if (s.keys().size() == 1) {
        return s.keys().keySet().iterator().next();
      }
      throw new IllegalArgumentException("fwi.registry.signing.active-key-id must name one of the keys "
          + s.keys().keySet() + ", but is not set");
    });
    return b.active(active).build();
  }

  public boolean started() {
    return cloud != null;
  }

  /** The running service; null before {@link #start()}. */
  public CloudService cloud() {
    return cloud;
  }

  public ServiceConfig config() {
    return service;
  }

  void stop(@Observes ShutdownEvent e) {
    CloudService c = cloud;
    if (c != null) {
      c.close();
    }
  }
}
