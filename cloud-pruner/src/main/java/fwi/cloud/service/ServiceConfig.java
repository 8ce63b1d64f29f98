package fwi.cloud.service;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.nio.file.Path;
import java.util.Optional;

/** The fleet service ({@code fwi.service.*}), started by {@code pruner serve}. */
@ConfigMapping(prefix = "fwi.service")
public interface ServiceConfig {
  /** Kafka bootstrap servers. */
  @WithName("kafka-bootstrap")
  @WithDefault("127.0.0.1:9092")
  String kafkaBootstrap();

  /** MQTT broker the bridge and the OTA publisher use. */
  @WithName("mqtt-broker-url")
  @WithDefault("tcp://127.0.0.1:1883")
  String mqttBrokerUrl();

  /** Directory of the service's own state: jobs, registry, keys. */
  @WithName("state-dir")
  @WithDefault("run/cloud")
  Path stateDir();

  /**
   * Token every API call that changes something must carry as {@code Authorization: Bearer <token>}.
   * Unset: those calls are refused (read-only API). Never logged.
   */
  @WithName("api-token")
  Optional<String> apiToken();

  /** How far back telemetry windows count for a profile's latency, ms. */
  @WithName("telemetry-retention-ms")
  @WithDefault("300000")
  long telemetryRetentionMs();

  /** Period of the planner and rollout clock, ms. */
  @WithName("tick-ms")
  @WithDefault("2000")
  long tickMs();

  /** Devices silent this long are shown offline even without a Death, ms. */
  @WithName("offline-after-ms")
  @WithDefault("120000")
  long offlineAfterMs();
}
