package fwi.cloud.ota;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import javax.net.SocketFactory;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttActionListener;
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
 * One MQTT 5 connection of an OTA publisher: connects in the background and again after every
 * loss (exponential backoff with jitter; Paho's own reconnect is off, as in the edge agent),
 * subscribes its filters on every connect (clean start: the broker keeps nothing for us), and
 * publishes QoS 1 messages with a bounded number in flight (the lower of our limit and the
 * broker's Receive Maximum), each completing a future at its PUBACK.
 *
 * <p>Incoming messages go to the handler on Paho's callback thread, which also delivers PUBACKs:
 * the handler must hand work off and return at once. Thread-safe.
 */
final class MqttLink implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(MqttLink.class);
  static final String CONTENT_TYPE = "application/x-protobuf";
  static final int QOS = 1;

  /** Receives messages on Paho's callback thread; must not block. */
  interface Handler {
    void onMessage(String topic, MqttMessage message);
  }

  /** One connection, from CONNACK to loss. */
  private static final class Session {
    static final Session NONE = new Session(0, 0, Long.MAX_VALUE);
    final long epoch;
    final Semaphore slots;
    final long maxPacketBytes;
    final Set<CompletableFuture<Void>> pending = ConcurrentHashMap.newKeySet();
    volatile boolean up;

    Session(long epoch, int limit, long maxPacketBytes) {
      this.epoch = epoch;
      this.slots = new Semaphore(limit);
      this.maxPacketBytes = maxPacketBytes;
    }
  }

  private final MqttSettings settings;
  private final List<String> filters;
  private final Handler handler;
  private final MqttAsyncClient client;
  private final ScheduledExecutorService connector;
  private final Object connectedSignal = new Object();
  private volatile Session session = Session.NONE;
  private volatile boolean closing;
  private long epochs;
  private long backoffMs;
  private boolean failureLogged;
  private boolean everConnected;

  MqttLink(MqttSettings settings, List<String> filters, Handler handler) {
    this.settings = settings;
    this.filters = List.copyOf(filters);
    this.handler = handler;
    try {
      this.client = new MqttAsyncClient(settings.brokerUrl(), settings.clientId(), new MemoryPersistence());
    } catch (MqttException e) {
      throw new IllegalArgumentException("cannot create an MQTT client for " + settings + ": " + e.getMessage(), e);
    }
    client.setCallback(new Callbacks());
    this.connector = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "fwi-ota-mqtt-connect-" + settings.clientId());
      t.setDaemon(true);
      return t;
    });
    this.backoffMs = settings.reconnectMinDelay().toMillis();
  }

  /** Starts connecting in the background; returns at once. */
  void start() {
    schedule(0);
  }

  boolean connected() {
    return session.up;
  }

  /** Waits until connected and subscribed; false if that did not happen within {@code timeoutMs}. */
  boolean awaitConnected(long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    synchronized (connectedSignal) {
      while (!session.up) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(connectedSignal, left);
      }
      return true;
    }
  }

  /**
   * Publishes at QoS 1, waiting up to {@code slotWaitMs} for an in-flight slot.
   *
   * @param expirySeconds MQTT 5 message expiry interval; 0 for none
   * @return completes at the PUBACK, or exceptionally with a {@link PublishFailedException}
   */
  CompletableFuture<Void> publish(String topic, byte[] payload, boolean retained, long expirySeconds, long slotWaitMs) {
    Session s = session;
    if (!s.up) {
      return failed("not connected to " + settings.brokerUrl(), true);
    }
    long packet = publishPacketBytes(topic, payload.length);
    if (packet > s.maxPacketBytes) {
      return failed("a " + packet + "-byte PUBLISH on " + topic + " exceeds the broker's Maximum Packet Size of "
          + s.maxPacketBytes + " bytes", false);
    }
    try {
      if (!s.slots.tryAcquire(slotWaitMs, TimeUnit.MILLISECONDS)) {
        return failed("no in-flight slot within " + slotWaitMs + " ms (the broker acknowledges too slowly)", true);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return failed("interrupted while waiting for an in-flight slot", true);
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    s.pending.add(done);
    done.whenComplete((v, e) -> {
      s.pending.remove(done);
      s.slots.release();
    });
    if (!s.up) {
      done.completeExceptionally(new PublishFailedException("connection lost before publishing on " + topic, true, null));
      return done;
    }
    MqttProperties props = new MqttProperties();
    props.setContentType(CONTENT_TYPE);
    if (expirySeconds > 0) {
      props.setMessageExpiryInterval(expirySeconds);
    }
    try {
      client.publish(topic, new MqttMessage(payload, QOS, retained, props), null, new Delivery(topic, done));
    } catch (MqttException | RuntimeException e) {
      done.completeExceptionally(new PublishFailedException("publish on " + topic + " failed: " + describe(e), true, e));
    }
    return done;
  }

  @Override
  public void close() {
    closing = true;
    connector.shutdownNow();
    Session s = session;
    s.up = false;
    failPending(s, "publisher closed");
    try {
      if (client.isConnected()) {
        client.disconnect(1_000).waitForCompletion(5_000);
      }
    } catch (MqttException e) {
      LOG.debugf("MQTT disconnect of %s: %s", settings.clientId(), describe(e));
    }
    try {
      client.close(true);
    } catch (MqttException e) {
      LOG.debugf("MQTT close of %s: %s", settings.clientId(), describe(e));
    }
  }

  private void connectOnce() {
    if (closing || session.up) {
      return;
    }
    IMqttToken token;
    try {
      token = client.connect(options());
      token.waitForCompletion(settings.connectTimeout().toMillis() + 5_000);
    } catch (MqttException e) {
      connectFailed(describe(e));
      return;
    }
    MqttProperties connack = token.getResponseProperties() == null ? new MqttProperties()
        : token.getResponseProperties();
    int receiveMax = connack.getReceiveMaximum() == null ? 65535 : connack.getReceiveMaximum();
    long maxPacket = connack.getMaximumPacketSize() == null ? Long.MAX_VALUE : connack.getMaximumPacketSize();
    Session s = new Session(++epochs, Math.max(1, Math.min(settings.maxInFlight(), receiveMax)), maxPacket);
    try {
      if (!filters.isEmpty()) {
        MqttSubscription[] subs = filters.stream().map(f -> new MqttSubscription(f, QOS))
            .toArray(MqttSubscription[]::new);
        IMqttToken sub = client.subscribe(subs);
        sub.waitForCompletion(settings.connectTimeout().toMillis() + 5_000);
        int[] codes = sub.getReasonCodes();
        for (int i = 0; codes != null && i < codes.length; i++) {
          if (codes[i] >= 0x80) {
            throw new MqttException(new IOException("subscription to '" + filters.get(Math.min(i, filters.size() - 1))
                + "' refused with reason code 0x" + Integer.toHexString(codes[i])));
          }
        }
      }
    } catch (MqttException e) {
      forceDisconnect();
      connectFailed("after connecting: " + describe(e));
      return;
    }
    session = s;
    s.up = true;
    if (!client.isConnected()) {
      s.up = false;
      connectFailed("connection lost right after connecting");
      return;
    }
    synchronized (connectedSignal) {
      connectedSignal.notifyAll();
    }
    backoffMs = settings.reconnectMinDelay().toMillis();
    if (everConnected || failureLogged) {
      LOG.infof("MQTT connection of %s to %s regained", settings.clientId(), settings.brokerUrl());
    } else {
      LOG.infof("MQTT connected to %s as %s%s", settings.brokerUrl(), settings.clientId(),
          filters.isEmpty() ? "" : ", subscribed to " + filters);
    }
    everConnected = true;
    failureLogged = false;
  }

  private MqttConnectionOptions options() {
    MqttConnectionOptions o = new MqttConnectionOptions();
    o.setCleanStart(true);
    o.setSessionExpiryInterval(0L);
    o.setAutomaticReconnect(false);
    o.setKeepAliveInterval((int) settings.keepAlive().toSeconds());
    o.setConnectionTimeout((int) Math.max(1, (settings.connectTimeout().toMillis() + 999) / 1000));
    settings.username().ifPresent(o::setUserName);
    settings.password().ifPresent(p -> o.setPassword(p.getBytes(StandardCharsets.UTF_8)));
    o.setSocketFactory(settings.socketFactory().orElseGet(NoDelay::new));
    return o;
  }

  private void connectFailed(String why) {
    if (closing) {
      return;
    }
    long delay = Math.round(backoffMs * ThreadLocalRandom.current().nextDouble(0.8, 1.2));
    if (!failureLogged) {
      LOG.warnf("MQTT client %s cannot connect to %s: %s; retrying in the background", settings.clientId(),
          settings.brokerUrl(), why);
      failureLogged = true;
    } else {
      LOG.debugf("MQTT connect of %s failed: %s; next attempt in %d ms", settings.clientId(), why, delay);
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

  private void forceDisconnect() {
    try {
      client.disconnectForcibly(0, 1_000, false);
    } catch (MqttException e) {
      LOG.debugf("forced disconnect of %s: %s", settings.clientId(), describe(e));
    }
  }

  private static void failPending(Session s, String why) {
    for (CompletableFuture<Void> f : List.copyOf(s.pending)) {
      f.completeExceptionally(new PublishFailedException(why + "; the message may or may not have arrived", true, null));
    }
  }

  private static CompletableFuture<Void> failed(String why, boolean retriable) {
    return CompletableFuture.failedFuture(new PublishFailedException(why, retriable, null));
  }

  /** Upper bound of a QoS 1 PUBLISH packet of ours: fixed header, topic, packet id, properties, payload. */
  static long publishPacketBytes(String topic, int payloadBytes) {
    int properties = 1 + 2 + CONTENT_TYPE.length() + 5 + 3;
    long remaining = 2L + topic.getBytes(StandardCharsets.UTF_8).length + 2 + 1 + properties + payloadBytes;
    int lengthBytes = remaining < 128 ? 1 : remaining < 16_384 ? 2 : remaining < 2_097_152 ? 3 : 4;
    return 1 + lengthBytes + remaining;
  }

  /** The exception and its causes in one line. */
  static String describe(Throwable e) {
    StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage()));
    if (e instanceof MqttException m) {
      sb.append(" (reason ").append(m.getReasonCode()).append(')');
    }
    int depth = 0;
    for (Throwable c = e.getCause(); c != null && depth < 5; c = c.getCause(), depth++) {
      String m = c.getMessage();
      if (m == null || !sb.toString().contains(m)) {
        sb.append(": ").append(c.getClass().getSimpleName()).append(m == null ? "" : ": " + m);
      }
    }
    return sb.toString();
  }

  private final class Delivery implements MqttActionListener {
    private final String topic;
    private final CompletableFuture<Void> done;

    Delivery(String topic, CompletableFuture<Void> done) {
      this.topic = topic;
      this.done = done;
    }

    @Override
    public void onSuccess(IMqttToken token) {
      int[] codes = token.getReasonCodes();
      if (codes != null) {
        for (int c : codes) {
          if (c >= 0x80) {
            done.completeExceptionally(new PublishFailedException("broker refused the message on " + topic
                + " with reason code 0x" + Integer.toHexString(c), false, null));
            return;
          }
        }
      }
      done.complete(null);
    }

    @Override
    public void onFailure(IMqttToken token, Throwable e) {
      done.completeExceptionally(new PublishFailedException("publish on " + topic + " failed: " + describe(e), true, e));
    }
  }

  private final class Callbacks implements MqttCallback {
    @Override
    public void disconnected(MqttDisconnectResponse response) {
      Session s = session;
      if (!s.up) {
        return; // a failed connect attempt, retried by connectOnce
      }
      s.up = false;
      failPending(s, "connection lost");
      if (closing) {
        return;
      }
      String why = response.getException() != null ? describe(response.getException())
          : "broker sent DISCONNECT, reason " + response.getReturnCode();
      LOG.warnf("MQTT connection of %s to %s lost: %s; reconnecting", settings.clientId(), settings.brokerUrl(), why);
      schedule(Math.round(settings.reconnectMinDelay().toMillis() * ThreadLocalRandom.current().nextDouble(0.8, 1.2)));
    }

    @Override
    public void mqttErrorOccurred(MqttException exception) {
      LOG.debugf("MQTT error on %s: %s", settings.clientId(), describe(exception));
    }

    @Override
    public void messageArrived(String topic, MqttMessage message) {
      try {
        handler.onMessage(topic, message);
      } catch (RuntimeException e) {
        LOG.errorf(e, "handler of %s failed on a message of %s", settings.clientId(), topic);
      }
    }

    @Override
    public void deliveryComplete(IMqttToken token) {
      // Completion goes through each publish's Delivery listener.
    }

    @Override
    public void connectComplete(boolean reconnect, String serverURI) {
      // connectOnce continues after the CONNACK itself.
    }

    @Override
    public void authPacketArrived(int reasonCode, MqttProperties properties) {
      // No enhanced authentication.
    }
  }

  /** Plain sockets with TCP_NODELAY: PUBACKs and small requests must not wait for Nagle's algorithm. */
  private static final class NoDelay extends SocketFactory {
    @Override
    public Socket createSocket() throws IOException {
      Socket s = new Socket();
      s.setTcpNoDelay(true);
      return s;
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      Socket s = new Socket(host, port);
      s.setTcpNoDelay(true);
      return s;
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
      Socket s = new Socket(host, port, localHost, localPort);
      s.setTcpNoDelay(true);
      return s;
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      Socket s = new Socket(host, port);
      s.setTcpNoDelay(true);
      return s;
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
        throws IOException {
      Socket s = new Socket(address, port, localAddress, localPort);
      s.setTcpNoDelay(true);
      return s;
    }
  }
}
