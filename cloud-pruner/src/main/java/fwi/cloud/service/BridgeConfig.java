package fwi.cloud.service;

import fwi.cloud.bridge.BridgeSettings;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.time.Duration;
import java.util.Optional;

/**
 * The MQTT → Kafka bridge inside {@code pruner serve}, or alone in {@code pruner bridge} ({@code fwi.bridge.*}). Several instances
 * split the device traffic through one MQTT 5 shared subscription group; each instance needs its own
 * stable {@link #clientId()} so the broker resumes its session (and what was queued for it) after a
 * restart. Checked by {@link fwi.cloud.bridge.BridgeSettings}.
 */
@ConfigMapping(prefix = "fwi.bridge")
public interface BridgeConfig {
  /** Run the bridge in this process; false for an instance that only plans, compresses and rolls out. */
  @WithDefault("true")
  boolean enabled();

  /** MQTT client id prefix, stable per instance (the index of each connection is appended). */
  @WithName("client-id")
  @WithDefault("fwi-bridge-1")
  String clientId();

  /** Shared subscription group every instance joins. */
  @WithName("shared-group")
  @WithDefault("fwi-bridge")
  String sharedGroup();

  /** MQTT connections per instance: one Paho client tops out at 5–7k messages/s (BENCHMARKS.md). */
  @WithDefault("2")
  int clients();

  /** MQTT 5 Receive Maximum per connection: unacknowledged messages the broker may send. */
  @WithName("receive-maximum")
  @WithDefault("1000")
  int receiveMaximum();

  /** How long the broker keeps the session (and queues messages) of a stopped instance, s. */
  @WithName("session-expiry-s")
  @WithDefault("86400")
  long sessionExpiryS();

  @WithName("mqtt-username")
  Optional<String> mqttUsername();

  /** Never logged. */
  @WithName("mqtt-password")
  Optional<String> mqttPassword();

  /** Kafka producer linger, ms. */
  @WithName("linger-ms")
  @WithDefault("5")
  long lingerMs();

  /** Kafka compression: none, gzip, snappy, lz4 or zstd. */
  @WithDefault("lz4")
  String compression();

  /** Partitions of topics the service creates when they are missing. */
  @WithName("topic-partitions")
  @WithDefault("6")
  int topicPartitions();

  /** Replication factor of topics the service creates (3 on a real cluster). */
  @WithName("topic-replication-factor")
  @WithDefault("1")
  short topicReplicationFactor();

  /**
   * The checked settings of a bridge between {@code mqttUrl} and {@code kafkaBootstrap}
   * ({@code fwi.service.mqtt-broker-url}, {@code fwi.service.kafka-bootstrap}).
   *
   * @throws IllegalArgumentException naming the setting and its value
   */
  default BridgeSettings settings(String mqttUrl, String kafkaBootstrap) {
    BridgeSettings.Builder b = BridgeSettings.builder(mqttUrl, kafkaBootstrap)
        .clientId(clientId()).sharedGroup(sharedGroup()).mqttClients(clients())
        .receiveMaximum(receiveMaximum()).sessionExpiry(Duration.ofSeconds(sessionExpiryS()))
        .linger(Duration.ofMillis(lingerMs())).compression(compression());
    if (mqttUsername().isPresent()) {
      b.mqttCredentials(mqttUsername().get(), mqttPassword().orElse(""));
    }
    return b.build();
  }
}
