package fwi.cloud.bridge;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Settings of an {@link MqttKafkaBridge}, validated as a whole at construction: a bad value fails
 * with an {@link IllegalArgumentException} naming the setting (the record component) and the value.
 * Build with {@link #builder}; every setting but the two broker addresses has a default.
 *
 * @param mqttUrl {@code tcp://host[:port]} or {@code ssl://host[:port]} (TLS, JVM trust)
 * @param mqttUsername MQTT user name; empty for anonymous access
 * @param mqttPassword MQTT password; only with a user name
 * @param clientId base of the MQTT client ids and the Kafka producer's {@code client.id}; MQTT
 *     client {@code i} (0-based) connects as {@code <clientId>-<i>}. Keep it stable across
 *     restarts: the broker keeps each client's session (subscriptions, unacknowledged and queued
 *     messages) under that id. {@code [A-Za-z0-9_.-]{1,60}}
 * @param sharedGroup shared-subscription group: the bridge subscribes to
 *     {@code $share/<sharedGroup>/fwi/v1/dev/+/<stream>}, and all clients of all bridge instances
 *     with the same group split the messages. {@code [A-Za-z0-9_.-]{1,64}}
 * @param mqttClients MQTT clients (connections) of this bridge, all in {@code sharedGroup}; more
 *     than one spreads receiving over more threads and TCP connections, at the cost of per-device order
 *     (see {@link MqttKafkaBridge}). 1 to 64
 * @param receiveMaximum MQTT 5 receive maximum of each client: QoS 1 messages the broker sends
 *     before it waits for PUBACKs; since PUBACK waits for Kafka, this bounds the messages waiting
 *     for Kafka per client. 1 to 65535
 * @param sessionExpiry how long the broker keeps a client's session (and queues its messages)
 *     after the connection ends; whole seconds, 1 s to 4294967295 s (about 136 years). Longer than
 *     any bridge outage you want to survive without loss
 * @param keepAlive MQTT keep-alive; whole seconds, 1 s to 65535 s
 * @param connectTimeout how long one MQTT connect attempt (TCP, TLS, CONNACK, SUBACK) may take;
 *     whole seconds, 1 s to 10 min
 * @param reconnectMinDelay wait before the first MQTT reconnect attempt; doubled after each
 *     failed attempt up to {@code reconnectMaxDelay}; at least 10 ms
 * @param reconnectMaxDelay longest wait between MQTT reconnect attempts; at least {@code reconnectMinDelay}
 * @param kafkaBootstrapServers Kafka {@code bootstrap.servers}: {@code host:port[,host:port...]}
 * @param linger Kafka producer {@code linger.ms}: how long a batch waits for more records; 0 to 10 s
 * @param batchSizeBytes Kafka producer {@code batch.size}, bytes per partition batch; 0 to 16 MiB
 * @param compression Kafka producer {@code compression.type}: none, gzip, snappy, lz4 or zstd
 * @param producerOverrides further Kafka producer properties, e.g. {@code security.protocol} and
 *     SASL/TLS settings; keys the bridge owns ({@link #OWNED_PRODUCER_KEYS}) are refused
 * @param telemetryTopic Kafka topic of {@code Telemetry} (from {@code .../telemetry})
 * @param resultsTopic Kafka topic of {@code InferenceResult} (from {@code .../result})
 * @param deviceEventsTopic Kafka topic of {@code DeviceEvent} (from birth, death, ota/status)
 * @param deadLetterTopic Kafka topic of messages the bridge cannot forward, raw, with the reason in
 *     header {@value MqttKafkaBridge#HEADER_DEAD_LETTER_REASON}
 * @param closeTimeout how long {@link MqttKafkaBridge#close()} waits for messages in flight to
 *     reach Kafka (and be acknowledged to the broker) before it disconnects anyway; 0 to 5 min
 */
public record BridgeSettings(
    String mqttUrl,
    Optional<String> mqttUsername,
    Optional<String> mqttPassword,
    String clientId,
    String sharedGroup,
    int mqttClients,
    int receiveMaximum,
    Duration sessionExpiry,
    Duration keepAlive,
    Duration connectTimeout,
    Duration reconnectMinDelay,
    Duration reconnectMaxDelay,
    String kafkaBootstrapServers,
    Duration linger,
    int batchSizeBytes,
    String compression,
    Map<String, String> producerOverrides,
    String telemetryTopic,
    String resultsTopic,
    String deviceEventsTopic,
    String deadLetterTopic,
    Duration closeTimeout) {

  /**
   * Kafka producer keys the bridge sets itself, because its guarantees depend on them (or because
   * a dedicated setting exists); {@link #producerOverrides} may not contain them.
   */
  public static final Set<String> OWNED_PRODUCER_KEYS = Set.of("bootstrap.servers", "client.id", "acks",
      "enable.idempotence", "retries", "delivery.timeout.ms", "max.in.flight.requests.per.connection",
      "max.block.ms", "transactional.id", "key.serializer", "value.serializer", "linger.ms", "batch.size",
      "compression.type");
  /** Values of {@link #compression}. */
  public static final Set<String> COMPRESSIONS = Set.of("none", "gzip", "snappy", "lz4", "zstd");
  private static final Pattern CLIENT_ID = Pattern.compile("[A-Za-z0-9_.-]{1,60}");
  private static final Pattern GROUP = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
  private static final Pattern KAFKA_TOPIC = Pattern.compile("[A-Za-z0-9._-]{1,249}");
  private static final Pattern HOST_PORT = Pattern.compile("[^\\s,:]+:\\d{1,5}");

  /** @throws IllegalArgumentException naming the first bad setting and its value */
  public BridgeSettings {
    require(mqttUrl != null && (mqttUrl.startsWith("tcp://") || mqttUrl.startsWith("ssl://")),
        "mqttUrl must start with tcp:// or ssl://, but was '" + mqttUrl + "'");
    String host;
    try {
      host = new URI(mqttUrl).getHost();
    } catch (URISyntaxException e) {
      host = null;
    }
    require(host != null, "mqttUrl must name a host, like tcp://broker:1883, but was '" + mqttUrl + "'");
    requireSet(mqttUsername, "mqttUsername");
    requireSet(mqttPassword, "mqttPassword");
    require(mqttUsername.isEmpty() || !mqttUsername.get().isEmpty(),
        "mqttUsername must not be empty when set, but was ''");
    require(mqttPassword.isEmpty() || mqttUsername.isPresent(), "mqttPassword is set, but mqttUsername is not");
    require(clientId != null && CLIENT_ID.matcher(clientId).matches(),
        "clientId must match " + CLIENT_ID.pattern() + ", but was '" + clientId + "'");
    require(sharedGroup != null && GROUP.matcher(sharedGroup).matches(),
        "sharedGroup must match " + GROUP.pattern() + ", but was '" + sharedGroup + "'");
    require(mqttClients >= 1 && mqttClients <= 64, "mqttClients must be in [1, 64], but was " + mqttClients);
    require(receiveMaximum >= 1 && receiveMaximum <= 65535,
        "receiveMaximum must be in [1, 65535], but was " + receiveMaximum);
    requireWholeSeconds(sessionExpiry, "sessionExpiry", 1, 4_294_967_295L);
    requireWholeSeconds(keepAlive, "keepAlive", 1, 65535);
    requireWholeSeconds(connectTimeout, "connectTimeout", 1, 600);
    requireSet(reconnectMinDelay, "reconnectMinDelay");
    requireSet(reconnectMaxDelay, "reconnectMaxDelay");
    require(reconnectMinDelay.toMillis() >= 10,
        "reconnectMinDelay must be at least 10 ms, but was " + reconnectMinDelay.toMillis() + " ms");
    require(reconnectMaxDelay.compareTo(reconnectMinDelay) >= 0,
        "reconnectMaxDelay must be at least reconnectMinDelay (" + reconnectMinDelay.toMillis() + " ms), but was "
            + reconnectMaxDelay.toMillis() + " ms");
    require(kafkaBootstrapServers != null && !kafkaBootstrapServers.isBlank()
        && java.util.Arrays.stream(kafkaBootstrapServers.split(",")).map(String::trim)
            .allMatch(s -> HOST_PORT.matcher(s).matches()),
        "kafkaBootstrapServers must be host:port[,host:port...], but was '" + kafkaBootstrapServers + "'");
    requireSet(linger, "linger");
    require(!linger.isNegative() && linger.compareTo(Duration.ofSeconds(10)) <= 0,
        "linger must be in [0, 10 s], but was " + linger.toMillis() + " ms");
    require(batchSizeBytes >= 0 && batchSizeBytes <= 16 << 20,
        "batchSizeBytes must be in [0, 16777216], but was " + batchSizeBytes);
    require(compression != null && COMPRESSIONS.contains(compression),
        "compression must be one of " + new java.util.TreeSet<>(COMPRESSIONS) + ", but was '" + compression + "'");
    requireSet(producerOverrides, "producerOverrides");
    for (Map.Entry<String, String> e : producerOverrides.entrySet()) {
      require(e.getKey() != null && e.getValue() != null,
          "producerOverrides must not hold null keys or values, but held " + e.getKey() + "=" + e.getValue());
      require(!OWNED_PRODUCER_KEYS.contains(e.getKey()), "producerOverrides must not set '" + e.getKey()
          + "' (the bridge sets it), but set it to '" + e.getValue() + "'");
    }
    producerOverrides = Map.copyOf(producerOverrides);
    requireTopic(telemetryTopic, "telemetryTopic");
    requireTopic(resultsTopic, "resultsTopic");
    requireTopic(deviceEventsTopic, "deviceEventsTopic");
    requireTopic(deadLetterTopic, "deadLetterTopic");
    require(new java.util.HashSet<>(java.util.List.of(telemetryTopic, resultsTopic, deviceEventsTopic, deadLetterTopic))
        .size() == 4,
        "telemetryTopic, resultsTopic, deviceEventsTopic and deadLetterTopic must differ, but were '"
            + telemetryTopic + "', '" + resultsTopic + "', '" + deviceEventsTopic + "', '" + deadLetterTopic + "'");
    requireSet(closeTimeout, "closeTimeout");
    require(!closeTimeout.isNegative() && closeTimeout.compareTo(Duration.ofMinutes(5)) <= 0,
        "closeTimeout must be in [0, 5 min], but was " + closeTimeout.toMillis() + " ms");
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  private static void requireSet(Object value, String name) {
    require(value != null, name + " must be set (use Optional.empty() or a default), but was null");
  }

  private static void requireWholeSeconds(Duration d, String name, long min, long max) {
    requireSet(d, name);
    require(!d.isNegative() && d.getNano() == 0 && d.getSeconds() >= min && d.getSeconds() <= max,
        name + " must be whole seconds in [" + min + ", " + max + "] s, but was " + d.toMillis() + " ms");
  }

  private static void requireTopic(String topic, String name) {
    require(topic != null && KAFKA_TOPIC.matcher(topic).matches() && !topic.equals(".") && !topic.equals(".."),
        name + " must be a Kafka topic name (" + KAFKA_TOPIC.pattern() + ", not . or ..), but was '" + topic + "'");
  }

  /** The MQTT client id of client {@code index} (0-based): {@code <clientId>-<index>}. */
  public String mqttClientId(int index) {
    return clientId + "-" + index;
  }

  /** Whether the MQTT URL asks for TLS. */
  public boolean tls() {
    return mqttUrl.startsWith("ssl://");
  }

  /** Settings with the passwords masked (also in producer overrides naming a password), safe to log. */
  @Override
  public String toString() {
    Map<String, String> overrides = new TreeMap<>();
    producerOverrides.forEach((k, v) -> overrides.put(k,
        k.contains("password") || k.contains("jaas") || k.contains("secret") ? "***" : v));
    return "BridgeSettings[mqttUrl=" + mqttUrl + ", mqttUsername=" + mqttUsername.orElse("")
        + ", mqttPassword=" + (mqttPassword.isPresent() ? "***" : "") + ", clientId=" + clientId
        + ", sharedGroup=" + sharedGroup + ", mqttClients=" + mqttClients + ", receiveMaximum=" + receiveMaximum
        + ", sessionExpiry=" + sessionExpiry + ", keepAlive=" + keepAlive + ", connectTimeout=" + connectTimeout
        + ", reconnectMinDelay=" + reconnectMinDelay + ", reconnectMaxDelay=" + reconnectMaxDelay
        + ", kafkaBootstrapServers=" + kafkaBootstrapServers + ", linger=" + linger + ", batchSizeBytes="
        + batchSizeBytes + ", compression=" + compression + ", producerOverrides=" + overrides
        + ", telemetryTopic=" + telemetryTopic + ", resultsTopic=" + resultsTopic + ", deviceEventsTopic="
        + deviceEventsTopic + ", deadLetterTopic=" + deadLetterTopic + ", closeTimeout=" + closeTimeout + "]";
  }

  /**
   * A builder with the defaults: anonymous; client id {@code fwi-bridge}; shared group
   * {@code fwi-bridge}; 1 MQTT client; receive maximum 1000; session expiry 1 day; keep-alive 30 s;
   * connect timeout 10 s; reconnect after 500 ms to 30 s; linger 5 ms; batch 64 KiB; lz4; no
   * producer overrides; topics {@code fwi.telemetry}, {@code fwi.results},
   * {@code fwi.device-events}, {@code fwi.dead-letter}; close timeout 5 s.
   */
  public static Builder builder(String mqttUrl, String kafkaBootstrapServers) {
    return new Builder(mqttUrl, kafkaBootstrapServers);
  }

  /** Collects settings for {@link BridgeSettings}; validation happens in {@link #build()}. */
  public static final class Builder {
    private final String mqttUrl;
    private final String kafkaBootstrapServers;
    private Optional<String> mqttUsername = Optional.empty();
    private Optional<String> mqttPassword = Optional.empty();
    private String clientId = "fwi-bridge";
    private String sharedGroup = "fwi-bridge";
    private int mqttClients = 1;
    private int receiveMaximum = 1000;
    private Duration sessionExpiry = Duration.ofDays(1);
    private Duration keepAlive = Duration.ofSeconds(30);
    private Duration connectTimeout = Duration.ofSeconds(10);
    private Duration reconnectMinDelay = Duration.ofMillis(500);
    private Duration reconnectMaxDelay = Duration.ofSeconds(30);
    private Duration linger = Duration.ofMillis(5);
    private int batchSizeBytes = 64 * 1024;
    private String compression = "lz4";
    private Map<String, String> producerOverrides = Map.of();
    private String telemetryTopic = KafkaTopics.TELEMETRY;
    private String resultsTopic = KafkaTopics.RESULTS;
    private String deviceEventsTopic = KafkaTopics.DEVICE_EVENTS;
    private String deadLetterTopic = KafkaTopics.DEAD_LETTER;
    private Duration closeTimeout = Duration.ofSeconds(5);

    private Builder(String mqttUrl, String kafkaBootstrapServers) {
      this.mqttUrl = mqttUrl;
      this.kafkaBootstrapServers = kafkaBootstrapServers;
    }

    /** MQTT user name and password. */
    public Builder mqttCredentials(String username, String password) {
      this.mqttUsername = Optional.ofNullable(username);
      this.mqttPassword = Optional.ofNullable(password);
      return this;
    }

    public Builder clientId(String clientId) {
      this.clientId = clientId;
      return this;
    }

    public Builder sharedGroup(String sharedGroup) {
      this.sharedGroup = sharedGroup;
      return this;
    }

    public Builder mqttClients(int mqttClients) {
      this.mqttClients = mqttClients;
      return this;
    }

    public Builder receiveMaximum(int receiveMaximum) {
      this.receiveMaximum = receiveMaximum;
      return this;
    }

    public Builder sessionExpiry(Duration sessionExpiry) {
      this.sessionExpiry = sessionExpiry;
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

    /** Backoff between MQTT reconnect attempts, from {@code min} doubling up to {@code max}. */
    public Builder reconnectDelay(Duration min, Duration max) {
      this.reconnectMinDelay = min;
      this.reconnectMaxDelay = max;
      return this;
    }

    public Builder linger(Duration linger) {
      this.linger = linger;
      return this;
    }

    public Builder batchSizeBytes(int batchSizeBytes) {
      this.batchSizeBytes = batchSizeBytes;
      return this;
    }

    public Builder compression(String compression) {
      this.compression = compression;
      return this;
    }

    public Builder producerOverrides(Map<String, String> producerOverrides) {
      this.producerOverrides = producerOverrides;
      return this;
    }

    /** The four Kafka topics the bridge writes. */
    public Builder topics(String telemetry, String results, String deviceEvents, String deadLetter) {
      this.telemetryTopic = telemetry;
      this.resultsTopic = results;
      this.deviceEventsTopic = deviceEvents;
      this.deadLetterTopic = deadLetter;
      return this;
    }

    public Builder closeTimeout(Duration closeTimeout) {
      this.closeTimeout = closeTimeout;
      return this;
    }

    /** @throws IllegalArgumentException naming the first bad setting and its value */
    public BridgeSettings build() {
      return new BridgeSettings(mqttUrl, mqttUsername, mqttPassword, clientId, sharedGroup, mqttClients,
          receiveMaximum, sessionExpiry, keepAlive, connectTimeout, reconnectMinDelay, reconnectMaxDelay,
          kafkaBootstrapServers, linger, batchSizeBytes, compression, producerOverrides, telemetryTopic,
          resultsTopic, deviceEventsTopic, deadLetterTopic, closeTimeout);
    }
  }
}
