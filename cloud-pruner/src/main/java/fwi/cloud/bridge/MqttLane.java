package fwi.cloud.bridge;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.SocketFactory;
import org.jboss.logging.Logger;

/**
 * One MQTT client of the bridge and the thread that forwards what it receives. Each lane owns:
 * a connect thread running its reconnect loop (a fresh {@link WireSubscriber} per connection, so
 * that PUBACKs of a lost connection cannot leak into the next one, see {@link AckWindow}); the
 * current connection (clean start off, session expiry, receive maximum, PUBACKs only when Kafka
 * has the message, shared subscriptions to the five device streams); and a forwarder thread that
 * takes messages off the queue the connection's reader thread fills and hands them to the
 * {@link Sink} in arrival order. The reader only wraps and enqueues, so Kafka can never stall it;
 * the queue is bounded in practice by the receive maximum (QoS 1: the broker sends no more
 * unacknowledged).
 *
 * <p>Thread-safe.
 */
final class MqttLane {
  private static final Logger LOG = Logger.getLogger(MqttLane.class);

  /** Where a lane's messages go. */
  interface Sink {
    /** A message arrived (the connection's reader thread); counts it, must be quick. */
    void arrived(Inbound m);

    /** Forwards a message (the lane's forwarder thread, in arrival order). */
    void forward(Inbound m);

    /** A message dropped before forwarding because its connection is gone: it stays unacknowledged. */
    void abandon(Inbound m);
  }

  /** One network connection and the PUBACKs it owes. */
  private static final class Connection {
    final WireSubscriber wire;
    final AckWindow window;
    /** Connected and subscribed; cleared exactly once, by whoever notices the loss first. */
    final AtomicBoolean up = new AtomicBoolean();

    Connection(WireSubscriber wire) {
      this.wire = wire;
      this.window = new AckWindow(wire);
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
    return c != null && c.up.get() && c.wire.isOpen();
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
      old.wire.close();
    }
    Connection c;
    try {
      c = new Connection(WireSubscriber.connect(options()).connection());
    } catch (IOException | IllegalArgumentException e) {
      connectFailed(describe(e));
      return;
    }
    current = c;
    c.wire.start(new Callbacks(c));
    try {
      List<String> filters = Arrays.stream(DeviceStream.values()).map(s -> s.sharedFilter(settings.sharedGroup())).toList();
      // Retain-as-published: the retain flag then tells a cleared retained message (empty, retained) from a broken one.
      int[] codes = c.wire.subscribe(filters);
      for (int i = 0; i < filters.size(); i++) {
        if (codes[i] >= 0x80) {
          throw new IOException("the broker refused subscription " + filters.get(i) + " with reason code 0x"
              + Integer.toHexString(codes[i]));
        }
        if (codes[i] == 0) {
          LOG.warnf("the broker granted only QoS 0 for %s: messages may be lost", filters.get(i));
        }
      }
    } catch (IOException e) {
      c.window.close();
      c.wire.close();
      connectFailed(describe(e));
      return;
    }
    c.up.set(true);
    if (!c.wire.isOpen() && c.up.compareAndSet(true, false)) {
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

  private WireSubscriber.Options options() {
    return new WireSubscriber.Options(settings.mqttUrl(), clientId, settings.mqttUsername(), settings.mqttPassword(),
        false, settings.sessionExpiry().getSeconds(), settings.receiveMaximum(), (int) settings.keepAlive().getSeconds(),
        settings.connectTimeout(), WireSubscriber.MAX_REMAINING_LENGTH, sockets);
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

  static String describe(Throwable e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return e.getCause() == null || e.getCause().getMessage() == null ? m : m + " (" + e.getCause().getMessage() + ")";
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
      c.wire.close(); // a normal DISCONNECT: the broker keeps the session and redelivers what was not acknowledged
    }
  }

  private final class Callbacks implements WireSubscriber.Listener {
    private final Connection connection;

    Callbacks(Connection connection) {
      this.connection = connection;
    }

    @Override
    public void message(WireSubscriber.Publish p) {
      if (!intake) {
        return; // closing: left unacknowledged for the next session
      }
      Inbound m = new Inbound(connection.window, p.packetId(), p.qos(), p.topic(), p.payload(), p.retain(),
          p.duplicate(), p.contentType(), System.currentTimeMillis());
      if (m.qos > 0) {
        connection.window.add(m);
      }
      sink.arrived(m);
      queue.add(m);
    }

    @Override
    public void lost(String why) {
      connection.window.close();
      if (!connection.up.compareAndSet(true, false) || closed || connection != current) {
        return; // closing, an old connection, or a failed attempt that connectOnce handles
      }
      lastError.set("MQTT client " + clientId + ": connection lost: " + why);
      LOG.warnf("MQTT client %s lost its connection to %s: %s; %d messages stay unacknowledged for redelivery;"
          + " reconnecting", clientId, settings.mqttUrl(), why, connection.window.size());
      schedule(Math.round(settings.reconnectMinDelay().toMillis() * ThreadLocalRandom.current().nextDouble(0.8, 1.2)));
    }
  }
}
