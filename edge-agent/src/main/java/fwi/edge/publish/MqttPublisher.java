package fwi.edge.publish;

import com.google.protobuf.MessageLite;
import fwi.proto.v1.Birth;
import fwi.proto.v1.Death;
import fwi.proto.v1.DeathReason;
import fwi.proto.v1.Header;
import fwi.proto.v1.SequenceSkip;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.net.SocketFactory;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttActionListener;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttClientException;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.eclipse.paho.mqttv5.common.util.MqttTopicValidator;
import org.jboss.logging.Logger;

/**
 * The device's MQTT 5 connection: publishes its streams through a disk-backed {@link Outbox}
 * (QoS 1, at-least-once, in order, across broker outages and agent restarts), announces itself
 * with a retained Birth and a retained Death will, and delivers subscribed messages.
 *
 * <h2>Connection</h2>
 * One Paho {@link MqttAsyncClient} (client id = device id, clean start, session expiry 0,
 * in-memory Paho persistence: the outbox is the persistence). The publisher runs its own
 * reconnect loop, because the will must change with every connect: before each attempt it
 * increments the persisted {@code session_seq} and registers as will a retained QoS 1
 * {@code Death{session_seq, CONNECTION_LOST}} on {@code fwi/v1/dev/{id}/death}. Right after the
 * CONNACK it publishes a retained QoS 1 {@code Birth} with the same {@code session_seq}, then
 * renews every {@link #subscribe subscription}, then lets the sender resume. Failed attempts are
 * retried with exponential backoff ({@link PublisherSettings#reconnectMinDelay()} to
 * {@link PublisherSettings#reconnectMaxDelay()}); the broker being down at {@link #start()} is
 * just the first failed attempt. Loss and regain of the connection are logged once each.
 *
 * <h2>Sending</h2>
 * {@link #publish} stamps the {@link Header} (schema version 1, sender = device id, the stream's
 * next persisted sequence number, wall-clock time), appends the bytes to the outbox and returns;
 * it never waits for the network. One sender thread drains the outbox in enqueue order with at
 * most {@link PublisherSettings#maxInFlight()} messages unacknowledged (capped by the broker's
 * receive maximum less two, leaving room for Birth and {@link #publishNow}), and removes an entry
 * when its PUBACK arrives. After a reconnect the sender starts again from the oldest
 * unacknowledged entry, so per stream the broker sees sequence numbers in increasing order, with
 * possible repeats of the last few (duplicates, dropped by readers), never a lower number after a
 * higher one of the same connection. A PUBACK with an error reason (for example not authorized)
 * also removes the entry, since resending cannot help, and so does a message above the broker's
 * Maximum Packet Size, which is never sent (Paho would drop the connection over it, after every
 * reconnect again); both are logged and counted ({@link #rejectedCount()}). Every message carries
 * the content type {@value #CONTENT_TYPE}.
 *
 * <p>A PUBACK with reason 0x10 (No matching subscribers) is not an error but not a delivery either:
 * the broker accepted the message and gave it to nobody, so it would be lost. The entry stays in the
 * outbox, the sender holds back (0.5 s, doubling to 8 s while it keeps happening) and then sends
 * again from the oldest unacknowledged entry. This keeps results safe while the cloud's subscriber
 * is missing: a bridge being restarted, or a broker restart that forgets shared subscriptions
 * (Mosquitto 2.0.11 restores a persistent session's plain subscriptions after a restart, not its
 * {@code $share} ones, until the owner reconnects). Counted in {@link #unmatchedCount()}.
 *
 * <h2>Sequences</h2>
 * {@code Header.sequence} is counted per message type: one counter per {@link Stream}, one for
 * Birth, one for Death (see {@link SequenceStore}: never reused across restarts). After an
 * unclean stop the numbers of the buffered streams that were reserved but never appended to the
 * outbox are skipped, and every Birth announces them ({@code Birth.skipped_sequences}), so a reader
 * can tell a skip from a lost message; numbers of ota/get, Birth and Death skip silently. Each will takes the next Death number; the shutdown Death of {@link #close()} reuses the
 * header of the will it replaces, so a reader that sees both (a failed disconnect) drops the
 * second as a duplicate.
 *
 * <p>Thread-safe. Threads: the sender, the reconnect loop, one handler thread for subscriptions,
 * and Paho's own; slow work never runs on Paho's callback thread.
 */
public final class MqttPublisher implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(MqttPublisher.class);
  /** Content type of every message, also set on the will. */
  public static final String CONTENT_TYPE = "application/x-protobuf";
  private static final int SEQUENCE_BLOCK = 100;
  private static final String BIRTH = "birth";
  private static final String DEATH = "death";
  /** Slots of the broker's receive maximum the sender leaves free for Birth and publishNow. */
  private static final int RESERVED_IN_FLIGHT = 2;
  /** MQTT 5 PUBACK reason: the broker accepted the message but no subscription matched it. */
  private static final int NO_MATCHING_SUBSCRIBERS = 0x10;
  private static final long NO_SUBSCRIBER_HOLD_MIN_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
  private static final long NO_SUBSCRIBER_HOLD_MAX_NANOS = TimeUnit.SECONDS.toNanos(8);

  private record Subscription(String filter, BiConsumer<String, byte[]> handler) {
  }

  private final PublisherSettings settings;
  private final DeviceTopics topics;
  private final Supplier<Birth.Builder> birth;
  private final Outbox outbox;
  private final SequenceStore sequences;
  private final SocketFactory socketFactory;
  private final MqttAsyncClient client;
  private final EnumMap<Stream, Object> streamLocks = new EnumMap<>(Stream.class);
  private final EnumMap<Stream, AtomicLong> sent = new EnumMap<>(Stream.class);
  private final EnumMap<Stream, String> streamTopics = new EnumMap<>(Stream.class);
  private final AtomicLong rejected = new AtomicLong();
  private final AtomicLong unmatched = new AtomicLong();
  /** While not 0: {@link System#nanoTime()} before which the sender holds back (a PUBACK said no subscriber). */
  private volatile long holdUntilNanos;
  private volatile long holdNanos = NO_SUBSCRIBER_HOLD_MIN_NANOS;
  private volatile boolean unmatchedLogged;
  private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
  private final ConcurrentLinkedQueue<Long> acks = new ConcurrentLinkedQueue<>();
  /**
   * Held around every call that puts a message on the wire and around connect: a publish can
   * never reach a new connection before the sender has rewound the outbox for it.
   */
  private final ReentrantLock wire = new ReentrantLock();
  private final ScheduledExecutorService connector;
  private final ExecutorService handlers;
  private final Thread sender;
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile boolean stopping;
  private volatile Session session = Session.NONE;
  private volatile Optional<String> lastConnectError = Optional.empty();
  private long epochs;
  private long backoffMs;
  private boolean failureLogged;
  private boolean everConnected;

  /**
   * Opens the outbox and the sequence counters in {@link PublisherSettings#outboxDir()}; does
   * not connect yet (see {@link #start()}).
   *
   * @param birth supplies, for each connect, a Birth with profile, capabilities, agent version,
   *     running model and agent start time filled in; the publisher sets header and session_seq.
   *     Called on the connect thread while sending is held back: keep it quick
   * @throws IllegalArgumentException if the TLS trust files cannot be read (naming them)
   * @throws IOException if the outbox directory cannot be opened
   */
  public MqttPublisher(PublisherSettings settings, Supplier<Birth.Builder> birth) throws IOException {
    if (settings == null || birth == null) {
      throw new IllegalArgumentException(
          "settings and birth supplier must be set, but were " + settings + ", " + birth);
    }
    this.settings = settings;
    this.topics = new DeviceTopics(settings.deviceId());
    this.birth = birth;
    this.socketFactory = Sockets.factory(settings);
    for (Stream s : Stream.values()) {
      streamLocks.put(s, new Object());
      sent.put(s, new AtomicLong());
      streamTopics.put(s, topics.of(s));
    }
    this.outbox = Outbox.open(settings.outboxDir(), settings.outboxMaxBytes(), settings.fsync());
    try {
      // The outbox append is where a message of a buffered stream becomes durable (and its number
      // used): its high-water marks tell exactly which reserved numbers an unclean stop skipped.
      Map<String, Long> durable = new HashMap<>();
      for (Stream st : Stream.values()) {
        if (st != Stream.OTA_GET) {
          durable.put(st.topicSuffix(), outbox.highestSequence(st));
        }
      }
      this.sequences = SequenceStore.open(settings.outboxDir(), SEQUENCE_BLOCK, durable);
    } catch (IOException | RuntimeException e) {
      outbox.close();
      throw e;
    }
    for (SequenceStore.Skip k : sequences.skippedAtOpen()) {
      LOG.warnf("the agent stopped uncleanly: %s messages %d..%d were reserved but never made durable; they are"
          + " never sent and every Birth announces the range", k.type(), k.first(), k.last());
    }
    try {
      this.client = new MqttAsyncClient(settings.brokerUrl(), settings.deviceId(), new MemoryPersistence());
    } catch (MqttException | IllegalArgumentException e) {
      outbox.close();
      throw new IllegalArgumentException(
          "broker URL '" + settings.brokerUrl() + "' is not usable: " + e.getMessage(), e);
    }
    client.setCallback(new Callbacks());
    String id = settings.deviceId();
    this.connector = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "fwi-mqtt-connect-" + id));
    this.handlers = Executors.newSingleThreadExecutor(r -> daemon(r, "fwi-mqtt-handler-" + id));
    this.sender = daemon(this::sendLoop, "fwi-mqtt-sender-" + id);
    this.backoffMs = settings.reconnectMinDelay().toMillis();
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /**
   * Starts sending and connecting in the background; returns at once and never fails for the
   * broker being unreachable (see {@link #lastConnectError()}). Idempotent.
   */
  public void start() {
    if (closed.get()) {
      throw new IllegalStateException("publisher of device " + settings.deviceId() + " is closed");
    }
    if (started.compareAndSet(false, true)) {
      sender.start();
      connector.execute(this::connectOnce);
    }
  }

  /**
   * Buffers one message of {@code stream} for sending: builds it with a fresh header, appends it
   * to the outbox and wakes the sender. Works while disconnected; never waits for the network.
   *
   * @param build makes the message around the given header (which it must carry as field 1,
   *     unchanged), e.g. {@code h -> Telemetry.newBuilder().setHeader(h)...build()}
   * @return the message's sequence number
   * @throws IllegalArgumentException for {@link Stream#OTA_GET} (use {@link #publishNow}), if the
   *     message does not carry the header, or if it is larger than the outbox bound
   * @throws UncheckedIOException if the outbox or the sequence counters cannot be written
   * @throws IllegalStateException if the publisher is closed
   */
  public long publish(Stream stream, Function<Header, ? extends MessageLite> build) {
    checkArguments(stream, build);
    if (stream == Stream.OTA_GET) {
      throw new IllegalArgumentException("stream OTA_GET is not buffered: send block requests with publishNow");
    }
    ensureOpen();
    long sequence;
    synchronized (streamLocks.get(stream)) {
      String type = stream.topicSuffix();
      sequence = sequences.peek(type);
      byte[] payload = serialize(stream, sequence, build);
      outbox.append(stream, sequence, payload);
      sequences.commit(type, sequence);
    }
    LockSupport.unpark(sender);
    return sequence;
  }

  /**
   * Sends one {@link Stream#OTA_GET} message right away, unbuffered: a block request is only
   * useful while the device waits for the answer. Does not wait for the PUBACK.
   *
   * @return true if handed to the connection; false if not connected (or the broker's in-flight
   *     window is full), in which case no sequence number is used up
   * @throws IllegalArgumentException for any stream but {@link Stream#OTA_GET}, or if the message
   *     does not carry the header
   */
  public boolean publishNow(Stream stream, Function<Header, ? extends MessageLite> build) {
    checkArguments(stream, build);
    if (stream != Stream.OTA_GET) {
      throw new IllegalArgumentException("only stream OTA_GET is sent unbuffered, but was " + stream + "; use publish");
    }
    ensureOpen();
    if (!session.up.get()) {
      return false;
    }
    synchronized (streamLocks.get(stream)) {
      String type = stream.topicSuffix();
      long sequence = sequences.peek(type);
      byte[] payload = serialize(stream, sequence, build);
      wire.lock();
      try {
        Session s = session;
        if (!s.up.get()) {
          return false;
        }
        client.publish(streamTopics.get(stream), Wire.message(payload, false), null, new Delivery(s, stream, -1));
      } catch (MqttException e) {
        LOG.debugf("publishNow %s not sent: %s", stream, e);
        return false;
      } finally {
        wire.unlock();
      }
      sequences.commit(type, sequence);
      return true;
    }
  }

  private static void checkArguments(Stream stream, Function<Header, ? extends MessageLite> build) {
    if (stream == null || build == null) {
      throw new IllegalArgumentException("stream and build function must be set, but were " + stream + ", " + build);
    }
  }

  private byte[] serialize(Stream stream, long sequence, Function<Header, ? extends MessageLite> build) {
    Header header = Wire.header(settings.deviceId(), sequence);
    MessageLite message = build.apply(header);
    if (message == null) {
      throw new IllegalArgumentException("the build function of stream " + stream + " returned null");
    }
    byte[] payload = message.toByteArray();
    Wire.checkHeader(stream, payload, header);
    return payload;
  }

  /**
   * Registers {@code handler} for messages on {@code topicFilter} (QoS 1), now if connected and
   * again after every reconnect. Handlers run one at a time on the publisher's handler thread,
   * never on Paho's; a message matching several filters goes to each of their handlers. Incoming
   * messages are acknowledged when handed to that thread, so one that is queued when the agent
   * dies is lost (OTA re-requests its blocks).
   *
   * @throws IllegalArgumentException if {@code topicFilter} is not a valid MQTT topic filter
   */
  public void subscribe(String topicFilter, BiConsumer<String, byte[]> handler) {
    try {
      MqttTopicValidator.validate(topicFilter, true, true);
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException("topic filter must be a valid MQTT topic filter, but was '" + topicFilter
          + "'", e);
    }
    if (handler == null) {
      throw new IllegalArgumentException("handler of topic filter '" + topicFilter + "' must be set, but was null");
    }
    ensureOpen();
    wire.lock();
    try {
      subscriptions.add(new Subscription(topicFilter, handler));
      if (session.up.get()) {
        client.subscribe(new MqttSubscription(topicFilter, Wire.QOS));
      }
    } catch (MqttException e) {
      LOG.debugf("subscribe %s deferred to the next connect: %s", topicFilter, e);
    } finally {
      wire.unlock();
    }
  }

  private void connectOnce() {
    if (stopping || session.up.get()) {
      return;
    }
    long sessionSeq;
    Death will;
    try {
      sessionSeq = sequences.nextSession();
      will = Death.newBuilder().setHeader(Wire.header(settings.deviceId(), sequences.next(DEATH)))
          .setSessionSeq(sessionSeq)
          .setReason(DeathReason.DEATH_REASON_CONNECTION_LOST).build();
    } catch (RuntimeException e) {
      connectFailed("cannot store the session counter: " + e.getMessage());
      return;
    }
    MqttConnectionOptions options = options();
    options.setWill(topics.death(), Wire.message(will.toByteArray(), true));
    MqttProperties willProps = new MqttProperties();
    willProps.setContentType(CONTENT_TYPE);
    options.setWillMessageProperties(willProps);
    IMqttToken token;
    try {
      wire.lock();
      try {
        token = client.connect(options);
      } finally {
        wire.unlock();
      }
      token.waitForCompletion(settings.connectTimeout().toMillis() + 5_000);
      if (!token.isComplete()) {
        throw new MqttException(new IOException("no CONNACK within " + settings.connectTimeout().toMillis() + " ms"));
      }
    } catch (MqttException e) {
      if (e.getReasonCode() == MqttClientException.REASON_CODE_CLIENT_CONNECTED) {
        forceDisconnect(true); // connected without a session of ours: should not happen, recover anyway
      }
      connectFailed(Wire.describe(e));
      return;
    }
    MqttProperties connack = token.getResponseProperties() == null ? new MqttProperties()
        : token.getResponseProperties();
    int receiveMax = connack.getReceiveMaximum() == null ? 65535 : connack.getReceiveMaximum();
    int limit = Math.max(1, Math.min(settings.maxInFlight(), receiveMax - RESERVED_IN_FLIGHT));
    long maxPacket = connack.getMaximumPacketSize() == null ? Long.MAX_VALUE : connack.getMaximumPacketSize();
    Session s = new Session(++epochs, sessionSeq, will, limit, maxPacket);
    Optional<String> failure = Optional.empty();
    wire.lock();
    try {
      Birth b = birth(sessionSeq);
      client.publish(topics.birth(), Wire.message(b.toByteArray(), true), null, new Delivery(s, null, -1));
      for (Subscription sub : subscriptions) {
        client.subscribe(new MqttSubscription(sub.filter(), Wire.QOS));
      }
      session = s;
      s.up.set(true);
    } catch (MqttException | RuntimeException e) {
      failure = Optional.of("after connecting: " + Wire.describe(e));
    } finally {
      wire.unlock();
    }
    if (failure.isPresent()) {
      if (client.isConnected()) {
        forceDisconnect(true); // e.g. the Birth supplier failed: start over rather than run without a Birth
      }
      connectFailed(failure.get());
      return;
    }
    if (!client.isConnected() && s.up.compareAndSet(true, false)) {
      // Lost before the session was published, so the loss callback saw the previous one.
      connectFailed("connection lost right after connecting");
      return;
    }
    backoffMs = settings.reconnectMinDelay().toMillis();
    if (failureLogged || everConnected) {
      LOG.infof("MQTT connection to %s regained (session %d, %d messages buffered)", settings.brokerUrl(),
          sessionSeq, outbox.size());
    } else {
      LOG.infof("MQTT connected to %s as %s (session %d)", settings.brokerUrl(), settings.deviceId(), sessionSeq);
    }
    failureLogged = false;
    everConnected = true;
    LockSupport.unpark(sender);
  }

  private MqttConnectionOptions options() {
    MqttConnectionOptions o = new MqttConnectionOptions();
    o.setCleanStart(true);
    o.setSessionExpiryInterval(0L);
    o.setAutomaticReconnect(false);
    o.setKeepAliveInterval((int) settings.keepAlive().getSeconds());
    o.setConnectionTimeout((int) Math.max(1, settings.connectTimeout().getSeconds()));
    settings.username().ifPresent(o::setUserName);
    settings.password().ifPresent(p -> o.setPassword(p.getBytes(StandardCharsets.UTF_8)));
    o.setSocketFactory(socketFactory);
    return o;
  }

  private void connectFailed(String why) {
    lastConnectError = Optional.of(why);
    if (stopping) {
      return;
    }
    long delay = Math.round(backoffMs * ThreadLocalRandom.current().nextDouble(0.8, 1.2));
    if (!failureLogged) {
      LOG.warnf("cannot connect to MQTT broker %s: %s; buffering to the outbox and retrying in the background",
          settings.brokerUrl(), why);
      failureLogged = true;
    } else {
      LOG.debugf("connect to %s failed: %s; next attempt in %d ms", settings.brokerUrl(), why, delay);
    }
    backoffMs = Math.min(settings.reconnectMaxDelay().toMillis(), backoffMs * 2);
    scheduleConnect(delay);
  }

  private void scheduleConnect(long delayMs) {
    try {
      connector.schedule(this::connectOnce, delayMs, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // closing
    }
  }

  private final class Callbacks implements MqttCallback {
    @Override
    public void disconnected(MqttDisconnectResponse response) {
      if (!session.up.compareAndSet(true, false) || stopping) {
        return; // a failed connect attempt (retried by connectOnce) or a loss already handled
      }
      String why = response.getException() != null ? Wire.describe(response.getException())
          : "broker sent DISCONNECT, reason " + response.getReturnCode()
              + (response.getReasonString() == null ? "" : " (" + response.getReasonString() + ")");
      lastConnectError = Optional.of("connection lost: " + why);
      LOG.warnf("MQTT connection to %s lost: %s; buffering to the outbox (%d messages) and reconnecting",
          settings.brokerUrl(), why, outbox.size());
      scheduleConnect(Math.round(settings.reconnectMinDelay().toMillis() * ThreadLocalRandom.current().nextDouble(0.8,
          1.2)));
    }

    @Override
    public void mqttErrorOccurred(MqttException exception) {
      LOG.debugf("MQTT error: %s", Wire.describe(exception));
    }

    @Override
    public void messageArrived(String topic, MqttMessage message) {
      byte[] payload = message.getPayload();
      for (Subscription sub : subscriptions) {
        if (MqttTopicValidator.isMatched(sub.filter(), topic)) {
          try {
            handlers.execute(() -> {
              try {
                sub.handler().accept(topic, payload.clone());
              } catch (RuntimeException e) {
                LOG.errorf(e, "handler of %s failed on a message of %s", sub.filter(), topic);
              }
            });
          } catch (RejectedExecutionException e) {
            return; // closing
          }
        }
      }
    }

    @Override
    public void deliveryComplete(IMqttToken token) {
      // Outbox entries are acknowledged through their Delivery listener.
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

  /** Completion of one publish: frees its in-flight slot and queues the outbox acknowledgement. */
  private final class Delivery implements MqttActionListener {
    private final Session session;
    private final Stream stream;
    private final long entryId;

    /** @param stream null for Birth and Death; {@code entryId} -1 for messages not in the outbox */
    Delivery(Session session, Stream stream, long entryId) {
      this.session = session;
      this.stream = stream;
      this.entryId = entryId;
    }

    @Override
    public void onSuccess(IMqttToken token) {
      int[] codes = token.getReasonCodes();
      if (codes != null && codes.length > 0 && codes[0] == NO_MATCHING_SUBSCRIBERS && entryId >= 0) {
        // Nobody got it: keep the entry, hold back and send it again later.
        unmatched.incrementAndGet();
        long hold = holdNanos;
        if (holdUntilNanos == 0) {
          holdUntilNanos = System.nanoTime() + hold;
          holdNanos = Math.min(NO_SUBSCRIBER_HOLD_MAX_NANOS, hold * 2);
        }
        if (!unmatchedLogged) {
          unmatchedLogged = true;
          LOG.warnf("no subscriber for %s messages (PUBACK 0x10): kept in the outbox and sent again in %d ms",
              stream, TimeUnit.NANOSECONDS.toMillis(hold));
        }
        release();
        return;
      }
      if (entryId >= 0 && stream != null) {
        holdNanos = NO_SUBSCRIBER_HOLD_MIN_NANOS; // delivered: somebody listens again
        if (unmatchedLogged && holdUntilNanos == 0) {
          unmatchedLogged = false;
          LOG.infof("%s messages have a subscriber again", stream);
        }
      }
      if (codes != null && codes.length > 0 && codes[0] >= 0x80) {
        rejected.incrementAndGet();
        if (!session.refusalLogged) {
          session.refusalLogged = true;
          LOG.warnf("broker refused a %s message with reason 0x%02x (not sent again; further refusals in this"
              + " session are not logged)", stream == null ? "birth/death" : stream, codes[0]);
        }
      } else if (stream != null) {
        sent.get(stream).incrementAndGet();
      }
      done();
    }

    @Override
    public void onFailure(IMqttToken token, Throwable cause) {
      // The entry stays in the outbox and goes again after the reconnect that follows.
      LOG.debugf("publish of %s entry %d failed: %s", stream, entryId, cause);
      release();
    }

    private void done() {
      if (entryId >= 0) {
        acks.add(entryId);
      }
      release();
    }

    private void release() {
      if (entryId >= 0) {
        session.inFlight.decrementAndGet();
        LockSupport.unpark(sender);
      }
    }
  }

  private void sendLoop() {
    long epoch = -1;
    Outbox.Entry pending = null;
    while (!stopping) {
      long parkNanos = TimeUnit.SECONDS.toNanos(1);
      try {
        applyAcks();
        outbox.syncIfDue();
        wire.lock();
        try {
          Session s = session;
          long hold = holdUntilNanos;
          boolean holding = false;
          if (hold != 0) {
            long left = hold - System.nanoTime();
            if (left > 0 || s.inFlight.get() > 0) {
              holding = true; // wait out the hold, and for what is in flight to come back, then go again
              parkNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(5), Math.min(parkNanos, left > 0 ? left
                  : TimeUnit.MILLISECONDS.toNanos(20)));
            } else {
              holdUntilNanos = 0;
              outbox.rewind(); // from the oldest unacknowledged entry: those nobody got go again
              pending = null;
            }
          }
          if (s.up.get() && !holding) {
            if (s.epoch != epoch) {
              outbox.rewind(); // a new connection: everything unacknowledged goes again, oldest first
              epoch = s.epoch;
              pending = null;
            }
            while (s.inFlight.get() < s.limit && holdUntilNanos == 0) {
              Outbox.Entry e = pending != null ? pending : outbox.next().orElse(null);
              if (e == null) {
                break;
              }
              pending = e;
              String topic = streamTopics.get(e.stream());
              long packetBytes = Wire.publishPacketBytes(topic, e.payload().length);
              if (packetBytes > s.maxPacketBytes) {
                // Paho would drop the connection over it, again after every reconnect: the
                // message would block everything behind it forever.
                LOG.warnf("%s message %d needs a %d-byte packet, above the broker's maximum packet size of %d bytes;"
                    + " discarded", e.stream(), e.sequence(), packetBytes, s.maxPacketBytes);
                rejected.incrementAndGet();
                outbox.ack(e.id());
                pending = null;
                continue;
              }
              s.inFlight.incrementAndGet();
              try {
                client.publish(topic, Wire.message(e.payload(), false), null, new Delivery(s, e.stream(), e.id()));
              } catch (MqttException ex) {
                s.inFlight.decrementAndGet();
                throw ex;
              }
              pending = null;
            }
          }
        } finally {
          wire.unlock();
        }
      } catch (MqttException e) {
        // Not connected (the loss callback follows) or Paho's window is full (publishNow): try again soon.
        LOG.debugf("send paused: %s", Wire.describe(e));
        parkNanos = TimeUnit.MILLISECONDS.toNanos(20);
      } catch (RuntimeException e) {
        LOG.errorf(e, "outbox sender of %s failed; retrying in 1 s", settings.deviceId());
      }
      if (settings.fsync().kind() == FsyncPolicy.Kind.INTERVAL) {
        parkNanos = Math.min(parkNanos, settings.fsync().interval().toNanos());
      }
      LockSupport.parkNanos(this, parkNanos);
    }
  }

  private void applyAcks() {
    for (Long id = acks.poll(); id != null; id = acks.poll()) {
      outbox.ack(id);
    }
  }

  /**
   * Publishes a fresh retained Birth on the current connection, for example after a model swap
   * changed what it says (running model). Offline it does nothing: the next connect publishes one.
   */
  public void republishBirth() {
    Session s = session;
    if (!s.up.get()) {
      return;
    }
    wire.lock();
    try {
      Birth b = birth(s.sessionSeq);
      client.publish(topics.birth(), Wire.message(b.toByteArray(), true), null, new Delivery(s, null, -1));
    } catch (MqttException | RuntimeException e) {
      LOG.warnf("Birth not republished (the next connect sends one): %s", Wire.describe(e));
    } finally {
      wire.unlock();
    }
  }

  /** A Birth for session {@code sessionSeq}, with a fresh header and the skipped sequence ranges. */
  private Birth birth(long sessionSeq) {
    Birth.Builder b = birth.get().setHeader(Wire.header(settings.deviceId(), sequences.next(BIRTH)))
        .setSessionSeq(sessionSeq).clearSkippedSequences();
    for (SequenceStore.Skip k : sequences.skipped()) {
      b.addSkippedSequences(SequenceSkip.newBuilder().setMessageType(k.type()).setFirstSeq(k.first())
          .setLastSeq(k.last()));
    }
    return b.build();
  }

  /**
   * The sequence ranges this device skipped at its most recent unclean stops and announces in every
   * Birth (see {@link SequenceStore}); empty if it never stopped uncleanly.
   */
  public List<SequenceSkip> skippedSequences() {
    return sequences.skipped().stream().map(k -> SequenceSkip.newBuilder().setMessageType(k.type())
        .setFirstSeq(k.first()).setLastSeq(k.last()).build()).toList();
  }

  /** True while connected and past Birth: messages flow. */
  public boolean connected() {
    return session.up.get();
  }

  /** The {@code session_seq} of the current or last connection, 0 before the first. */
  public long sessionSeq() {
    return session.sessionSeq;
  }

  /** Messages in the outbox: not yet acknowledged by the broker. */
  public int bufferedCount() {
    return outbox.size();
  }

  /** Messages of all streams dropped because the outbox was full, since it was created. */
  public long droppedCount() {
    return outbox.droppedCount();
  }

  /** Messages of {@code stream} dropped because the outbox was full, since it was created. */
  public long droppedCount(Stream stream) {
    return outbox.droppedCount(stream);
  }

  /** Messages of {@code stream} acknowledged by the broker since this publisher was created (repeats included). */
  public long sentCount(Stream stream) {
    return sent.get(stream).get();
  }

  /**
   * Messages the broker accepted without a subscriber to give them to (PUBACK 0x10), since this
   * publisher was created; each is kept and sent again.
   */
  public long unmatchedCount() {
    return unmatched.get();
  }

  /**
   * Messages the broker refused (a PUBACK with an error reason, such as not authorized) or that
   * exceed its maximum packet size, since this publisher was created: removed from the outbox
   * without being delivered, since sending them again cannot help.
   */
  public long rejectedCount() {
    return rejected.get();
  }

  /** Why the last connect attempt failed or the last connection was lost; empty if neither happened yet. */
  public Optional<String> lastConnectError() {
    return lastConnectError;
  }

  /** The topics of this device. */
  public DeviceTopics topics() {
    return topics;
  }

  private void ensureOpen() {
    if (closed.get()) {
      throw new IllegalStateException("publisher of device " + settings.deviceId() + " is closed");
    }
  }

  /**
   * Stops: publishes the retained {@code Death{SHUTDOWN}} of the current session (if connected)
   * and waits up to {@link PublisherSettings#shutdownTimeout()} for it, disconnects normally (so
   * the broker discards the will), and closes the outbox, storing the exact sequence counters.
   * Unacknowledged messages stay in the outbox for the next start. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    stopThreads();
    long timeoutMs = settings.shutdownTimeout().toMillis();
    Session s = session;
    if (s.up.get() && client.isConnected()) {
      Death death = s.will.toBuilder().setReason(DeathReason.DEATH_REASON_SHUTDOWN).build();
      try {
        client.publish(topics.death(), Wire.message(death.toByteArray(), true))
            .waitForCompletion(Math.max(1, timeoutMs));
      } catch (MqttException e) {
        LOG.warnf("shutdown Death not acknowledged: %s", Wire.describe(e));
      }
      s.up.set(false);
      try {
        client.disconnect(timeoutMs).waitForCompletion(timeoutMs + 1000);
      } catch (MqttException e) {
        LOG.debugf("disconnect: %s", Wire.describe(e));
        forceDisconnect(false);
      }
    }
    s.up.set(false);
    closeClient();
    applyAcks();
    outbox.close();
    try {
      sequences.close();
    } catch (IOException e) {
      LOG.warnf(e, "cannot store the exact sequence counters; the next start skips (and announces) up to %d numbers"
          + " per stream", SEQUENCE_BLOCK);
    }
    handlers.shutdown();
    LOG.infof("MQTT publisher of %s closed (%d messages buffered for the next start)", settings.deviceId(),
        outbox.size());
  }

  /**
   * Test seam: stops as a killed process would. The connection is dropped without DISCONNECT (the
   * broker publishes the will), no shutdown Death is sent and the exact sequence counters are not
   * stored (the next start continues after the reserved blocks and announces what it skipped).
   */
  void simulateCrash() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    stopThreads();
    session.up.set(false);
    forceDisconnect(false);
    closeClient();
    outbox.close(); // writes nothing: what a killed process leaves is already in the files
    handlers.shutdownNow();
  }

  private void stopThreads() {
    stopping = true;
    connector.shutdownNow();
    try {
      if (!connector.awaitTermination(settings.connectTimeout().toMillis() + 5_000, TimeUnit.MILLISECONDS)) {
        LOG.warnf("connect attempt of %s did not stop in time", settings.deviceId());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (started.get()) {
      LockSupport.unpark(sender);
      try {
        sender.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void forceDisconnect(boolean sendDisconnect) {
    try {
      client.disconnectForcibly(0, 100, sendDisconnect);
    } catch (MqttException e) {
      LOG.debugf("forced disconnect: %s", Wire.describe(e));
    }
  }

  private void closeClient() {
    try {
      client.close(true);
    } catch (MqttException e) {
      LOG.debugf("closing the MQTT client: %s", Wire.describe(e));
    }
  }
}
