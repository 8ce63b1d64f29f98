package fwi.cloud.bridge;

import fwi.cloud.testing.KafkaBroker;
import fwi.proto.v1.ModelRef;
import fwi.proto.v1.Telemetry;
import fwi.testing.MosquittoBroker;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttActionListener;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Throughput and latency of the bridge, printed, never asserted (a benchmark is not a test; the
 * class name keeps it out of the default test run):
 *
 * <pre>
 * mvn -B -o -q test -pl cloud-pruner -Dtest=BridgeBenchmark -Dfwi.bench=true -Dsurefire.failIfNoSpecifiedTests=false \
 *     [-Dfwi.bench.seconds=10] [-Dfwi.bench.rates=1000,5000,10000] [-Dfwi.bench.clients=1,4]
 * </pre>
 *
 * Everything runs on this one machine: Mosquitto ({@code set_tcp_nodelay true}), a single-node
 * Kafka in a child JVM, and in this JVM the bridge, the load generator and a consumer.
 *
 * <p>Load: {@value #DEVICES} simulated devices, spread over {@value #PUBLISHERS} Paho publisher
 * connections; each connection publishes for its share of the device ids (a real device may only
 * publish under its own topic; for load generation one connection per device would only add
 * connections, not change what the bridge does). Each publisher paces its messages evenly at its
 * share of the target rate, QoS 1, as many in flight as the broker's receive maximum allows; a
 * publisher that falls behind shows as an achieved rate below the target. Messages are
 * {@code Telemetry} of about 200 bytes with {@code header.sent_unix_ms} stamped at publish time.
 *
 * <p>Latency: {@code fwi.telemetry} is created with {@code message.timestamp.type=LogAppendTime},
 * so a record's timestamp is when Kafka appended it; MQTT-to-Kafka latency = that timestamp minus
 * {@code sent_unix_ms} (one wall clock; milliseconds resolution). Throughput: records the bridge
 * forwarded per second between the first publish and the last record in Kafka. CPU: per-thread
 * CPU time of the bridge's threads (its forwarders, Paho's threads of its clients, Kafka's
 * producer thread), and of the Kafka and Mosquitto processes.
 */
@EnabledIfSystemProperty(named = "fwi.bench", matches = "true")
class BridgeBenchmark {
  private static final int DEVICES = 100;
  private static final int PUBLISHERS = 8;

  private static int[] ints(String property, String defaults) {
    return Arrays.stream(System.getProperty(property, defaults).split(",")).map(String::trim)
        .mapToInt(Integer::parseInt).toArray();
  }

  /** A Paho publisher connection sending telemetry for a share of the devices at a fixed rate. */
  private static final class Publisher {
    final MqttAsyncClient client;
    final Semaphore inFlight;
    final int permits;

    Publisher(String url, String id) throws Exception {
      client = new MqttAsyncClient(url, id, new MemoryPersistence());
      MqttConnectionOptions o = new MqttConnectionOptions();
      o.setCleanStart(true);
      o.setConnectionTimeout(10);
      o.setSocketFactory(fwi.runtime.net.NoDelaySockets.plain());
      IMqttToken t = client.connect(o);
      t.waitForCompletion(10_000);
      MqttProperties p = t.getResponseProperties();
      Integer brokerMax = p == null ? null : p.getReceiveMaximum();
      permits = Math.min(100, brokerMax == null ? 65535 : brokerMax);
      inFlight = new Semaphore(permits);
    }

    /** Publishes {@code n} messages for {@code deviceIds} at {@code ratePerS}; returns when all are acknowledged. */
    void run(List<String> deviceIds, Map<String, AtomicLong> sequences, int n, double ratePerS, AtomicLong acked)
        throws Exception {
      long interval = (long) (1e9 / ratePerS);
      long next = System.nanoTime();
      MqttActionListener done = new MqttActionListener() {
        @Override
        public void onSuccess(IMqttToken asyncActionToken) {
          acked.incrementAndGet();
          inFlight.release();
        }

        @Override
        public void onFailure(IMqttToken asyncActionToken, Throwable exception) {
          inFlight.release();
        }
      };
      for (int i = 0; i < n; i++) {
        long wait = next - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
        next += interval;
        String id = deviceIds.get(i % deviceIds.size());
        inFlight.acquire();
        byte[] payload = telemetry(id, sequences.get(id).incrementAndGet()).toByteArray();
        client.publish(Device.topic(id, "telemetry"), payload, 1, false, null, done);
      }
      inFlight.acquire(permits); // all acknowledged
      inFlight.release(permits);
    }

    void close() throws Exception {
      client.disconnect().waitForCompletion(5000);
      client.close(true);
    }
  }

  static Telemetry telemetry(String deviceId, long seq) {
    Telemetry.Builder t = Device.telemetry(deviceId, seq).toBuilder();
    t.setModel(ModelRef.newBuilder().setModelId("inversionnet-pi-4b-v7").setVersion(7)
        .setSha256(com.google.protobuf.ByteString.copyFrom(new byte[32])));
    t.setHeapUsedBytes(91_000_000).setHeapMaxBytes(160L << 20).setMemoryAvailableBytes(3_100_000_000L)
        .setInferenceErrorCount(0).setInputErrorCount(1).setPublishBufferedCount(3);
    return t.build();
  }

  /** Reads fwi.telemetry from the end and keeps, per run prefix, the latency and identity of each record. */
  private static final class Consumer implements Runnable {
    final KafkaConsumer<String, byte[]> consumer;
    volatile String prefix = "";
    final List<Long> latenciesMs = new ArrayList<>();
    /** Of each latency: device to bridge (received-unix-ms header minus sent_unix_ms). */
    final List<Long> mqttLegMs = new ArrayList<>();
    final Set<String> distinct = new HashSet<>();
    long count;
    long lastArrivalNanos;
    final AtomicBoolean stop = new AtomicBoolean();
    final Thread thread = new Thread(this, "bench-consumer");

    Consumer(String bootstrap) {
      Map<String, Object> c = new HashMap<>();
      c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
      c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10);
      c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
      c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
      c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
      consumer = new KafkaConsumer<>(c);
      List<TopicPartition> tps = new ArrayList<>();
      consumer.partitionsFor(KafkaTopics.TELEMETRY, Duration.ofSeconds(30))
          .forEach(p -> tps.add(new TopicPartition(p.topic(), p.partition())));
      consumer.assign(tps);
      consumer.seekToEnd(tps);
      tps.forEach(consumer::position);
    }

    synchronized void reset(String runPrefix) {
      prefix = runPrefix;
      latenciesMs.clear();
      mqttLegMs.clear();
      distinct.clear();
      count = 0;
    }

    synchronized long count() {
      return count;
    }

    @Override
    public void run() {
      while (!stop.get()) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(50))) {
          if (r.key() == null || !r.key().startsWith(prefix)) {
            continue;
          }
          try {
            Telemetry t = Telemetry.parseFrom(r.value());
            if (r.timestampType() != TimestampType.LOG_APPEND_TIME) {
              throw new IllegalStateException("expected LogAppendTime, got " + r.timestampType());
            }
            synchronized (this) {
              count++;
              lastArrivalNanos = System.nanoTime();
              if (distinct.add(r.key() + "#" + t.getHeader().getSequence())) {
                latenciesMs.add(r.timestamp() - t.getHeader().getSentUnixMs());
                long received = Long.parseLong(new String(r.headers().lastHeader(
                    MqttKafkaBridge.HEADER_RECEIVED_UNIX_MS).value(), java.nio.charset.StandardCharsets.US_ASCII));
                mqttLegMs.add(received - t.getHeader().getSentUnixMs());
              }
            }
          } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
          }
        }
      }
      consumer.close();
    }
  }

  /** CPU nanoseconds of live threads whose name contains {@code marker}, by thread id. */
  private static Map<Long, Long> threadCpu(String marker) {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    Map<Long, Long> cpu = new HashMap<>();
    for (ThreadInfo info : mx.getThreadInfo(mx.getAllThreadIds())) {
      if (info != null && info.getThreadName().contains(marker)) {
        long ns = mx.getThreadCpuTime(info.getThreadId());
        if (ns >= 0) {
          cpu.put(info.getThreadId(), ns);
        }
      }
    }
    return cpu;
  }

  private static long cpuDelta(Map<Long, Long> before, Map<Long, Long> after) {
    long sum = 0;
    for (Map.Entry<Long, Long> e : after.entrySet()) {
      sum += e.getValue() - before.getOrDefault(e.getKey(), 0L);
    }
    return sum;
  }

  private static long processCpuNanos(ProcessHandle p) {
    return p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
  }

  private static long jvmCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  private static long percentile(List<Long> sorted, double p) {
    if (sorted.isEmpty()) {
      return -1;
    }
    return sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(p / 100.0 * sorted.size()) - 1));
  }

  @Test
  void throughputAndLatency() throws Exception {
    int seconds = Integer.getInteger("fwi.bench.seconds", 10);
    int[] rates = ints("fwi.bench.rates", "1000,5000,10000");
    int[] clientCounts = ints("fwi.bench.clients", "1,4");
    try (KafkaBroker kafka = KafkaBroker.launch();
        MosquittoBroker mqtt = MosquittoBroker.launch("set_tcp_nodelay true")) {
      kafka.createTopic(KafkaTopics.TELEMETRY, 6, Map.of("message.timestamp.type", "LogAppendTime"));
      for (KafkaTopics.Spec s : KafkaTopics.defaults(6, (short) 1)) {
        kafka.createTopic(s.name(), s.partitions(), s.compacted());
      }
      ProcessHandle kafkaProcess = kafka.processHandle().orElseThrow();
      ProcessHandle mosquitto = ProcessHandle.current().children()
          .filter(p -> p.info().command().map(c -> c.endsWith("mosquitto")).orElse(false)).findFirst().orElseThrow();
      List<Publisher> publishers = new ArrayList<>();
      for (int i = 0; i < PUBLISHERS; i++) {
        publishers.add(new Publisher(mqtt.url(), "bench-gen-" + i));
      }
      Consumer consumer = new Consumer(kafka.bootstrapServers());
      consumer.thread.start();
      System.out.printf("bridge benchmark: %d cpus, %d devices over %d publisher connections (%d in flight each),"
              + " telemetry %d bytes, %d s per run, kafka start %d ms%n",
          Runtime.getRuntime().availableProcessors(), DEVICES, PUBLISHERS, publishers.get(0).permits,
          telemetry("bench-r00-dev-000", 1).getSerializedSize(), seconds, kafka.lastStartTime().toMillis());
      System.out.println("| MQTT clients | target msg/s | published msg/s | forwarded msg/s | drain after last publish ms"
          + " | latency p50 / p99 / max ms | of which device to bridge p50 / p99 ms | bridge CPU % of one core | msg/s per bridge core"
          + " | Kafka CPU % | Mosquitto CPU % | this JVM CPU % (bridge + generator + consumer) | duplicates |");
      System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
      int run = 0;
      for (int clients : clientCounts) {
        String clientId = "bench-bridge-c" + clients;
        try (MqttKafkaBridge bridge = new MqttKafkaBridge(BridgeSettings.builder(mqtt.url(), kafka.bootstrapServers())
            .clientId(clientId).sharedGroup(clientId).mqttClients(clients).build())) {
          bridge.start();
          if (!bridge.awaitConnected(Duration.ofSeconds(30))) {
            throw new IllegalStateException("bridge not connected: " + bridge.stats());
          }
          // Warm-up, not reported: JIT, Kafka metadata, connections.
          measure(publishers, consumer, bridge, clientId, "bench-w" + clients + "-", 3000, 5, kafkaProcess, mosquitto,
              clients, false);
          for (int rate : rates) {
            measure(publishers, consumer, bridge, clientId, "bench-r" + (++run) + "-", rate, seconds, kafkaProcess,
                mosquitto, clients, true);
          }
        }
      }
      consumer.stop.set(true);
      consumer.thread.join(5000);
      for (Publisher p : publishers) {
        p.close();
      }
    }
  }

  private static void measure(List<Publisher> publishers, Consumer consumer, MqttKafkaBridge bridge, String clientId,
      String prefix, int rate, int seconds, ProcessHandle kafka, ProcessHandle mosquitto, int clients, boolean print)
      throws Exception {
    consumer.reset(prefix);
    int total = rate * seconds;
    List<List<String>> shares = new ArrayList<>();
    Map<String, AtomicLong> sequences = new HashMap<>();
    for (int p = 0; p < publishers.size(); p++) {
      shares.add(new ArrayList<>());
    }
    for (int d = 0; d < DEVICES; d++) {
      String id = String.format("%sdev-%03d", prefix, d);
      shares.get(d % publishers.size()).add(id);
      sequences.put(id, new AtomicLong());
    }
    AtomicLong acked = new AtomicLong();
    Map<Long, Long> bridgeCpu0 = threadCpu(clientId);
    long kafkaCpu0 = processCpuNanos(kafka);
    long mosquittoCpu0 = processCpuNanos(mosquitto);
    long jvmCpu0 = jvmCpuNanos();
    long forwarded0 = bridge.stats().forwardedTotal();
    long t0 = System.nanoTime();
    List<Thread> threads = new ArrayList<>();
    Throwable[] failure = new Throwable[1];
    for (int p = 0; p < publishers.size(); p++) {
      Publisher pub = publishers.get(p);
      List<String> ids = shares.get(p);
      int n = total / publishers.size();
      Thread t = new Thread(() -> {
        try {
          pub.run(ids, sequences, n, (double) rate / publishers.size(), acked);
        } catch (Throwable e) {
          failure[0] = e;
        }
      }, "bench-publisher-" + p);
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    if (failure[0] != null) {
      throw new IllegalStateException("publisher failed", failure[0]);
    }
    long published = System.nanoTime();
    int expected = (total / publishers.size()) * publishers.size();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (consumer.count() < expected && System.nanoTime() < deadline) {
      Thread.sleep(5); // benchmark bookkeeping, not a test condition
    }
    long lastArrival;
    List<Long> lat;
    List<Long> mqttLeg;
    long count;
    int distinct;
    synchronized (consumer) {
      lastArrival = consumer.lastArrivalNanos;
      lat = new ArrayList<>(consumer.latenciesMs);
      mqttLeg = new ArrayList<>(consumer.mqttLegMs);
      count = consumer.count;
      distinct = consumer.distinct.size();
    }
    long t1 = Math.max(lastArrival, published);
    Map<Long, Long> bridgeCpu1 = threadCpu(clientId);
    long kafkaCpu = processCpuNanos(kafka) - kafkaCpu0;
    long mosquittoCpu = processCpuNanos(mosquitto) - mosquittoCpu0;
    long jvmCpu = jvmCpuNanos() - jvmCpu0;
    long forwarded = bridge.stats().forwardedTotal() - forwarded0;
    double wall = (t1 - t0) / 1e9;
    double bridgeCores = cpuDelta(bridgeCpu0, bridgeCpu1) / 1e9 / wall;
    lat.sort(null);
    mqttLeg.sort(null);
    if (distinct < expected) {
      System.out.printf("!! run %s: only %d of %d messages reached Kafka within 120 s%n", prefix, distinct, expected);
    }
    if (print) {
      System.out.printf("| %d | %,d | %,.0f | %,.0f | %,d | %d / %d / %d | %d / %d | %.0f | %,.0f | %.0f | %.0f | %.0f | %d |%n",
          clients, rate, expected / ((published - t0) / 1e9), forwarded / wall, (t1 - published) / 1_000_000,
          percentile(lat, 50), percentile(lat, 99), lat.isEmpty() ? -1 : lat.get(lat.size() - 1),
          percentile(mqttLeg, 50), percentile(mqttLeg, 99), bridgeCores * 100,
          forwarded / wall / bridgeCores, kafkaCpu / 1e9 / wall * 100, mosquittoCpu / 1e9 / wall * 100,
          jvmCpu / 1e9 / wall * 100, count - distinct);
    }
  }
}
