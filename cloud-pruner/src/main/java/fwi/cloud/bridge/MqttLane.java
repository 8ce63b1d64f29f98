package fwi.cloud.bridge;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.SocketFactory;
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
import org.jboss.logging.Logger;

/**
 * One MQTT client of the bridge and the thread that forwards what it receives. Each lane owns:
 * a connect thread running its reconnect loop (a fresh Paho client per connection, so that
 * PUBACKs of a lost connection cannot leak into the next one, see {@link AckWindow}); the Paho
 * client of the current connection (clean start off, session expiry, receive maximum, manual
 * acknowledgements, shared subscriptions to the five device streams); and a forwarder thread that
 * takes messages off the queue Paho's callback fills and hands them to the {@link Sink} in arrival
 * order. Paho's callback thread only wraps and enqueues, so Kafka can never stall it; the queue is
 * bounded in practice by the receive maximum (QoS 1: the broker sends no more unacknowledged).
 *
 * <p>Thread-safe.
 */
final class MqttLane {
  private static final Logger LOG = Logger.getLogger(MqttLane.class);

  /** Where a lane's messages go. */
  interface Sink {
    /** A message arrived (Paho's callback thread); counts it, must be quick. */
    void arrived(Inbound m);

    /** Forwards a message (the lane's forwarder thread, in arrival order). */
    void forward(Inbound m);

    /** A message dropped before forwarding because its connection is gone: it stays unacknowledged. */
    void abandon(Inbound m);
  }

  /** One network connection: its Paho client and the PUBACKs it owes. */
  private static final class Connection {
    final MqttAsyncClient client;
    final AckWindow window;
    /** Connected and subscribed; cleared exactly once, by whoever notices the loss first. */
    final AtomicBoolean up = new AtomicBoolean();

    Connection(MqttAsyncClient client) {
      this.client = client;
      this.window = new AckWindow(client);
    }
  }

  private final BridgeSettings settings;
  private final String clientId;
  private final Sink sink;
  private final SocketFactory sockets;
  private final ScheduledExecutorService connector;
  private final Thread forwarder;
  private final BlockingQueue<Inbound> queue = new LinkedBlockingQueue<>();
  private volatile Connection current;
  private volatile boolean intake = true;
  private volatile boolean closed;
  private final LastError lastError;
  private long backoffMs;
  private boolean failureLogged;
  private boolean everConnected;

  MqttLane(BridgeSettings settings, int index, Sink sink, LastError lastError) {
    this.settings = settings;
    this.lastError = lastError;
    this.clientId = settings.mqttClientId(index);
    this.sink = sink;
    this.sockets = (settings.tls() ? fwi.runtime.net.NoDelaySockets.tls() : fwi.runtime.net.NoDelaySockets.plain());
    this.connector = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "fwi-bridge-connect-" + clientId));
    this.forwarder = daemon(this::forwardLoop, "fwi-bridge-forward-" + clientId);
    this.backoffMs = settings.reconnectMinDelay().toMillis();
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  String clientId() {
    return clientId;
  }

  /** Starts forwarding and connecting in the background; returns at once. */
  void start() {
    forwarder.start();
    connector.execute(this::connectOnce);
  }

  /** Connected and subscribed. */
  boolean connected() {
    Connection c = current;
    return c != null && c.up.get() && c.client.isConnected();
  }

  /** Messages received on the current connection and not yet acknowledged. */
  int unacknowledged() {
    Connection c = current;
    return c == null ? 0 : c.window.size();
  }

  /** When the oldest message of the current connection not yet acknowledged arrived, or {@code Long.MAX_VALUE}. */
  long oldestUnacknowledgedUnixMs() {
    Connection c = current;
    return c == null || !c.window.isOpen() ? Long.MAX_VALUE : c.window.oldestReceivedUnixMs();
  }


  /** Messages arriving from now on are not taken: they stay unacknowledged for the next session. */
  void stopIntake() {
    intake = false;
  }

  private void connectOnce() {
    if (closed) {
      return;
    }
    Connection old = current;
    if (old != null) {
      old.window.close();
      closeQuietly(old.client);
    }
    MqttAsyncClient client;
    try {
      client = new MqttAsyncClient(settings.mqttUrl(), clientId, new MemoryPersistence());
    } catch (MqttException | IllegalArgumentException e) {
      connectFailed("cannot create an MQTT client for " + settings.mqttUrl() + ": " + describe(e));
      return;
    }
    client.setManualAcks(true);
    Connection c = new Connection(client);
    client.setCallback(new Callbacks(c));
    current = c;
    long timeoutMs = settings.connectTimeout().toMillis() + 1000;
    try {
      client.connect(options()).waitForCompletion(timeoutMs);
      MqttSubscription[] subs = new MqttSubscription[DeviceStream.values().length];
      for (DeviceStream s : DeviceStream.values()) {
        MqttSubscription sub = new MqttSubscription(s.sharedFilter(settings.sharedGroup()), 1);
        // The retain flag then tells a cleared retained message (empty, retained) from a broken one.
        sub.setRetainAsPublished(true);
        subs[s.ordinal()] = sub;
      }
      IMqttToken t = client.subscribe(subs);
      t.waitForCompletion(timeoutMs);
      int[] codes = t.getReasonCodes();
      for (int i = 0; i < subs.length; i++) {
        int code = codes != null && codes.length > i ? codes[i] : 0x80;
        if (code >= 0x80) {
          throw new IllegalStateException("the broker refused subscription " + subs[i].getTopic()
              + " with reason code 0x" + Integer.toHexString(code));
        }
        if (code == 0) {
          LOG.warnf("the broker granted only QoS 0 for %s: messages may be lost", subs[i].getTopic());
        }
      }
    } catch (MqttException | IllegalStateException e) {
      c.window.close();
      closeQuietly(client);
      connectFailed(describe(e));
      return;
    }
    c.up.set(true);
    if (!client.isConnected() && c.up.compareAndSet(true, false)) {
      // Lost between SUBACK and here, before the loss callback could see the connection up.
      c.window.close();
      connectFailed("connection lost right after subscribing");
      return;
    }
    backoffMs = settings.reconnectMinDelay().toMillis();
    if (failureLogged || everConnected) {
      LOG.infof("MQTT client %s reconnected to %s", clientId, settings.mqttUrl());
    } else {
      LOG.infof("MQTT client %s connected to %s, shared group %s", clientId, settings.mqttUrl(),
          settings.sharedGroup());
    }
    failureLogged = false;
    everConnected = true;
  }

  private MqttConnectionOptions options() {
    MqttConnectionOptions o = new MqttConnectionOptions();
    o.setCleanStart(false);
    o.setSessionExpiryInterval(settings.sessionExpiry().getSeconds());
    o.setReceiveMaximum(settings.receiveMaximum());
    o.setAutomaticReconnect(false); // our loop: a fresh client per connection, see AckWindow
    o.setKeepAliveInterval((int) settings.keepAlive().getSeconds());
    o.setConnectionTimeout((int) settings.connectTimeout().getSeconds());
    settings.mqttUsername().ifPresent(o::setUserName);
    settings.mqttPassword().ifPresent(p -> o.setPassword(p.getBytes(StandardCharsets.UTF_8)));
    o.setSocketFactory(sockets);
    return o;
  }

  private void connectFailed(String why) {
    lastError.set("MQTT client " + clientId + ": " + why);
    if (closed) {
      return;
    }
    long delay = Math.round(backoffMs * ThreadLocalRandom.current().nextDouble(0.8, 1.2));
    if (!failureLogged) {
      LOG.warnf("MQTT client %s cannot connect to %s: %s; retrying in the background", clientId,
          settings.mqttUrl(), why);
      failureLogged = true;
    } else {
      LOG.debugf("MQTT client %s: connect failed: %s; next attempt in %d ms", clientId, why, delay);
    }
    backoffMs = Math.min(settings.reconnectMaxDelay().toMillis(), backoffMs * 2);
    schedule(delay);
  }

  private void schedule(long delayMs) {
    try {
      connector.schedule(this::connectOnce, delayMs, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // closing
    }
  }

  private static void closeQuietly(MqttAsyncClient client) {
    try {
      if (client.isConnected()) {
        client.disconnectForcibly(0, 100, false);
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

  static String describe(Throwable e) {
    if (e instanceof MqttException) {
      MqttException m = (MqttException) e;
      String cause = m.getCause() == null ? "" : " (" + m.getCause() + ")";
      return "reason " + m.getReasonCode() + ": " + m.getMessage() + cause;
    }
    return String.valueOf(e.getMessage());
  }

  private void forwardLoop() {
    while (true) {
      Inbound m;
      try {
        m = queue.poll(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        return; // close()
      }
      if (m == null) {
        if (closed) {
          return;
        }
        continue;
      }
      if (!m.window.isOpen()) {
        sink.abandon(m); // its connection is gone: the broker redelivers it, forwarding now only duplicates
        continue;
      }
      try {
        sink.forward(m);
      } catch (RuntimeException e) {
        LOG.errorf(e, "MQTT client %s: forwarding a message of %s failed; it stays unacknowledged", clientId, m.topic);
        sink.abandon(m);
      }
    }
  }

  /**
   * Stops this lane: no more forwarding (what is still queued is abandoned, unacknowledged), no
   * more PUBACKs, then a normal DISCONNECT that keeps the session, so the broker redelivers what
   * was not acknowledged when a client with this id connects again.
   */
  void close() {
    closed = true;
    intake = false;
    connector.shutdownNow();
    try {
      connector.awaitTermination(settings.connectTimeout().toMillis() + 2000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    forwarder.interrupt();
    try {
      forwarder.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Inbound m; (m = queue.poll()) != null; ) {
      sink.abandon(m);
    }
    Connection c = current;
    if (c != null) {
      c.window.close();
      c.up.set(false);
      try {
        if (c.client.isConnected()) {
          // The quiesce time lets PUBACKs already handed to Paho go out before the DISCONNECT.
          c.client.disconnect(1000).waitForCompletion(3000);
        }
      } catch (MqttException e) {
        LOG.debugf("MQTT client %s: disconnect failed: %s", clientId, describe(e));
      }
      closeQuietly(c.client);
    }
  }

  private final class Callbacks implements MqttCallback {
    private final Connection connection;

    Callbacks(Connection connection) {
      this.connection = connection;
    }

    @Override
    public void messageArrived(String topic, MqttMessage message) {
      if (!intake) {
        return; // closing: left unacknowledged for the next session
      }
      MqttProperties p = message.getProperties();
      Inbound m = new Inbound(connection.window, message.getId(), message.getQos(), topic, message.getPayload(),
          message.isRetained(), message.isDuplicate(),
          Optional.ofNullable(p == null ? null : p.getContentType()), System.currentTimeMillis());
      if (m.qos > 0) {
        connection.window.add(m);
      }
      sink.arrived(m);
      queue.add(m);
    }

    @Override
    public void disconnected(MqttDisconnectResponse response) {
      connection.window.close();
      if (!connection.up.compareAndSet(true, false) || closed || connection != current) {
        return; // closing, an old connection, or a failed attempt that connectOnce handles
      }
      String why = response.getException() != null ? describe(response.getException())
          : "broker sent DISCONNECT, reason " + response.getReturnCode()
              + (response.getReasonString() == null ? "" : " (" + response.getReasonString() + ")");
      lastError.set("MQTT client " + clientId + ": connection lost: " + why);
      LOG.warnf("MQTT client %s lost its connection to %s: %s; %d messages stay unacknowledged for redelivery;"
          + " reconnecting", clientId, settings.mqttUrl(), why, connection.window.size());
      schedule(Math.round(settings.reconnectMinDelay().toMillis() * ThreadLocalRandom.current().nextDouble(0.8, 1.2)));
    }

    @Override
    public void mqttErrorOccurred(MqttException exception) {
      LOG.debugf("MQTT client %s: %s", clientId, describe(exception));
    }

    @Override
    public void deliveryComplete(IMqttToken token) {
      // the bridge publishes nothing
    }

    @Override
    public void connectComplete(boolean reconnect, String serverURI) {
      // connectOnce continues after the CONNACK itself
    }

    @Override
    public void authPacketArrived(int reasonCode, MqttProperties properties) {
      // no enhanced authentication
    }
  }

}
