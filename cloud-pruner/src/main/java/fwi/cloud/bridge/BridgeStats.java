package fwi.cloud.bridge;

import java.util.Map;
import java.util.Optional;

/**
 * A snapshot of an {@link MqttKafkaBridge}'s counters and state. Counters count since the bridge
 * was constructed; each is read on its own, so a snapshot taken under load may be off by the
 * messages in motion between two reads.
 *
 * @param received MQTT messages taken from the broker (duplicates included)
 * @param redelivered of those, messages the broker flagged DUP: sent before, on this or an
 *     earlier connection, and not acknowledged then (they may already be in Kafka: duplicates)
 * @param forwarded records Kafka acknowledged, per data topic (not the dead-letter topic)
 * @param deadLettered records Kafka acknowledged in the dead-letter topic
 * @param skipped messages acknowledged without writing anything (cleared retained messages)
 * @param waitingForKafka messages taken and neither acknowledged by Kafka nor given up
 * @param oldestWaitingMs age of the oldest QoS 1 message not yet acknowledged, milliseconds; 0
 *     if none. The health signal: it grows while Kafka does not take records (a healthy bridge
 *     under load stays at the Kafka round trip plus {@code linger})
 * @param acknowledged PUBACKs handed to the broker
 * @param abandoned messages given up without acknowledging them, because their connection was
 *     gone (the broker redelivers them) or the bridge was closing
 * @param dropped messages acknowledged although nothing reached Kafka: Kafka refused the record
 *     and its dead letter (e.g. larger than the producer's {@code max.request.size}); 0 normally
 * @param mqttClientsConnected MQTT clients connected and subscribed now
 * @param mqttClients MQTT clients configured
 * @param kafkaConnected the producer holds at least one open connection to a Kafka broker (an
 *     idle producer may close its connections after {@code connections.max.idle.ms}, so judge
 *     health by {@code oldestWaitingMs} rather than by this flag alone)
 * @param lastError the last problem seen (MQTT connection, Kafka send), if any since construction
 * @param lastDeadLetterReason the reason of the last dead letter, if any
 */
public record BridgeStats(
    long received,
    long redelivered,
    Map<String, Long> forwarded,
    long deadLettered,
    long skipped,
    long waitingForKafka,
    long oldestWaitingMs,
    long acknowledged,
    long abandoned,
    long dropped,
    int mqttClientsConnected,
    int mqttClients,
    boolean kafkaConnected,
    Optional<String> lastError,
    Optional<String> lastDeadLetterReason) {

  public BridgeStats {
    forwarded = Map.copyOf(forwarded);
  }

  /** Records forwarded to all data topics together. */
  public long forwardedTotal() {
    return forwarded.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Records forwarded to {@code topic}, 0 if none. */
  public long forwarded(String topic) {
    return forwarded.getOrDefault(topic, 0L);
  }

  /** Every configured MQTT client is connected and subscribed. */
  public boolean mqttConnected() {
    return mqttClientsConnected == mqttClients;
  }
}
