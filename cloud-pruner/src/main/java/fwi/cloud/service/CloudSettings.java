package fwi.cloud.service;

import fwi.cloud.bridge.BridgeSettings;
import fwi.cloud.ota.BlockPublisherSettings;
import fwi.cloud.ota.MqttSettings;
import fwi.cloud.planner.PlannerSettings;
import fwi.cloud.profile.ProfileCatalog;
import fwi.cloud.registry.RegistrySettings;
import fwi.cloud.registry.SigningKeys;
import fwi.cloud.rollout.RolloutSettings;
import fwi.cloud.train.Compressor;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Everything {@link CloudService} needs, already checked; {@link FleetService} builds it from the
 * {@code fwi.*} configuration, tests build it directly.
 *
 * @param kafkaBootstrap Kafka bootstrap servers
 * @param stateDir jobs, current versions, latency tables
 * @param bridge the MQTT → Kafka bridge, if this instance runs one
 * @param registryDir the model registry
 * @param otaMqtt the OTA connections' broker and client id prefix
 * @param plannerAutomatic whether SLO breaches start jobs by themselves
 * @param rolloutAfterJob whether a job's model is rolled out as soon as it is registered
 * @param baseModel the trained, unpruned model; without it no job can run
 * @param dataset fine-tuning and evaluation data; without it no job can run
 * @param compression the compressor's settings; the ratio is chosen per job
 * @param maxRatio the most pruning a job may choose
 */
public record CloudSettings(String kafkaBootstrap, String mqttUrl, Path stateDir, long telemetryRetentionMs,
    long tickMs, long offlineAfterMs, ProfileCatalog profiles, Optional<BridgeSettings> bridge, int topicPartitions,
    short topicReplicationFactor, Path registryDir, RegistrySettings registry, SigningKeys signingKeys,
    MqttSettings otaMqtt, BlockPublisherSettings blocks, PlannerSettings planner, boolean plannerAutomatic,
    RolloutSettings rollout, boolean rolloutAfterJob, Optional<Path> baseModel, Optional<Path> dataset, String split,
    Optional<Path> latencyTable, int tableThreads, Compressor.Settings compression, double maxRatio,
    int jobConcurrency) {
  public CloudSettings {
    if (tickMs < 10 || telemetryRetentionMs < 1 || offlineAfterMs < 1) {
      throw new IllegalArgumentException("fwi.service.tick-ms must be at least 10 and the retention and offline times "
          + "at least 1 ms, but were " + tickMs + ", " + telemetryRetentionMs + " and " + offlineAfterMs);
    }
    if (!(maxRatio > 0 && maxRatio < 1)) {
      throw new IllegalArgumentException("fwi.compression.max-ratio must be in (0, 1), but was " + maxRatio);
    }
    if (baseModel.isPresent() != dataset.isPresent()) {
      throw new IllegalArgumentException("fwi.compression.base-model and fwi.compression.dataset go together (a job "
          + "needs both), but only " + (baseModel.isPresent() ? "base-model" : "dataset") + " is set");
    }
  }
}
