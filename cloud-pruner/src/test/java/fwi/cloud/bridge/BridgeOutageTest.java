package fwi.cloud.bridge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.cloud.testing.KafkaBroker;
import fwi.cloud.testing.TopicReader;
import fwi.proto.v1.Telemetry;
import fwi.testing.MosquittoBroker;
import fwi.testing.Poll;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Nothing is lost when Kafka goes away or the bridge restarts: the bridge withholds PUBACKs until
 * Kafka has a record, the broker's receive-maximum window throttles it, and its persistent MQTT
 * session keeps what it has not acknowledged (and what arrives while it is away) for the next
 * bridge with the same client id. Messages are counted by (device, sequence); duplicates are
 * allowed by the at-least-once contract and reported.
 */
class BridgeOutageTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final int RECEIVE_MAXIMUM = 20;
  private static KafkaBroker kafka;
  private MosquittoBroker mqtt;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  /** What the devices published, by "device#sequence". */
  private final Map<String, byte[]> published = new HashMap<>();

  @BeforeAll
  static void kafka() throws Exception {
    kafka = KafkaBroker.launch(); // our own: these tests stop it
    KafkaTopics.ensure(kafka.admin(), KafkaTopics.defaults(3, (short) 1), Duration.ofSeconds(30));
  }

  @AfterAll
  static void stopKafka() {
    kafka.close();
  }

  @BeforeEach
  void mosquitto() throws Exception {
    mqtt = MosquittoBroker.launch("set_tcp_nodelay true");
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    mqtt.close();
    if (!kafka.running()) {
      kafka.start();
    }
  }

  private <T extends AutoCloseable> T closing(T c) {
    closeables.add(c);
    return c;
  }

  private MqttKafkaBridge bridge(String clientId) throws InterruptedException {
    MqttKafkaBridge b = closing(new MqttKafkaBridge(BridgeSettings.builder(mqtt.url(), kafka.bootstrapServers())
        .clientId(clientId).receiveMaximum(RECEIVE_MAXIMUM).linger(Duration.ofMillis(1))
        .closeTimeout(Duration.ofMillis(500)).build()));
    b.start();
    assertTrue(b.awaitConnected(WAIT), () -> "bridge not connected: " + b.stats());
    return b;
  }

  private List<Device> devices(String prefix, int n) throws Exception {
    List<Device> devs = new ArrayList<>();
    for (int d = 0; d < n; d++) {
      devs.add(closing(Device.connect(mqtt.url(), prefix + d)));
    }
    return devs;
  }

  /** Publishes telemetry with sequences {@code from..to} from every device, interleaved. */
  private void publish(List<Device> devs, int from, int to) throws Exception {
    for (int seq = from; seq <= to; seq++) {
      for (Device dev : devs) {
        byte[] payload = Device.telemetry(dev.id, seq).toByteArray();
        published.put(dev.id + "#" + seq, payload);
        dev.publish("telemetry", payload, false);
      }
    }
  }

  /** What arrived in Kafka for devices with ids starting {@code prefix}: per (device, sequence), how often. */
  private record Tally(Map<String, Integer> copies, Map<String, List<Long>> orderPerDevice) {
    int distinct() {
      return copies.size();
    }

    int duplicates() {
      return copies.values().stream().mapToInt(c -> c - 1).sum();
    }
  }

  private Tally tally(List<TopicReader.Record> records) throws Exception {
    Map<String, Integer> copies = new HashMap<>();
    Map<String, List<Long>> order = new HashMap<>();
    for (TopicReader.Record r : records) {
      Telemetry t = Telemetry.parseFrom(r.value());
      String device = t.getHeader().getSenderId();
      assertEquals(r.keyOrEmpty(), device, "key = device id");
      String id = device + "#" + t.getHeader().getSequence();
      assertArrayEquals(published.get(id), r.value(), () -> id + " in Kafka exactly as the device published it");
      if (copies.merge(id, 1, Integer::sum) == 1) {
        order.computeIfAbsent(device, k -> new ArrayList<>()).add(t.getHeader().getSequence());
      }
    }
    return new Tally(copies, order);
  }

  private Tally awaitAll(String prefix, int expected) throws Exception {
    try (TopicReader reader = kafka.reader(KafkaTopics.TELEMETRY)) {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (true) {
        reader.poll(Duration.ofMillis(200));
        Tally t = tally(reader.matching(r -> r.keyOrEmpty().startsWith(prefix)));
        if (t.distinct() >= expected) {
          reader.poll(Duration.ofMillis(500)); // stragglers: duplicates still on their way
          return tally(reader.matching(r -> r.keyOrEmpty().startsWith(prefix)));
        }
        if (System.nanoTime() > deadline) {
          throw new AssertionError("only " + t.distinct() + " of " + expected + " distinct messages in Kafka");
        }
      }
    }
  }

  private static void assertInOrderPerDevice(Tally t) {
    t.orderPerDevice().forEach((device, seqs) -> {
      for (int i = 1; i < seqs.size(); i++) {
        assertTrue(seqs.get(i) > seqs.get(i - 1), device + ": first copies out of MQTT order: " + seqs);
      }
    });
  }

  @Test
  void keepsEveryMessageWhileKafkaIsDownAndWithholdsAcknowledgementsMeanwhile() throws Exception {
    MqttKafkaBridge bridge = bridge("outage-bridge");
    List<Device> devs = devices("outage-dev-", 3);
    publish(devs, 1, 10);
    Poll.until(() -> bridge.stats().acknowledged() == 30, WAIT, () -> "first 30 through: " + bridge.stats());

    kafka.stop();
    long stoppedAt = System.nanoTime();
    publish(devs, 11, 160); // 450 messages, all accepted by the broker while Kafka is down
    // The broker stops at the receive maximum: the bridge holds exactly that many, acknowledges none.
    Poll.until(() -> bridge.stats().waitingForKafka() == RECEIVE_MAXIMUM, WAIT,
        () -> "window full: " + bridge.stats());
    BridgeStats during = bridge.stats();
    assertEquals(30, during.acknowledged(), "no PUBACK while Kafka is down: " + during);
    assertEquals(30 + RECEIVE_MAXIMUM, during.received(), "flow control: " + during);
    Poll.until(() -> !bridge.stats().kafkaConnected() && bridge.stats().oldestWaitingMs() > 0, WAIT,
        () -> "Kafka shown as gone, the oldest message waiting: " + bridge.stats());

    kafka.start();
    System.out.println("kafka down for " + (System.nanoTime() - stoppedAt) / 1_000_000 + " ms; restart took "
        + kafka.lastStartTime().toMillis() + " ms");
    Tally t = awaitAll("outage-dev-", 480);
    Poll.until(() -> bridge.stats().acknowledged() == 480 && bridge.stats().waitingForKafka() == 0, WAIT,
        () -> "all acknowledged: " + bridge.stats());
    assertEquals(480, t.distinct());
    assertInOrderPerDevice(t);
    System.out.println("kafka outage: 480 messages, " + t.distinct() + " distinct in Kafka, " + t.duplicates()
        + " duplicates; bridge " + bridge.stats());
  }

  @Test
  void aRestartedBridgeGetsWhatItsPredecessorLeftUnacknowledgedAndWhatCameMeanwhile() throws Exception {
    MqttKafkaBridge first = bridge("restart-bridge");
    List<Device> devs = devices("restart-dev-", 3);
    publish(devs, 1, 5);
    Poll.until(() -> first.stats().acknowledged() == 15, WAIT, () -> "first 15 through: " + first.stats());
    kafka.stop();
    publish(devs, 6, 40);
    Poll.until(() -> first.stats().waitingForKafka() == RECEIVE_MAXIMUM, WAIT, () -> "window full: " + first.stats());
    first.close(); // gives up after its close timeout: 20 taken, not acknowledged
    BridgeStats closed = first.stats();
    assertEquals(15, closed.acknowledged(), closed.toString());
    assertEquals(RECEIVE_MAXIMUM, closed.abandoned(), closed.toString());

    publish(devs, 41, 60); // no bridge at all: the broker queues for the persistent session
    // The successor starts while Kafka is still down: it never had Kafka metadata, so its sends
    // block and retry; it takes its window's worth and waits.
    MqttKafkaBridge second = bridge("restart-bridge");
    Poll.until(() -> second.stats().waitingForKafka() == RECEIVE_MAXIMUM, WAIT, () -> "window full: " + second.stats());
    kafka.start();
    Tally t = awaitAll("restart-dev-", 180);
    assertEquals(180, t.distinct());
    Poll.until(() -> second.stats().waitingForKafka() == 0, WAIT, () -> "second idle: " + second.stats());
    BridgeStats s = second.stats();
    assertEquals(180 - 15, s.received(), "the second bridge got everything not acknowledged: " + s);
    assertEquals(180 - 15, s.acknowledged(), s.toString());
    assertInOrderPerDevice(t);
    System.out.println("bridge restart: 180 messages, " + t.distinct() + " distinct in Kafka, " + t.duplicates()
        + " duplicates; second bridge " + s);
  }
}
