package fwi.cloud.bridge;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One MQTT message on its way to Kafka, from its arrival to its PUBACK. Immutable but for
 * {@link #done}, which only its {@link AckWindow} touches (under the window's lock).
 */
final class Inbound {
  /** The window of the connection the message arrived on; its PUBACK can only go there. */
  final AckWindow window;
  /** MQTT packet identifier; 0 for QoS 0. */
  final int messageId;
  final int qos;
  final String topic;
  final byte[] payload;
  final boolean retained;
  /** The broker's DUP flag: it sent this message before (on this or an earlier connection). */
  final boolean duplicate;
  /** MQTT 5 content type, if the publisher set one. */
  final Optional<String> contentType;
  /** When the bridge received it, milliseconds since the epoch. */
  final long receivedUnixMs;
  /** Kafka acknowledged it (or it needs no record); guarded by the window. */
  boolean done;
  /** Completed or abandoned: set once, so each message leaves the bridge's books exactly once. */
  final AtomicBoolean settled = new AtomicBoolean();

  Inbound(AckWindow window, int messageId, int qos, String topic, byte[] payload, boolean retained,
      boolean duplicate, Optional<String> contentType, long receivedUnixMs) {
    this.window = window;
    this.messageId = messageId;
    this.qos = qos;
    this.topic = topic;
    this.payload = payload;
    this.retained = retained;
    this.duplicate = duplicate;
    this.contentType = contentType;
    this.receivedUnixMs = receivedUnixMs;
  }
}
