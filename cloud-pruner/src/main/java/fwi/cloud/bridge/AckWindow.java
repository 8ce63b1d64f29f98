package fwi.cloud.bridge;

import java.util.ArrayDeque;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.common.MqttException;

/**
 * The QoS 1 messages of one MQTT connection that await their PUBACK, in arrival order. A message
 * is acknowledged when it is {@link #complete complete} (in Kafka) <em>and</em> every message that
 * arrived before it is too: MQTT 5 (4.6) asks a receiver to send PUBACKs in the order the PUBLISH
 * packets arrived, and a broker may rely on it.
 *
 * <p>Bound to one Paho client object, i.e. one network connection: the bridge makes a new client
 * for every reconnect, so an acknowledgement can never reach a later connection, where the
 * broker may have given the same packet identifier to another message. Once {@link #close closed}
 * (connection lost, bridge closing) nothing more is acknowledged; the broker redelivers those
 * messages when the session resumes.
 *
 * <p>Thread-safe: Paho's callback thread adds, Kafka's producer thread completes. The window's lock
 * is held while handing a PUBACK to Paho (which only queues it for Paho's sender thread under
 * Paho's own lock); Paho never calls back into the window while holding that lock, and
 * {@link #close()} takes no lock, so the two locks cannot deadlock.
 */
final class AckWindow {
  private final MqttAsyncClient client;
  private final ArrayDeque<Inbound> pending = new ArrayDeque<>();
  /** Written without the lock, so Paho's loss callback never waits for a thread completing messages. */
  private volatile boolean open = true;

  AckWindow(MqttAsyncClient client) {
    this.client = client;
  }

  /** Registers a QoS 1 message in arrival order. */
  synchronized void add(Inbound m) {
    pending.addLast(m);
  }

  /**
   * Marks {@code m} complete and sends every PUBACK that is now due.
   *
   * @return how many PUBACKs this call handed to Paho
   */
  synchronized int complete(Inbound m) {
    m.done = true;
    int acked = 0;
    while (!pending.isEmpty() && pending.peekFirst().done) {
      Inbound head = pending.pollFirst();
      if (open) {
        try {
          client.messageArrivedComplete(head.messageId, head.qos);
          acked++;
        } catch (MqttException | RuntimeException e) {
          open = false; // the connection is going away; the broker will redeliver
        }
      }
    }
    return acked;
  }

  /** Whether acknowledgements still go out. */
  boolean isOpen() {
    return open;
  }

  /**
   * Stops acknowledging: the connection is gone or the bridge is closing. A {@link #complete}
   * running concurrently may still hand one PUBACK to the old Paho client, which never sends it.
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
