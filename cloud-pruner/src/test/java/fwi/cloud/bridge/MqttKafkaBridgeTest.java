package fwi.cloud.bridge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.cloud.testing.KafkaBroker;
import fwi.cloud.testing.TopicReader;
import fwi.proto.v1.Birth;
import fwi.proto.v1.Death;
import fwi.proto.v1.DeviceEvent;
import fwi.proto.v1.InferenceResult;
import fwi.proto.v1.OtaStatus;
import fwi.proto.v1.Telemetry;
import fwi.testing.MosquittoBroker;
import fwi.testing.Poll;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The bridge between a real Mosquitto and a real Kafka (KRaft): what arrives where, with which key,
 * headers and value. Kafka is shared by the tests of this JVM, so each test uses its own device
 * ids and looks only at records keyed by them; each test gets a fresh Mosquitto.
 */
class MqttKafkaBridgeTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final AtomicInteger RUN = new AtomicInteger();
  private static KafkaBroker kafka;
  private MosquittoBroker mqtt;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private String prefix;

  @BeforeAll
  static void kafka() throws Exception {
    kafka = KafkaBroker.shared();
    KafkaTopics.ensure(kafka.admin(), KafkaTopics.defaults(3, (short) 1), Duration.ofSeconds(30));
  }

  @BeforeEach
  void mosquitto() throws Exception {
    mqtt = MosquittoBroker.launch("set_tcp_nodelay true");
    prefix = "t" + RUN.incrementAndGet() + "-" + System.nanoTime() % 100_000 + "-";
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    mqtt.close();
  }

  private <T extends AutoCloseable> T closing(T c) {
    closeables.add(c);
    return c;
  }

  private BridgeSettings.Builder settings() {
    return BridgeSettings.builder(mqtt.url(), kafka.bootstrapServers()).clientId(prefix + "bridge")
        .linger(Duration.ofMillis(1)).closeTimeout(Duration.ofSeconds(2));
  }

  private MqttKafkaBridge bridge(BridgeSettings s) throws InterruptedException {
    MqttKafkaBridge b = closing(new MqttKafkaBridge(s));
    b.start();
    assertTrue(b.awaitConnected(WAIT), () -> "bridge not connected: " + b.stats());
    return b;
  }

  private Device device(String name) throws Exception {
    return closing(Device.connect(mqtt.url(), prefix + name));
  }

  private TopicReader reader(String topic) {
    return closing(kafka.reader(topic));
  }

  private static String header(TopicReader.Record r, String name) {
    return r.header(name).orElseThrow(() -> new AssertionError("no header " + name + " in " + r));
  }

  private static void assertForwardedHeaders(TopicReader.Record r, String mqttTopic) {
    assertEquals(MqttKafkaBridge.CONTENT_TYPE, header(r, MqttKafkaBridge.HEADER_CONTENT_TYPE));
    assertEquals(mqttTopic, header(r, MqttKafkaBridge.HEADER_MQTT_TOPIC));
    long received = Long.parseLong(header(r, MqttKafkaBridge.HEADER_RECEIVED_UNIX_MS));
    assertTrue(Math.abs(System.currentTimeMillis() - received) < 60_000, "received-unix-ms " + received);
    assertEquals(received, r.timestampMs(), "record timestamp = time received");
  }

  @Test
  void forwardsTelemetryAndResultsUnchangedKeyedByDeviceWithHeaders() throws Exception {
    MqttKafkaBridge bridge = bridge(settings().build());
    Device dev = device("dev-a");
    List<Telemetry> sent = new ArrayList<>();
    for (int seq = 1; seq <= 3; seq++) {
      Telemetry t = Device.telemetry(dev.id, seq);
      sent.add(t);
      dev.publish("telemetry", t.toByteArray(), false);
    }
    InferenceResult result = Device.result(dev.id, 1);
    dev.publish("result", result.toByteArray(), false);

    List<TopicReader.Record> telemetry = reader(KafkaTopics.TELEMETRY)
        .awaitCount(r -> r.keyOrEmpty().equals(dev.id), 3, WAIT);
    assertEquals(3, telemetry.size());
    for (int i = 0; i < 3; i++) {
      TopicReader.Record r = telemetry.get(i); // one key, one partition: MQTT order
      assertArrayEquals(sent.get(i).toByteArray(), r.value(), "bytes unchanged");
      assertEquals(sent.get(i), Telemetry.parseFrom(r.value()));
      assertForwardedHeaders(r, Device.topic(dev.id, "telemetry"));
    }
    TopicReader.Record r = reader(KafkaTopics.RESULTS).awaitCount(x -> x.keyOrEmpty().equals(dev.id), 1, WAIT).get(0);
    assertEquals(result, InferenceResult.parseFrom(r.value()));
    assertForwardedHeaders(r, Device.topic(dev.id, "result"));

    Poll.until(() -> bridge.stats().acknowledged() == 4, WAIT, () -> "4 PUBACKs: " + bridge.stats());
    BridgeStats s = bridge.stats();
    assertEquals(4, s.received());
    assertEquals(3, s.forwarded(KafkaTopics.TELEMETRY));
    assertEquals(1, s.forwarded(KafkaTopics.RESULTS));
    assertEquals(0, s.waitingForKafka());
    assertTrue(s.mqttConnected() && s.kafkaConnected(), s.toString());
  }

  @Test
  void wrapsBirthDeathWillAndOtaStatusInDeviceEvents() throws Exception {
    bridge(settings().build());
    String id = prefix + "dev-b";
    Death will = Device.death(id, 7);
    Device dev = Device.connect(mqtt.url(), id, Optional.of(will));
    Birth birth = Device.birth(id, 7);
    dev.publish("birth", birth.toByteArray(), true);
    OtaStatus ota = Device.otaStatus(id, 1);
    dev.publish("ota/status", ota.toByteArray(), false);
    long beforeDeath = System.currentTimeMillis();
    dev.kill(); // no DISCONNECT: the broker publishes the will

    List<TopicReader.Record> events = reader(KafkaTopics.DEVICE_EVENTS).awaitCount(r -> r.keyOrEmpty().equals(id), 3,
        WAIT);
    assertEquals(3, events.size());
    List<DeviceEvent> decoded = new ArrayList<>();
    for (TopicReader.Record r : events) {
      DeviceEvent e = DeviceEvent.parseFrom(r.value());
      decoded.add(e);
      assertEquals(1, e.getSchemaVersion());
      assertEquals(id, e.getDeviceId());
      assertEquals(Long.parseLong(header(r, MqttKafkaBridge.HEADER_RECEIVED_UNIX_MS)), e.getReceivedUnixMs());
    }
    assertEquals(birth, decoded.get(0).getBirth());
    assertForwardedHeaders(events.get(0), Device.topic(id, "birth"));
    assertEquals(ota, decoded.get(1).getOtaStatus());
    assertForwardedHeaders(events.get(1), Device.topic(id, "ota/status"));
    assertEquals(DeviceEvent.EventCase.DEATH, decoded.get(2).getEventCase());
    assertEquals(will, decoded.get(2).getDeath());
    assertForwardedHeaders(events.get(2), Device.topic(id, "death"));
    assertTrue(decoded.get(2).getReceivedUnixMs() >= beforeDeath, "death received after the kill");
  }

  @Test
  void deadLettersUndecodablePayloadsAndForeignSenderIdsAndKeepsForwarding() throws Exception {
    MqttKafkaBridge bridge = bridge(settings().build());
    Device dev = device("dev-c");
    byte[] garbage = "not protobuf".getBytes(StandardCharsets.UTF_8);
    dev.publish("telemetry", garbage, false);
    byte[] foreign = Device.telemetry(prefix + "someone-else", 1).toByteArray();
    dev.publish("telemetry", foreign, false);
    byte[] headerless = Telemetry.newBuilder().setInferenceCount(3).build().toByteArray();
    dev.publish("result", headerless, false);
    dev.publishOn("fwi/v1/dev/" + prefix + "bad!id/telemetry", Device.telemetry(dev.id, 9).toByteArray());
    Telemetry good = Device.telemetry(dev.id, 2);
    dev.publish("telemetry", good.toByteArray(), false);

    List<TopicReader.Record> dead = reader(KafkaTopics.DEAD_LETTER)
        .awaitCount(r -> r.keyOrEmpty().startsWith(prefix), 4, WAIT);
    assertEquals(4, dead.size());
    // Three share a key (one partition, MQTT order); the fourth has another key.
    List<TopicReader.Record> ofDevice = dead.stream().filter(r -> r.keyOrEmpty().equals(dev.id))
        .collect(Collectors.toList());
    assertEquals(3, ofDevice.size());
    TopicReader.Record unparsable = ofDevice.get(0);
    assertArrayEquals(garbage, unparsable.value());
    assertEquals(Device.topic(dev.id, "telemetry"), header(unparsable, MqttKafkaBridge.HEADER_MQTT_TOPIC));
    assertEquals("application/octet-stream", header(unparsable, MqttKafkaBridge.HEADER_CONTENT_TYPE));
    String reason = header(unparsable, MqttKafkaBridge.HEADER_DEAD_LETTER_REASON);
    assertTrue(reason.startsWith("unparsable-payload: 12 bytes on '" + Device.topic(dev.id, "telemetry")
        + "' are not a fwi.v1.Telemetry: "), reason);

    TopicReader.Record mismatch = ofDevice.get(1);
    assertArrayEquals(foreign, mismatch.value());
    assertEquals("sender-mismatch: header.sender_id '" + prefix + "someone-else' differs from device id '" + dev.id
        + "' of topic '" + Device.topic(dev.id, "telemetry") + "'",
        header(mismatch, MqttKafkaBridge.HEADER_DEAD_LETTER_REASON));

    assertTrue(header(ofDevice.get(2), MqttKafkaBridge.HEADER_DEAD_LETTER_REASON).startsWith("missing-header: "),
        header(ofDevice.get(2), MqttKafkaBridge.HEADER_DEAD_LETTER_REASON));
    TopicReader.Record badId = dead.stream().filter(r -> r.keyOrEmpty().equals(prefix + "bad!id")).findFirst()
        .orElseThrow();
    assertEquals("invalid-device-id: '" + prefix + "bad!id' of 'fwi/v1/dev/" + prefix
        + "bad!id/telemetry' does not match [A-Za-z0-9_-]{1,64}",
        header(badId, MqttKafkaBridge.HEADER_DEAD_LETTER_REASON));

    TopicReader.Record forwarded = reader(KafkaTopics.TELEMETRY)
        .awaitCount(r -> r.keyOrEmpty().equals(dev.id), 1, WAIT).get(0);
    assertEquals(good, Telemetry.parseFrom(forwarded.value()));
    Poll.until(() -> bridge.stats().acknowledged() == 5, WAIT, () -> "all 5 acknowledged: " + bridge.stats());
    assertEquals(4, bridge.stats().deadLettered());
    assertEquals(1, bridge.stats().forwarded(KafkaTopics.TELEMETRY));
  }

  @Test
  void acknowledgesClearedRetainedMessagesWithoutWritingAnything() throws Exception {
    MqttKafkaBridge bridge = bridge(settings().build());
    Device dev = device("dev-d");
    dev.publish("birth", Device.birth(dev.id, 1).toByteArray(), true);
    dev.publish("birth", new byte[0], true); // an operator clears the retained birth
    dev.publish("ota/status", Device.otaStatus(dev.id, 1).toByteArray(), false);

    reader(KafkaTopics.DEVICE_EVENTS).awaitCount(r -> r.keyOrEmpty().equals(dev.id), 2, WAIT);
    Poll.until(() -> bridge.stats().acknowledged() == 3, WAIT, () -> "all 3 acknowledged: " + bridge.stats());
    assertEquals(1, bridge.stats().skipped());
    assertEquals(0, bridge.stats().deadLettered());
  }

  @Test
  void deadLettersWhatKafkaRefusesAndKeepsForwardingAfterIt() throws Exception {
    String results = prefix + "small-results";
    kafka.createTopic(results, 1, java.util.Map.of("max.message.bytes", "2000"));
    MqttKafkaBridge bridge = bridge(settings()
        .topics(KafkaTopics.TELEMETRY, results, KafkaTopics.DEVICE_EVENTS, KafkaTopics.DEAD_LETTER).build());
    Device dev = device("dev-e");
    byte[] noise = new byte[9800]; // incompressible: the limit applies to the compressed batch
    new java.util.Random(1).nextBytes(noise);
    InferenceResult big = Device.result(dev.id, 1).toBuilder()
        .setVelocityMap(Device.result(dev.id, 1).getVelocityMap().toBuilder()
            .setData(com.google.protobuf.ByteString.copyFrom(noise)))
        .build();
    dev.publish("result", big.toByteArray(), false);
    InferenceResult small = Device.result(dev.id, 2);
    dev.publish("result", small.toByteArray(), false);

    TopicReader.Record dead = reader(KafkaTopics.DEAD_LETTER).awaitCount(r -> r.keyOrEmpty().equals(dev.id), 1, WAIT)
        .get(0);
    assertArrayEquals(big.toByteArray(), dead.value());
    String reason = header(dead, MqttKafkaBridge.HEADER_DEAD_LETTER_REASON);
    assertTrue(reason.startsWith("kafka-refused: " + results + " refused the record: "
        + "org.apache.kafka.common.errors.RecordTooLargeException"), reason);
    TopicReader.Record forwarded = reader(results).awaitCount(r -> r.keyOrEmpty().equals(dev.id), 1, WAIT).get(0);
    assertEquals(small, InferenceResult.parseFrom(forwarded.value()));
    Poll.until(() -> bridge.stats().acknowledged() == 2, WAIT, () -> "both acknowledged: " + bridge.stats());
    assertEquals(0, bridge.stats().dropped());
  }

  @Test
  void bridgesInOneSharedGroupSplitTheLoadAndForwardEachMessage() throws Exception {
    // Two instances, the second with two MQTT clients: three members of the group.
    MqttKafkaBridge one = bridge(settings().sharedGroup(prefix + "group").clientId(prefix + "one").build());
    MqttKafkaBridge two = bridge(settings().sharedGroup(prefix + "group").clientId(prefix + "two").mqttClients(2)
        .build());
    int devices = 4;
    int perDevice = 30;
    List<Device> devs = new ArrayList<>();
    for (int d = 0; d < devices; d++) {
      devs.add(device("dev-" + d));
    }
    for (int seq = 1; seq <= perDevice; seq++) {
      for (Device dev : devs) {
        dev.publish("telemetry", Device.telemetry(dev.id, seq).toByteArray(), false);
      }
    }
    List<TopicReader.Record> records = reader(KafkaTopics.TELEMETRY)
        .awaitCount(r -> r.keyOrEmpty().startsWith(prefix + "dev-"), devices * perDevice, WAIT);
    Set<String> distinct = new HashSet<>();
    for (TopicReader.Record r : records) {
      Telemetry t = Telemetry.parseFrom(r.value());
      assertEquals(r.keyOrEmpty(), t.getHeader().getSenderId());
      distinct.add(t.getHeader().getSenderId() + "#" + t.getHeader().getSequence());
    }
    assertEquals(devices * perDevice, distinct.size(), "every (device, sequence) once");
    long a = one.stats().forwarded(KafkaTopics.TELEMETRY);
    long b = two.stats().forwarded(KafkaTopics.TELEMETRY);
    assertTrue(a > 0 && b > 0, "both instances forward: " + a + " and " + b);
    assertEquals(devices * perDevice, a + b, "and together forward each message once");
    System.out.println("shared group split " + devices * perDevice + " messages: " + a + " / " + b
        + " (1 and 2 MQTT clients)");
  }

  @Test
  void createsTopicsIdempotentlyWithModelsCompacted() throws Exception {
    Set<String> again = KafkaTopics.ensure(kafka.admin(), KafkaTopics.defaults(3, (short) 1), Duration.ofSeconds(30));
    assertEquals(Set.of(), again, "all exist already");
    ConfigResource models = new ConfigResource(ConfigResource.Type.TOPIC, KafkaTopics.MODELS);
    ConfigEntry policy = kafka.admin().describeConfigs(List.of(models)).all().get().get(models).get("cleanup.policy");
    assertEquals("compact", policy.value());
    Set<String> names = kafka.admin().listTopics().names().get();
    assertTrue(names.containsAll(KafkaTopics.defaults(3, (short) 1).stream().map(KafkaTopics.Spec::name)
        .collect(Collectors.toSet())), names.toString());
  }
}
