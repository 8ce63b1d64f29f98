package fwi.edge.publish;

import fwi.proto.v1.Death;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One MQTT connection of a {@link MqttPublisher}, from CONNACK to loss. The sender compares
 * epochs to notice a new connection (and then rewinds the outbox); PUBACK callbacks of an old
 * connection only touch that connection's counters.
 */
final class Session {
  /** Before the first connection. */
  static final Session NONE = new Session(0, 0, Death.getDefaultInstance(), 0, Long.MAX_VALUE);
  /** 1 for the first connection of this publisher, +1 for each after it. */
  final long epoch;
  /** The Birth/Death {@code session_seq} of the connection. */
  final long sessionSeq;
  /** The will registered for it; the shutdown Death reuses its header and session_seq. */
  final Death will;
  /** Outbox messages the sender may have unacknowledged on it. */
  final int limit;
  /** The broker's Maximum Packet Size from the CONNACK (unlimited if it sent none). */
  final long maxPacketBytes;
  /** Outbox messages sent and not yet acknowledged on it. */
  final AtomicInteger inFlight = new AtomicInteger();
  /** Connected and past Birth; cleared exactly once per connection, by whoever notices the loss first. */
  final AtomicBoolean up = new AtomicBoolean();
  /** Whether a refused message was logged (only on Paho's callback thread). */
  boolean refusalLogged;

  Session(long epoch, long sessionSeq, Death will, int limit, long maxPacketBytes) {
    this.epoch = epoch;
    this.sessionSeq = sessionSeq;
    this.will = will;
    this.limit = limit;
    this.maxPacketBytes = maxPacketBytes;
  }
}
