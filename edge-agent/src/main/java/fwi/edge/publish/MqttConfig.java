package fwi.edge.publish;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The broker link and the disk outbox ({@code fwi.mqtt.*}); see {@link PublisherSettings} for what
 * each value means. {@link #settings} checks everything at start-up and names the key and value of a
 * bad one.
 */
@ConfigMapping(prefix = "fwi.mqtt")
public interface MqttConfig {
  /** {@code tcp://host:1883} or {@code ssl://host:8883}. */
  @WithName("broker-url")
  String brokerUrl();

  /** MQTT user name; unset for anonymous access. */
  @WithName("username")
  Optional<String> username();

  /** MQTT password (never logged); only with a user name. */
  @WithName("password")
  Optional<String> password();

  /** PEM file of the CA certificates to trust for {@code ssl://} (instead of the JVM's). */
  @WithName("tls-ca-file")
  Optional<Path> tlsCaFile();

  /** PKCS#12 or JKS trust store for {@code ssl://}, not together with {@code tls-ca-file}. */
  @WithName("tls-trust-store")
  Optional<Path> tlsTrustStore();

  @WithName("tls-trust-store-password")
  Optional<String> tlsTrustStorePassword();

  /** MQTT keep-alive, seconds: the broker publishes the Death will 1.5 times this after the link dies. */
  @WithName("keep-alive-s")
  @WithDefault("30")
  int keepAliveS();

  @WithName("connect-timeout-s")
  @WithDefault("10")
  int connectTimeoutS();

  /** Directory of the outbox and the sequence counters; default {@code <fwi.ota.model-dir>/outbox}. */
  @WithName("outbox-dir")
  Optional<Path> outboxDir();

  /**
   * Bound of the outbox, bytes. When full, the oldest results are dropped first, then the oldest
   * telemetry, OTA status last; every drop is counted and reported in telemetry.
   */
  @WithName("outbox-max-bytes")
  @WithDefault("67108864")
  long outboxMaxBytes();

  /** Messages sent and not yet acknowledged at most. */
  @WithName("max-in-flight")
  @WithDefault("32")
  int maxInFlight();

  /**
   * How often outbox appends are forced to the storage device, ms: 0 syncs every append (nothing
   * lost on power loss, slow on an SD card), -1 leaves it to the kernel.
   */
  @WithName("outbox-fsync-interval-ms")
  @WithDefault("1000")
  long outboxFsyncIntervalMs();

  @WithName("reconnect-min-delay-ms")
  @WithDefault("500")
  long reconnectMinDelayMs();

  @WithName("reconnect-max-delay-ms")
  @WithDefault("30000")
  long reconnectMaxDelayMs();

  /**
   * The checked settings for device {@code deviceId}.
   *
   * @throws IllegalArgumentException naming the {@code fwi.mqtt.*} setting and its value
   */
  default PublisherSettings settings(String deviceId, Path defaultOutboxDir) {
    try {
      PublisherSettings.Builder b = PublisherSettings.builder(brokerUrl(), deviceId, outboxDir().orElse(defaultOutboxDir))
          .keepAlive(Duration.ofSeconds(keepAliveS()))
          .connectTimeout(Duration.ofSeconds(connectTimeoutS()))
          .outboxMaxBytes(outboxMaxBytes())
          .maxInFlight(maxInFlight())
          .fsync(FsyncPolicy.ofIntervalMs(outboxFsyncIntervalMs()))
          .reconnectDelay(Duration.ofMillis(reconnectMinDelayMs()), Duration.ofMillis(reconnectMaxDelayMs()));
      if (username().isPresent()) {
        b.credentials(username().get(), password().orElse(""));
      } else if (password().isPresent()) {
        throw new IllegalArgumentException("password is set but username is not");
      }
      tlsCaFile().ifPresent(b::tlsCaFile);
      tlsTrustStore().ifPresent(t -> b.tlsTrustStore(t, tlsTrustStorePassword().orElse(null)));
      return b.build();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("fwi.mqtt: " + e.getMessage(), e);
    }
  }
}
