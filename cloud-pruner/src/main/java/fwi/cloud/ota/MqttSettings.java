package fwi.cloud.ota;

import java.time.Duration;
import java.util.Optional;
import javax.net.SocketFactory;

/**
 * How an OTA publisher connects to the MQTT 5 broker. Each publisher holds its own connection, so
 * each needs its own client id.
 *
 * @param brokerUrl {@code tcp://host:port} or {@code ssl://host:port} ({@code fwi.ota.mqtt.broker-url})
 * @param clientId MQTT client id, unique per connection, e.g. {@code cloud-pruner-0-ota-blocks}
 * @param username user name, if the broker requires one ({@code fwi.ota.mqtt.username})
 * @param password password, if the broker requires one ({@code fwi.ota.mqtt.password}); masked by {@link #toString()}
 * @param keepAlive MQTT keep-alive ({@code fwi.ota.mqtt.keep-alive-s}, default 30 s), 1 s to 65535 s
 * @param connectTimeout time allowed for one connect attempt ({@code fwi.ota.mqtt.connect-timeout-ms}, default 10 s)
 * @param reconnectMinDelay first delay after a failed attempt or a lost connection
 *     ({@code fwi.ota.mqtt.reconnect-min-delay-ms}, default 500 ms); doubles per failure
 * @param reconnectMaxDelay longest delay between attempts ({@code fwi.ota.mqtt.reconnect-max-delay-ms}, default 30 s)
 * @param maxInFlight most QoS 1 messages sent and not yet acknowledged ({@code fwi.ota.mqtt.max-in-flight},
 *     default 64); the broker's Receive Maximum lowers it
 * @param socketFactory sockets to use (TLS, for instance); empty: plain TCP with TCP_NODELAY
 */
public record MqttSettings(String brokerUrl, String clientId, Optional<String> username, Optional<String> password,
    Duration keepAlive, Duration connectTimeout, Duration reconnectMinDelay, Duration reconnectMaxDelay,
    int maxInFlight, Optional<SocketFactory> socketFactory) {
  public MqttSettings {
    if (brokerUrl == null || !(brokerUrl.startsWith("tcp://") || brokerUrl.startsWith("ssl://"))) {
      throw new IllegalArgumentException("fwi.ota.mqtt.broker-url must start with tcp:// or ssl://, but was '"
          + brokerUrl + "'");
    }
    if (clientId == null || clientId.isEmpty() || clientId.length() > 128) {
      throw new IllegalArgumentException("MQTT client id must be 1 to 128 characters, but was '" + clientId + "'");
    }
    if (username == null || password == null || socketFactory == null) {
      throw new IllegalArgumentException("username, password and socket factory must be Optionals, but one was null");
    }
    if (keepAlive == null || keepAlive.toSeconds() < 1 || keepAlive.toSeconds() > 65535) {
      throw new IllegalArgumentException("fwi.ota.mqtt.keep-alive-s must be in [1, 65535], but was "
          + (keepAlive == null ? null : keepAlive.toSeconds()));
    }
    if (connectTimeout == null || connectTimeout.toMillis() < 1) {
      throw new IllegalArgumentException("fwi.ota.mqtt.connect-timeout-ms must be at least 1, but was "
          + (connectTimeout == null ? null : connectTimeout.toMillis()));
    }
    if (reconnectMinDelay == null || reconnectMaxDelay == null || reconnectMinDelay.toMillis() < 1
        || reconnectMaxDelay.compareTo(reconnectMinDelay) < 0) {
      throw new IllegalArgumentException("fwi.ota.mqtt.reconnect-min-delay-ms must be at least 1 and at most "
          + "fwi.ota.mqtt.reconnect-max-delay-ms, but were " + (reconnectMinDelay == null ? null
              : reconnectMinDelay.toMillis()) + " and " + (reconnectMaxDelay == null ? null : reconnectMaxDelay.toMillis()));
    }
    if (maxInFlight < 1 || maxInFlight > 65535) {
      throw new IllegalArgumentException("fwi.ota.mqtt.max-in-flight must be in [1, 65535], but was " + maxInFlight);
    }
  }

  /** Defaults for everything but the broker and the client id; no credentials, plain TCP. */
  public static MqttSettings of(String brokerUrl, String clientId) {
    return new MqttSettings(brokerUrl, clientId, Optional.empty(), Optional.empty(), Duration.ofSeconds(30),
        Duration.ofSeconds(10), Duration.ofMillis(500), Duration.ofSeconds(30), 64, Optional.empty());
  }

  public MqttSettings withClientId(String id) {
    return new MqttSettings(brokerUrl, id, username, password, keepAlive, connectTimeout, reconnectMinDelay,
        reconnectMaxDelay, maxInFlight, socketFactory);
  }

  public MqttSettings withCredentials(String user, String pass) {
    return new MqttSettings(brokerUrl, clientId, Optional.of(user), Optional.of(pass), keepAlive, connectTimeout,
        reconnectMinDelay, reconnectMaxDelay, maxInFlight, socketFactory);
  }

  public MqttSettings withMaxInFlight(int n) {
    return new MqttSettings(brokerUrl, clientId, username, password, keepAlive, connectTimeout, reconnectMinDelay,
        reconnectMaxDelay, n, socketFactory);
  }

  public MqttSettings withSocketFactory(SocketFactory f) {
    return new MqttSettings(brokerUrl, clientId, username, password, keepAlive, connectTimeout, reconnectMinDelay,
        reconnectMaxDelay, maxInFlight, Optional.of(f));
  }

  /** Masks the password. */
  @Override
  public String toString() {
    return "MqttSettings[" + brokerUrl + ", clientId=" + clientId + ", username=" + username.orElse("-")
        + ", password=" + (password.isPresent() ? "***" : "-") + ", maxInFlight=" + maxInFlight + "]";
  }
}
