package fwi.cloud.bridge;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jboss.logging.Logger;

/**
 * Forwards the devices' MQTT messages into Kafka, at least once: an MQTT message is acknowledged
 * to the broker only after Kafka acknowledged the record made from it.
 *
 * <h2>MQTT side</h2>
 * {@link BridgeSettings#mqttClients()} Paho MQTT 5 clients ({@code <clientId>-0}, {@code -1}, ...),
 * each with clean start off and a session expiry, so the broker keeps the subscriptions and queues
 * messages while the bridge is away (restart, crash, network loss), and with manual
 * acknowledgements. Each subscribes at QoS 1 to the shared subscriptions
 * {@code $share/<group>/fwi/v1/dev/+/birth}, {@code .../death}, {@code .../telemetry},
 * {@code .../result} and {@code .../ota/status} (not {@code ota/get}: block requests go to the OTA
 * publisher), so all clients of all bridge instances in the group split the load. The broker
 * sends a client at most {@link BridgeSettings#receiveMaximum()} unacknowledged messages; since
 * PUBACKs wait for Kafka, that window is what throttles the bridge when Kafka is slow or down:
 * nothing piles up in the bridge, the messages wait in the broker. Each client reconnects by
 * itself with backoff, with a fresh connection object per connection (see {@code AckWindow}). The
 * MQTT side is the bridge's own MQTT 5 subscriber ({@code WireSubscriber}), not Paho: Paho 1.2.5
 * decodes each received message byte by byte (~11 MB/s per core), too slow for a fleet sending
 * velocity maps (BENCHMARKS.md, "Fleet load").
 *
 * <p>Mind the broker's shared-subscription semantics: Mosquitto (2.0.11, measured) keeps giving an
 * offline member with a persistent session its share of the group's messages, queued until it
 * returns; if it never returns within {@link BridgeSettings#sessionExpiry()}, that share is lost.
 * Give every instance a stable client id (e.g. a StatefulSet ordinal) and bring it back, rather
 * than removing instances for good.
 *
 * <h2>Kafka side</h2>
 * One idempotent producer ({@code acks=all}, {@code enable.idempotence=true}, at most 5 requests
 * in flight, infinite retries and {@code delivery.timeout.ms}) shared by all clients: a record is
 * retried until Kafka takes it or the bridge closes, and retries keep the order per partition.
 * Topics and values: telemetry to {@link BridgeSettings#telemetryTopic()} and results to
 * {@link BridgeSettings#resultsTopic()}, the payload bytes unchanged; birth, death and OTA status
 * to {@link BridgeSettings#deviceEventsTopic()} as a {@code DeviceEvent} (schema version 1, device
 * id from the topic, time received, the message in the oneof). Key: the device id from the topic.
 * Record timestamp: the time the bridge received the message. Headers: {@value #HEADER_CONTENT_TYPE}
 * ({@value #CONTENT_TYPE}), {@value #HEADER_MQTT_TOPIC}, {@value #HEADER_RECEIVED_UNIX_MS}
 * (decimal text). What the bridge cannot forward (see {@code Routing}: bad topic, empty or
 * unparsable payload, missing header, {@code sender_id} other than the topic's device id) goes to
 * {@link BridgeSettings#deadLetterTopic()} with the raw payload, the same headers (content type:
 * the MQTT content type if the device set one, else {@code application/octet-stream}) and
 * {@value #HEADER_DEAD_LETTER_REASON}; it is acknowledged once the dead letter is in Kafka.
 * Cleared retained messages (empty payload) are acknowledged without writing anything.
 *
 * <h2>Ordering</h2>
 * One client: its connection delivers in arrival order, one forwarder thread per client sends in that order,
 * and the idempotent producer keeps it per partition, so per device the Kafka order is the MQTT
 * order (a redelivery after a reconnect repeats messages, never reorders what was acknowledged).
 * Several clients or instances: the broker spreads one device's messages over the group's
 * members, so their order in Kafka is no longer guaranteed; readers order and deduplicate by
 * {@code header.sequence}, which they must do anyway for at-least-once delivery. A record retried
 * after a non-retriable Kafka error (e.g. authorization) may also land after later ones.
 *
 * <h2>Threads</h2>
 * Per client a reader thread (decodes, wraps and enqueues a message) and a keep-alive thread; one
 * forwarder thread per client that parses, builds the record and calls {@code send} (which may
 * block up to 1 s when Kafka's metadata is unavailable; it then retries, still in order); Kafka's
 * producer thread, which runs the send callbacks that mark messages complete and write the due
 * PUBACKs (4 bytes each, one flush per callback: a socket write that blocks only when the broker
 * stops reading, and then the connection is about to be lost anyway); one
 * connect thread per client; one retry thread.
 *
 * <p>Thread-safe. {@link #close()} stops taking messages, waits up to
 * {@link BridgeSettings#closeTimeout()} for those in flight to reach Kafka and be acknowledged,
 * then disconnects normally (keeping the sessions) and closes the producer; whatever was not
 * acknowledged by then is redelivered by the broker to the next bridge with the same client ids.
 */
public final class MqttKafkaBridge implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(MqttKafkaBridge.class);
  /** Content type of the forwarded records. */
  public static final String CONTENT_TYPE = "application/x-protobuf";
  /** Header: the record's content type. */
  public static final String HEADER_CONTENT_TYPE = "content-type";
  /** Header: the MQTT topic the message arrived on. */
  public static final String HEADER_MQTT_TOPIC = "mqtt-topic";
  /** Header: when the bridge received the message, milliseconds since the epoch, decimal text. */
  public static final String HEADER_RECEIVED_UNIX_MS = "received-unix-ms";
  /** Header of dead letters: why, starting with a code such as {@code sender-mismatch:}. */
  public static final String HEADER_DEAD_LETTER_REASON = "dead-letter-reason";
  /** Longest a {@code send} blocks for metadata or buffer space before the bridge retries it. */
  static final long MAX_BLOCK_MS = 1000;
  private static final long RETRY_DELAY_MS = 1000;

  private final BridgeSettings settings;
  private final Routing routing;
  private final KafkaProducer<String, byte[]> producer;
  private final List<MqttLane> lanes = new ArrayList<>();
  private final ScheduledExecutorService retries;
  private final LongAdder received = new LongAdder();
  private final LongAdder redelivered = new LongAdder();
  private final Map<String, LongAdder> forwarded = new ConcurrentHashMap<>();
  private final LongAdder deadLettered = new LongAdder();
  private final LongAdder skipped = new LongAdder();
  private final LongAdder acknowledged = new LongAdder();
  private final LongAdder abandoned = new LongAdder();
  private final LongAdder dropped = new LongAdder();
  private final AtomicLong waiting = new AtomicLong();
  private final Object idle = new Object();
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicBoolean kafkaTroubleLogged = new AtomicBoolean();
  private volatile boolean closing;
  private final LastError lastError = new LastError();
  private volatile Optional<String> lastDeadLetterReason = Optional.empty();

  /**
   * Creates the Kafka producer and the MQTT clients; connects nothing yet (see {@link #start()}).
   *
   * @throws IllegalArgumentException if Kafka refuses the producer configuration (naming it)
   */
  public MqttKafkaBridge(BridgeSettings settings) {
    if (settings == null) {
      throw new IllegalArgumentException("settings must be set, but was null");
    }
    this.settings = settings;
    this.routing = new Routing(settings.telemetryTopic(), settings.resultsTopic(), settings.deviceEventsTopic());
    for (String t : List.of(settings.telemetryTopic(), settings.resultsTopic(), settings.deviceEventsTopic())) {
      forwarded.put(t, new LongAdder());
    }
    try {
      this.producer = new KafkaProducer<>(producerConfig(settings));
    } catch (KafkaException e) {
      throw new IllegalArgumentException("Kafka producer settings are not usable (bootstrap servers '"
          + settings.kafkaBootstrapServers() + "', overrides " + settings.producerOverrides().keySet() + "): "
          + e.getMessage() + (e.getCause() == null ? "" : " (" + e.getCause().getMessage() + ")"), e);
    }
    this.retries = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "fwi-bridge-retry-" + settings.clientId());
      t.setDaemon(true);
      return t;
    });
    Sink sink = new Sink();
    for (int i = 0; i < settings.mqttClients(); i++) {
      lanes.add(new MqttLane(settings, i, sink, lastError));
    }
  }

  static Map<String, Object> producerConfig(BridgeSettings s) {
    Map<String, Object> c = new HashMap<>(s.producerOverrides());
    c.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, s.kafkaBootstrapServers());
    c.put(ProducerConfig.CLIENT_ID_CONFIG, s.clientId());
    c.put(ProducerConfig.ACKS_CONFIG, "all");
    c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    c.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
    c.put(ProducerConfig.RETRIES_CONFIG, Integer.MAX_VALUE);
    // Never give up on a record: while Kafka is down the records wait in the producer, bounded by
    // the brokers' receive maximum, and the MQTT messages stay unacknowledged.
    c.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.MAX_VALUE);
    c.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, MAX_BLOCK_MS);
    c.put(ProducerConfig.LINGER_MS_CONFIG, (int) s.linger().toMillis());
    c.put(ProducerConfig.BATCH_SIZE_CONFIG, s.batchSizeBytes());
    c.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, s.compression());
    c.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    c.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    return c;
  }

  /** The settings the bridge was made with. */
  public BridgeSettings settings() {
    return settings;
  }

  /**
   * Connects the MQTT clients and starts forwarding, in the background: returns at once and never
   * fails for a broker being unreachable (see {@link BridgeStats#lastError()}). Idempotent.
   *
   * @throws IllegalStateException if the bridge is closed
   */
  public void start() {
    if (closed.get()) {
      throw new IllegalStateException("bridge " + settings.clientId() + " is closed");
    }
    if (started.compareAndSet(false, true)) {
      lanes.forEach(MqttLane::start);
    }
  }

  /**
   * Waits until every MQTT client is connected and subscribed, checking every 10 ms.
   *
   * @return whether they all were within {@code timeout}
   */
  public boolean awaitConnected(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!lanes.stream().allMatch(MqttLane::connected)) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(10);
    }
    return true;
  }

  /** The counters and state now. */
  public BridgeStats stats() {
    Map<String, Long> fw = new HashMap<>();
    forwarded.forEach((k, v) -> fw.put(k, v.sum()));
    int connected = (int) lanes.stream().filter(MqttLane::connected).count();
    long oldest = lanes.stream().mapToLong(MqttLane::oldestUnacknowledgedUnixMs).min().orElse(Long.MAX_VALUE);
    long oldestAgeMs = oldest == Long.MAX_VALUE ? 0 : Math.max(0, System.currentTimeMillis() - oldest);
    return new BridgeStats(received.sum(), redelivered.sum(), fw, deadLettered.sum(), skipped.sum(), waiting.get(),
        oldestAgeMs, acknowledged.sum(), abandoned.sum(), dropped.sum(), connected, lanes.size(), kafkaConnected(),
        lastError.get(), lastDeadLetterReason);
  }

  private boolean kafkaConnected() {
    if (closed.get()) {
      return false;
    }
    for (Map.Entry<MetricName, ? extends Metric> e : producer.metrics().entrySet()) {
      if (e.getKey().name().equals("connection-count") && e.getKey().group().equals("producer-metrics")) {
        Object v = e.getValue().metricValue();
        return v instanceof Number && ((Number) v).doubleValue() > 0;
      }
    }
    return false;
  }

  /**
   * Stops taking messages, waits up to {@link BridgeSettings#closeTimeout()} for those in flight
   * to reach Kafka and be acknowledged, disconnects normally (the broker keeps the sessions and
   * redelivers what is still unacknowledged) and closes the producer. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    closing = true;
    lanes.forEach(MqttLane::stopIntake);
    long deadline = System.nanoTime() + settings.closeTimeout().toNanos();
    synchronized (idle) {
      long left;
      while (waiting.get() > 0 && (left = deadline - System.nanoTime()) > 0) {
        try {
          idle.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    long unfinished = waiting.get();
    lanes.forEach(MqttLane::close);
    retries.shutdownNow();
    producer.close(unfinished == 0 ? Duration.ofSeconds(1) : Duration.ZERO);
    if (unfinished > 0) {
      LOG.infof("bridge %s closed with %d messages not yet in Kafka; the broker redelivers them", settings.clientId(),
          unfinished);
    }
  }

  private void kafkaTrouble(String what) {
    lastError.set(what);
    if (kafkaTroubleLogged.compareAndSet(false, true)) {
      LOG.warnf("bridge %s: %s; MQTT messages stay unacknowledged until Kafka takes them", settings.clientId(), what);
    }
  }

  private void kafkaFine() {
    if (kafkaTroubleLogged.compareAndSet(true, false)) {
      LOG.infof("bridge %s: Kafka takes records again", settings.clientId());
    }
  }

  private RecordHeaders headers(Inbound m, String contentType) {
    RecordHeaders h = new RecordHeaders();
    h.add(HEADER_CONTENT_TYPE, contentType.getBytes(StandardCharsets.UTF_8));
    h.add(HEADER_MQTT_TOPIC, m.topic.getBytes(StandardCharsets.UTF_8));
    h.add(HEADER_RECEIVED_UNIX_MS, Long.toString(m.receivedUnixMs).getBytes(StandardCharsets.US_ASCII));
    return h;
  }

  private void route(Inbound m) {
    Routing.Routed r = routing.route(m.topic, m.payload, m.retained, m.receivedUnixMs);
    if (r instanceof Routing.Forward) {
      Routing.Forward f = (Routing.Forward) r;
      ProducerRecord<String, byte[]> rec = new ProducerRecord<>(f.topic(), null, m.receivedUnixMs, f.deviceId(),
          f.value(), headers(m, CONTENT_TYPE));
      send(rec, m, false);
    } else if (r instanceof Routing.DeadLetter) {
      Routing.DeadLetter d = (Routing.DeadLetter) r;
      LOG.debugf("dead letter from %s: %s", m.topic, d.reason());
      send(deadLetter(m, d.deviceId(), d.reason()), m, true);
    } else {
      skipped.increment();
      complete(m);
    }
  }

  private ProducerRecord<String, byte[]> deadLetter(Inbound m, Optional<String> key, String reason) {
    RecordHeaders h = headers(m, m.contentType.orElse("application/octet-stream"));
    h.add(HEADER_DEAD_LETTER_REASON, reason.getBytes(StandardCharsets.UTF_8));
    return new ProducerRecord<>(settings.deadLetterTopic(), null, m.receivedUnixMs, key.orElse(null), m.payload, h);
  }

  /**
   * Sends {@code rec} for {@code m}, retrying on this thread while the producer cannot take it
   * (no metadata, no buffer space: Kafka unreachable or the topic missing), so records of one
   * forwarder stay in order. Gives up (abandons {@code m}) only when its connection is gone.
   */
  private void send(ProducerRecord<String, byte[]> rec, Inbound m, boolean isDeadLetter) {
    Thread caller = Thread.currentThread();
    while (true) {
      if (!m.window.isOpen() && m.qos > 0) {
        abandon(m);
        return;
      }
      RetriableException[] synchronous = new RetriableException[1];
      long t0 = System.nanoTime();
      try {
        producer.send(rec, new Callback() {
          @Override
          public void onCompletion(RecordMetadata metadata, Exception e) {
            if (e instanceof RetriableException && Thread.currentThread() == caller) {
              synchronous[0] = (RetriableException) e; // failed before it was queued: retried below
              return;
            }
            sent(rec, m, isDeadLetter, e);
          }
        });
      } catch (InterruptException e) {
        abandon(m); // closing
        return;
      } catch (KafkaException | IllegalStateException e) {
        kafkaTrouble("Kafka producer refused a record for " + rec.topic() + ": " + e);
        abandon(m); // e.g. the producer is closed; the broker redelivers
        return;
      }
      if (synchronous[0] == null) {
        return;
      }
      kafkaTrouble("cannot send to Kafka topic " + rec.topic() + ": " + synchronous[0].getMessage());
      long elapsedMs = (System.nanoTime() - t0) / 1_000_000;
      if (elapsedMs < 100) {
        try {
          Thread.sleep(100 - elapsedMs); // the failure was immediate: do not spin
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          abandon(m);
          return;
        }
      }
    }
  }

  /** Kafka's verdict on a record (producer thread, or the sending thread for immediate failures). */
  private void sent(ProducerRecord<String, byte[]> rec, Inbound m, boolean isDeadLetter, Exception e) {
    if (e == null) {
      kafkaFine();
      if (isDeadLetter) {
        deadLettered.increment();
        lastDeadLetterReason = Optional.ofNullable(rec.headers().lastHeader(HEADER_DEAD_LETTER_REASON))
            .map(h -> new String(h.value(), StandardCharsets.UTF_8));
      } else {
        forwarded.computeIfAbsent(rec.topic(), t -> new LongAdder()).increment();
      }
      complete(m);
      return;
    }
    if (closed.get()) {
      abandon(m); // the producer is closing and fails what it still holds: the broker redelivers
      return;
    }
    boolean recordRefused = e instanceof RecordTooLargeException || e instanceof RecordBatchTooLargeException
        || e instanceof InvalidRecordException;
    if (recordRefused && !isDeadLetter) {
      String reason = "kafka-refused: " + rec.topic() + " refused the record: " + e;
      LOG.warnf("bridge %s: Kafka refused a record of %s (%s); dead-lettering it", settings.clientId(), m.topic, e);
      later(0, m, () -> send(deadLetter(m, Optional.ofNullable(rec.key()), reason), m, true));
    } else if (recordRefused) {
      lastError.set("Kafka refused the dead letter of a message of " + m.topic + ": " + e);
      LOG.errorf("bridge %s: Kafka refused the dead letter of a message of %s (%s); dropping it", settings.clientId(),
          m.topic, e);
      dropped.increment();
      complete(m);
    } else {
      kafkaTrouble("Kafka failed a record for " + rec.topic() + ": " + e);
      later(RETRY_DELAY_MS, m, () -> send(rec, m, isDeadLetter));
    }
  }

  /** Runs {@code r} for {@code m} on the retry thread; abandons {@code m} if the bridge is closing. */
  private void later(long delayMs, Inbound m, Runnable r) {
    try {
      retries.schedule(r, delayMs, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closingNow) {
      abandon(m);
    }
  }

  /** {@code m} is in Kafka (or needs nothing there): acknowledge what is due. */
  private void complete(Inbound m) {
    if (!m.settled.compareAndSet(false, true)) {
      return;
    }
    if (m.qos > 0) {
      acknowledged.add(m.window.complete(m));
    }
    leave();
  }

  /** {@code m} leaves unacknowledged; the broker redelivers it. */
  private void abandon(Inbound m) {
    if (!m.settled.compareAndSet(false, true)) {
      return;
    }
    abandoned.increment();
    leave();
  }

  private void leave() {
    if (waiting.decrementAndGet() == 0 && closing) {
      synchronized (idle) {
        idle.notifyAll();
      }
    }
  }

  private final class Sink implements MqttLane.Sink {
    @Override
    public void arrived(Inbound m) {
      received.increment();
      if (m.duplicate) {
        redelivered.increment();
      }
      waiting.incrementAndGet();
    }

    @Override
    public void forward(Inbound m) {
      route(m);
    }

    @Override
    public void abandon(Inbound m) {
      MqttKafkaBridge.this.abandon(m);
    }
  }
}
