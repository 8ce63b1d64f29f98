package fwi.cloud.bridge;

import java.io.IOException;
import java.util.ArrayDeque;

/**
 * The QoS 1 messages of one MQTT connection that await their PUBACK, in arrival order. A message
 * is acknowledged when it is {@link #complete complete} (in Kafka) <em>and</em> every message that
 * arrived before it is too: MQTT 5 (4.6) asks a receiver to send PUBACKs in the order the PUBLISH
 * packets arrived, and a broker may rely on it.
 *
 * <p>Bound to one {@link WireSubscriber}, i.e. one network connection: the bridge makes a new one
 * for every reconnect, so an acknowledgement can never reach a later connection, where the
 * broker may have given the same packet identifier to another message. Once {@link #close closed}
 * (connection lost, bridge closing) nothing more is acknowledged; the broker redelivers those
 * messages when the session resumes.
 *
 * <p>Thread-safe: the connection's reader thread adds, Kafka's producer thread completes. The
 * window's lock is held while the due PUBACKs are written (a few bytes, one flush, so they leave in
 * arrival order); the connection never calls back into the window, and {@link #close()} takes no
 * lock, so a lost connection never waits for a thread completing messages.
 */
final class AckWindow {
  private final WireSubscriber connection;
  private final ArrayDeque<Inbound> pending = new ArrayDeque<>();
  private int[] due = new int[64];
  /** Written without the lock, so the connection's loss never waits for a thread completing messages. */
  private volatile boolean open = true;

  AckWindow(WireSubscriber connection) {
    this.connection = connection;
  }

  /** Registers a QoS 1 message in arrival order. */
  synchronized void add(Inbound m) {
    pending.addLast(m);
  }

  /**
   * Marks {@code m} complete and sends every PUBACK that is now due.
   *
   * @return how many PUBACKs this call sent
   */
  synchronized int complete(Inbound m) {
    m.done = true;
    int n = 0;
    while (!pending.isEmpty() && pending.peekFirst().done) {
      Inbound head = pending.pollFirst();
      if (n == due.length) {
        due = java.util.Arrays.copyOf(due, 2 * n);
      }
      due[n++] = head.messageId;
    }
    if (n == 0 || !open) {
      return 0;
    }
    try {
      connection.puback(due, n);
      return n;
    } catch (IOException e) {
      open = false; // the connection is going away; the broker will redeliver
      return 0;
    }
  }

  /** Whether acknowledgements still go out. */
  boolean isOpen() {
    return open;
  }

  /**
   * Stops acknowledging: the connection is gone or the bridge is closing. A {@link #complete}
   * running concurrently may still write PUBACKs to the old connection, which is closed or closing.
   */
  void close() {
    open = false;
  }

  /** When the oldest message not yet acknowledged arrived (ms since the epoch), or {@code Long.MAX_VALUE} if none. */
  synchronized long oldestReceivedUnixMs() {
    Inbound head = pending.peekFirst();
    return head == null ? Long.MAX_VALUE : head.receivedUnixMs;
  }

  /** Messages received on this connection and not yet acknowledged. */
  synchronized int size() {
    return pending.size();
  }
}
