package fwi.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;

/**
 * A test-side MQTT 5 client (Paho) that records every message it receives, in arrival order, and
 * lets a test wait for conditions on them with a deadline instead of sleeping.
 *
 * <pre>{@code
 * try (MqttTestClient sub = MqttTestClient.connect(broker.url(), "cloud", "fwi/v1/dev/+/birth")) {
 *   MqttTestClient.Received birth = sub.await(m -> m.topic().endsWith("/birth"), Duration.ofSeconds(5));
 * }
 * }</pre>
 *
 * {@link #persistent} clients keep their session in the broker (clean start off, session expiry),
 * so nothing published while they are away (or while the broker restarts) is lost to them once
 * they connect again. Thread-safe.
 */
public final class MqttTestClient implements AutoCloseable {
  /**
   * One received message.
   *
   * @param contentType the MQTT 5 content type property, if set
   */
  public record Received(String topic, byte[] payload, boolean retained, int qos, boolean duplicate,
      Optional<String> contentType, MqttProperties properties) {
  }

  private final MqttAsyncClient client;
  private final List<Received> received = new ArrayList<>();

  private MqttTestClient(MqttAsyncClient client) {
    this.client = client;
  }

  /** Connects with clean start and subscribes to {@code filters} at QoS 1. */
  public static MqttTestClient connect(String url, String clientId, String... filters) throws MqttException {
    MqttConnectionOptions o = new MqttConnectionOptions();
    o.setCleanStart(true);
    return open(url, clientId, o, filters);
  }

  /**
   * Connects with clean start off and a session that outlives the connection by
   * {@code sessionExpiry}, and subscribes at QoS 1: while it is away the broker queues messages
   * for it, also across its own restarts (with persistence). It does not reconnect by itself
   * (Paho's automatic reconnect proved unreliable across broker restarts): connect again with
   * the same id to resume the session and receive what was queued.
   */
  public static MqttTestClient persistent(String url, String clientId, Duration sessionExpiry, String... filters)
      throws MqttException {
    MqttConnectionOptions o = new MqttConnectionOptions();
    o.setCleanStart(false);
    o.setSessionExpiryInterval(sessionExpiry.toSeconds());
    return open(url, clientId, o, filters);
  }

  private static MqttTestClient open(String url, String clientId, MqttConnectionOptions o, String... filters)
      throws MqttException {
    MqttAsyncClient c = new MqttAsyncClient(url, clientId, new MemoryPersistence());
    MqttTestClient t = new MqttTestClient(c);
    c.setCallback(t.new Recorder());
    o.setConnectionTimeout(5);
    o.setKeepAliveInterval(30);
    if (url.startsWith("tcp://")) {
      o.setSocketFactory(new NoDelay()); // PUBACKs must not wait for Nagle's algorithm
    }
    c.connect(o).waitForCompletion(10_000);
    if (filters.length > 0) {
      MqttSubscription[] subs = new MqttSubscription[filters.length];
      for (int i = 0; i < filters.length; i++) {
        subs[i] = new MqttSubscription(filters[i], 1);
      }
      IMqttToken token = c.subscribe(subs);
      token.waitForCompletion(10_000);
    }
    return t;
  }

  private static final class NoDelay extends javax.net.SocketFactory {
    @Override
    public java.net.Socket createSocket() throws java.io.IOException {
      java.net.Socket s = new java.net.Socket();
      s.setTcpNoDelay(true);
      return s;
    }

    @Override
    public java.net.Socket createSocket(String host, int port) {
      throw new UnsupportedOperationException("Paho creates unconnected sockets");
    }

    @Override
    public java.net.Socket createSocket(String host, int port, java.net.InetAddress localHost, int localPort) {
      throw new UnsupportedOperationException("Paho creates unconnected sockets");
    }

    @Override
    public java.net.Socket createSocket(java.net.InetAddress host, int port) {
      throw new UnsupportedOperationException("Paho creates unconnected sockets");
    }

    @Override
    public java.net.Socket createSocket(java.net.InetAddress address, int port, java.net.InetAddress localAddress,
        int localPort) {
      throw new UnsupportedOperationException("Paho creates unconnected sockets");
    }
  }

  private final class Recorder implements MqttCallback {
    @Override
    public void messageArrived(String topic, MqttMessage message) {
      MqttProperties p = message.getProperties() == null ? new MqttProperties() : message.getProperties();
      Received r = new Received(topic, message.getPayload(), message.isRetained(), message.getQos(),
          message.isDuplicate(), Optional.ofNullable(p.getContentType()), p);
      synchronized (received) {
        received.add(r);
        received.notifyAll();
      }
    }

    @Override
    public void disconnected(MqttDisconnectResponse response) {
    }

    @Override
    public void mqttErrorOccurred(MqttException exception) {
    }

    @Override
    public void deliveryComplete(IMqttToken token) {
    }

    @Override
    public void connectComplete(boolean reconnect, String serverURI) {
    }

    @Override
    public void authPacketArrived(int reasonCode, MqttProperties properties) {
    }
  }

  /** Everything received so far, in arrival order. */
  public List<Received> received() {
    synchronized (received) {
      return List.copyOf(received);
    }
  }

  /** How many messages arrived so far (cheap: no copy). */
  public int count() {
    synchronized (received) {
      return received.size();
    }
  }

  /** Received messages matching {@code filter}, in arrival order. */
  public List<Received> received(Predicate<Received> filter) {
    return received().stream().filter(filter).collect(Collectors.toList());
  }

  /**
   * The first message (received before or during the call) matching {@code p}.
   *
   * @throws AssertionError if none arrives within {@code timeout}
   */
  public Received await(Predicate<Received> p, Duration timeout) {
    List<Received> all = awaitUntil(list -> list.stream().anyMatch(p), timeout, "a matching message");
    return all.stream().filter(p).findFirst().orElseThrow();
  }

  /**
   * Waits until at least {@code count} received messages match {@code p} and returns them all.
   *
   * @throws AssertionError if fewer arrive within {@code timeout}
   */
  public List<Received> awaitCount(Predicate<Received> p, int count, Duration timeout) {
    awaitUntil(list -> list.stream().filter(p).count() >= count, timeout, count + " matching messages");
    return received(p);
  }

  /**
   * Waits until {@code condition} holds for the list of received messages.
   *
   * @return the messages received when it held
   * @throws AssertionError naming {@code what} and what arrived if it does not hold within {@code timeout}
   */
  public List<Received> awaitUntil(Predicate<List<Received>> condition, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (received) {
      while (!condition.test(java.util.Collections.unmodifiableList(received))) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("no " + what + " within " + timeout.toMillis() + " ms; received "
              + received.size() + " messages on topics "
              + received.stream().map(Received::topic).distinct().collect(Collectors.toList()));
        }
        try {
          received.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError("interrupted while waiting for " + what, e);
        }
      }
      return List.copyOf(received);
    }
  }

  /** Whether the client is connected now. */
  public boolean connected() {
    return client.isConnected();
  }

  /** Publishes at QoS 1 and waits for the PUBACK. */
  public void publish(String topic, byte[] payload, boolean retained) throws MqttException {
    client.publish(topic, payload, 1, retained).waitForCompletion(10_000);
  }

  /** Disconnects (normally, so a will is discarded) and closes. */
  @Override
  public void close() {
    try {
      if (client.isConnected()) {
        client.disconnect(1_000).waitForCompletion(5_000);
      }
    } catch (MqttException e) {
      // closing anyway
    }
    try {
      client.close(true);
    } catch (MqttException e) {
      // closed anyway
    }
  }
}
