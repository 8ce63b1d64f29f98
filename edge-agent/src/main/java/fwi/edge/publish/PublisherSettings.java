package fwi.edge.publish;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Settings of an {@link MqttPublisher}, validated as a whole at construction: a bad value fails
 * with a message naming the setting and the value. Build with {@link #builder}; every setting but
 * the broker URL, the device id and the outbox directory has a default.
 *
 * @param brokerUrl {@code tcp://host[:port]} or {@code ssl://host[:port]} (TLS)
 * @param deviceId the device id: MQTT client id and {@code {deviceId}} of the topics, see
 *     {@link DeviceTopics}
 * @param username MQTT user name; empty for anonymous access
 * @param password MQTT password; only with a user name
 * @param tlsCaFile PEM file of the CA certificates to trust (instead of the JVM's defaults);
 *     {@code ssl://} only
 * @param tlsTrustStore PKCS#12 or JKS trust store to trust instead of the JVM's defaults;
 *     {@code ssl://} only, not together with {@code tlsCaFile}
 * @param tlsTrustStorePassword password of {@code tlsTrustStore}, if it has one
 * @param keepAlive MQTT keep-alive: the broker publishes the will after 1.5 times this without
 *     traffic; 1 s to 65535 s, whole seconds
 * @param connectTimeout how long one connect attempt may take (TCP, TLS, CONNACK); 1 s to 10 min
 * @param outboxDir directory of the outbox segments and of {@code sequences.properties}; one
 *     publisher per directory
 * @param outboxMaxBytes bound of the outbox, see {@link Outbox}; at least 1024
 * @param maxInFlight messages sent and not yet acknowledged at most; 1 to 65535, and capped by
 *     the broker's receive maximum
 * @param fsync when the outbox forces appends to the device
 * @param reconnectMinDelay wait before the first reconnect attempt; doubled after each failed
 *     attempt up to {@code reconnectMaxDelay} (with 20 % jitter); at least 10 ms
 * @param reconnectMaxDelay longest wait between attempts, at least {@code reconnectMinDelay}
 * @param shutdownTimeout how long {@link MqttPublisher#close()} waits for the broker to
 *     acknowledge the shutdown Death and the disconnect; 0 to 1 min
 */
public record PublisherSettings(
    String brokerUrl,
    String deviceId,
    Optional<String> username,
    Optional<String> password,
    Optional<Path> tlsCaFile,
    Optional<Path> tlsTrustStore,
    Optional<String> tlsTrustStorePassword,
    Duration keepAlive,
    Duration connectTimeout,
    Path outboxDir,
    long outboxMaxBytes,
    int maxInFlight,
    FsyncPolicy fsync,
    Duration reconnectMinDelay,
    Duration reconnectMaxDelay,
    Duration shutdownTimeout) {

  /** @throws IllegalArgumentException naming the first bad setting and its value */
  public PublisherSettings {
    require(brokerUrl != null && (brokerUrl.startsWith("tcp://") || brokerUrl.startsWith("ssl://")),
        "broker URL must start with tcp:// or ssl://, but was '" + brokerUrl + "'");
    String host;
    try {
      host = new URI(brokerUrl).getHost();
    } catch (URISyntaxException e) {
      host = null;
    }
    require(host != null, "broker URL must name a host, like tcp://broker:1883, but was '" + brokerUrl + "'");
    DeviceTopics.checkDeviceId(deviceId);
    requireSet(username, "username");
    requireSet(password, "password");
    requireSet(tlsCaFile, "TLS CA file");
    requireSet(tlsTrustStore, "TLS trust store");
    requireSet(tlsTrustStorePassword, "TLS trust store password");
    require(username.isEmpty() || !username.get().isEmpty(), "username must not be empty when set, but was ''");
    require(password.isEmpty() || username.isPresent(), "password is set, but username is not");
    boolean tls = brokerUrl.startsWith("ssl://");
    require(tls || tlsCaFile.isEmpty(),
        "TLS CA file is set to '" + tlsCaFile.orElse(null) + "', but broker URL '" + brokerUrl + "' is not ssl://");
    require(tls || tlsTrustStore.isEmpty(), "TLS trust store is set to '" + tlsTrustStore.orElse(null)
        + "', but broker URL '" + brokerUrl + "' is not ssl://");
    require(tlsCaFile.isEmpty() || tlsTrustStore.isEmpty(), "set either TLS CA file ('" + tlsCaFile.orElse(null)
        + "') or TLS trust store ('" + tlsTrustStore.orElse(null) + "'), not both");
    require(tlsTrustStorePassword.isEmpty() || tlsTrustStore.isPresent(),
        "TLS trust store password is set, but TLS trust store is not");
    requireSet(keepAlive, "keep-alive");
    require(!keepAlive.isNegative() && keepAlive.toMillis() % 1000 == 0 && keepAlive.getSeconds() >= 1
        && keepAlive.getSeconds() <= 65535,
        "keep-alive must be whole seconds in [1, 65535] s, but was " + keepAlive.toMillis() + " ms");
    requireSet(connectTimeout, "connect timeout");
    require(connectTimeout.compareTo(Duration.ofSeconds(1)) >= 0
        && connectTimeout.compareTo(Duration.ofMinutes(10)) <= 0,
        "connect timeout must be in [1 s, 10 min], but was " + connectTimeout.toMillis() + " ms");
    require(outboxDir != null, "outbox dir must be set, but was null");
    require(outboxMaxBytes >= 1024, "outbox max bytes must be at least 1024, but was " + outboxMaxBytes);
    require(maxInFlight >= 1 && maxInFlight <= 65535, "max in-flight must be in [1, 65535], but was " + maxInFlight);
    require(fsync != null, "fsync policy must be set, but was null");
    requireSet(reconnectMinDelay, "reconnect min delay");
    requireSet(reconnectMaxDelay, "reconnect max delay");
    require(reconnectMinDelay.toMillis() >= 10,
        "reconnect min delay must be at least 10 ms, but was " + reconnectMinDelay.toMillis() + " ms");
    require(reconnectMaxDelay.compareTo(reconnectMinDelay) >= 0, "reconnect max delay must be at least the min delay ("
        + reconnectMinDelay.toMillis() + " ms), but was " + reconnectMaxDelay.toMillis() + " ms");
    requireSet(shutdownTimeout, "shutdown timeout");
    require(!shutdownTimeout.isNegative() && shutdownTimeout.compareTo(Duration.ofMinutes(1)) <= 0,
        "shutdown timeout must be in [0, 1 min], but was " + shutdownTimeout.toMillis() + " ms");
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  private static void requireSet(Object value, String name) {
    require(value != null, name + " must be set (use Optional.empty() or a default), but was null");
  }

  /** Whether the broker URL asks for TLS. */
  public boolean tls() {
    return brokerUrl.startsWith("ssl://");
  }

  /** Settings with the passwords masked, safe to log. */
  @Override
  public String toString() {
    return "PublisherSettings[brokerUrl=" + brokerUrl + ", deviceId=" + deviceId + ", username=" + username.orElse("")
        + ", password=" + (password.isPresent() ? "***" : "")
        + ", tlsCaFile=" + tlsCaFile.map(Path::toString).orElse("")
        + ", tlsTrustStore=" + tlsTrustStore.map(Path::toString).orElse("") + ", keepAlive=" + keepAlive
        + ", connectTimeout=" + connectTimeout + ", outboxDir=" + outboxDir + ", outboxMaxBytes=" + outboxMaxBytes
        + ", maxInFlight=" + maxInFlight + ", fsync=" + fsync + ", reconnectMinDelay=" + reconnectMinDelay
        + ", reconnectMaxDelay=" + reconnectMaxDelay + ", shutdownTimeout=" + shutdownTimeout + "]";
  }

  /**
   * A builder with the defaults: anonymous, JVM trust, keep-alive 30 s, connect timeout 10 s,
   * outbox 64 MiB, 10 in flight, fsync every 1 s, reconnect after 1 s to 30 s, shutdown timeout 2 s.
   */
  public static Builder builder(String brokerUrl, String deviceId, Path outboxDir) {
    return new Builder(brokerUrl, deviceId, outboxDir);
  }

  /** Collects settings for {@link PublisherSettings}; validation happens in {@link #build()}. */
  public static final class Builder {
    private final String brokerUrl;
    private final String deviceId;
    private final Path outboxDir;
    private Optional<String> username = Optional.empty();
    private Optional<String> password = Optional.empty();
    private Optional<Path> tlsCaFile = Optional.empty();
    private Optional<Path> tlsTrustStore = Optional.empty();
    private Optional<String> tlsTrustStorePassword = Optional.empty();
    private Duration keepAlive = Duration.ofSeconds(30);
    private Duration connectTimeout = Duration.ofSeconds(10);
    private long outboxMaxBytes = 64L * 1024 * 1024;
    private int maxInFlight = 10;
    private FsyncPolicy fsync = FsyncPolicy.interval(Duration.ofSeconds(1));
    private Duration reconnectMinDelay = Duration.ofSeconds(1);
    private Duration reconnectMaxDelay = Duration.ofSeconds(30);
    private Duration shutdownTimeout = Duration.ofSeconds(2);

    private Builder(String brokerUrl, String deviceId, Path outboxDir) {
      this.brokerUrl = brokerUrl;
      this.deviceId = deviceId;
      this.outboxDir = outboxDir;
    }

    public Builder credentials(String username, String password) {
      this.username = Optional.ofNullable(username);
      this.password = Optional.ofNullable(password);
      return this;
    }

    public Builder tlsCaFile(Path caFile) {
      this.tlsCaFile = Optional.ofNullable(caFile);
      return this;
    }

    public Builder tlsTrustStore(Path trustStore, String password) {
      this.tlsTrustStore = Optional.ofNullable(trustStore);
      this.tlsTrustStorePassword = Optional.ofNullable(password);
      return this;
    }

    public Builder keepAlive(Duration keepAlive) {
      this.keepAlive = keepAlive;
      return this;
    }

    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = connectTimeout;
      return this;
    }

    public Builder outboxMaxBytes(long outboxMaxBytes) {
      this.outboxMaxBytes = outboxMaxBytes;
      return this;
    }

    public Builder maxInFlight(int maxInFlight) {
      this.maxInFlight = maxInFlight;
      return this;
    }

    public Builder fsync(FsyncPolicy fsync) {
      this.fsync = fsync;
      return this;
    }

    public Builder reconnectDelay(Duration min, Duration max) {
      this.reconnectMinDelay = min;
      this.reconnectMaxDelay = max;
      return this;
    }

    public Builder shutdownTimeout(Duration shutdownTimeout) {
      this.shutdownTimeout = shutdownTimeout;
      return this;
    }

    /** @throws IllegalArgumentException naming the first bad setting and its value */
    public PublisherSettings build() {
      return new PublisherSettings(brokerUrl, deviceId, username, password, tlsCaFile, tlsTrustStore,
          tlsTrustStorePassword, keepAlive, connectTimeout, outboxDir, outboxMaxBytes, maxInFlight, fsync,
          reconnectMinDelay, reconnectMaxDelay, shutdownTimeout);
    }
  }
}
