package fwi.edge.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import fwi.testing.MosquittoBroker;
import fwi.testing.MqttTestClient;
import fwi.testing.MqttTestClient.Received;
import fwi.testing.Poll;
import fwi.proto.v1.Birth;
import fwi.proto.v1.BlockRequest;
import fwi.proto.v1.Death;
import fwi.proto.v1.DeathReason;
import fwi.proto.v1.Header;
import fwi.proto.v1.InferenceResult;
import fwi.proto.v1.OtaState;
import fwi.proto.v1.OtaStatus;
import fwi.proto.v1.SequenceSkip;
import fwi.proto.v1.Telemetry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The publisher against a real Mosquitto; each test uses its own device id (and broker when it restarts it). */
class MqttPublisherTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static MosquittoBroker shared;

  @TempDir
  Path dir;

  @BeforeAll
  static void startBroker() throws IOException {
    shared = MosquittoBroker.launch();
  }

  @AfterAll
  static void stopBroker() {
    shared.close();
  }

  static PublisherSettings.Builder settings(MosquittoBroker broker, String deviceId, Path outboxDir) {
    return PublisherSettings.builder(broker.url(), deviceId, outboxDir)
        .keepAlive(Duration.ofSeconds(5))
        .connectTimeout(Duration.ofSeconds(2))
        .reconnectDelay(Duration.ofMillis(50), Duration.ofMillis(400))
        .fsync(FsyncPolicy.never())
        .shutdownTimeout(Duration.ofSeconds(2));
  }

  static Birth.Builder birth() {
    return Birth.newBuilder().setProfileName("pi-4b").setAgentVersion("0.1.0-test").setAgentStartedUnixMs(1_700_000_000_000L);
  }

  static MqttPublisher started(PublisherSettings settings) throws IOException {
    MqttPublisher p = new MqttPublisher(settings, MqttPublisherTest::birth);
    p.start();
    return p;
  }

  static void awaitConnected(MqttPublisher p) {
    Poll.until(p::connected, WAIT, () -> "publisher connected; last error " + p.lastConnectError());
  }

  static Telemetry telemetry(Header h, long i) {
    return Telemetry.newBuilder().setHeader(h).setInferenceCount(i).build();
  }

  static InferenceResult result(Header h, long i) {
    return InferenceResult.newBuilder().setHeader(h).setInputId("in-" + i).build();
  }

  static Header headerOf(Received r) {
    try {
      if (r.topic().endsWith("/telemetry")) {
        return Telemetry.parseFrom(r.payload()).getHeader();
      } else if (r.topic().endsWith("/result")) {
        return InferenceResult.parseFrom(r.payload()).getHeader();
      } else if (r.topic().endsWith("/ota/status")) {
        return OtaStatus.parseFrom(r.payload()).getHeader();
      }
      throw new AssertionError("unexpected topic " + r.topic());
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * What a reader that drops every number not above the last one it kept (per topic) keeps:
   * if this is 1..N per stream, nothing was lost and nothing came out of order.
   */
  static Map<String, List<Long>> keptByStrictReader(List<Received> messages) {
    Map<String, List<Long>> kept = new java.util.TreeMap<>();
    for (Received r : messages) {
      List<Long> list = kept.computeIfAbsent(r.topic(), t -> new ArrayList<>());
      long seq = headerOf(r).getSequence();
      if (list.isEmpty() || seq > list.get(list.size() - 1)) {
        list.add(seq);
      }
    }
    return kept;
  }

  static List<Long> oneTo(long n) {
    return LongStream.rangeClosed(1, n).boxed().collect(Collectors.toList());
  }

  @Test
  void birthIsRetainedWithSessionAndHeaderAndReachesLateSubscribers() throws Exception {
    DeviceTopics topics = new DeviceTopics("dev-birth");
    try (MqttPublisher publisher = started(settings(shared, "dev-birth", dir).build())) {
      awaitConnected(publisher);

      try (MqttTestClient late = MqttTestClient.connect(shared.url(), "cloud-birth", topics.birth())) {
        Received r = late.await(m -> m.topic().equals(topics.birth()), WAIT);

        assertTrue(r.retained(), "birth is retained");
        assertEquals(1, r.qos());
        assertEquals(Optional.of("application/x-protobuf"), r.contentType());
        Birth b = Birth.parseFrom(r.payload());
        assertEquals(1, b.getSessionSeq());
        assertEquals(1, b.getHeader().getSchemaVersion());
        assertEquals("dev-birth", b.getHeader().getSenderId());
        assertEquals(1, b.getHeader().getSequence());
        assertTrue(b.getHeader().getSentUnixMs() > 0);
        assertEquals("pi-4b", b.getProfileName());
        assertEquals(1_700_000_000_000L, b.getAgentStartedUnixMs());
      }
    }
  }

  @Test
  void crashMakesTheBrokerPublishTheRetainedWillOfTheSameSession() throws Exception {
    DeviceTopics topics = new DeviceTopics("dev-crash");
    try (MqttTestClient watcher = MqttTestClient.connect(shared.url(), "cloud-crash", topics.birth(), topics.death())) {
      MqttPublisher publisher = started(settings(shared, "dev-crash", dir).build());
      awaitConnected(publisher);
      Birth birth = Birth.parseFrom(watcher.await(m -> m.topic().equals(topics.birth()), WAIT).payload());

      publisher.simulateCrash();

      Received will = watcher.await(m -> m.topic().equals(topics.death()), WAIT);
      Death death = Death.parseFrom(will.payload());
      assertEquals(DeathReason.DEATH_REASON_CONNECTION_LOST, death.getReason());
      assertEquals(birth.getSessionSeq(), death.getSessionSeq());
      assertEquals("dev-crash", death.getHeader().getSenderId());
      assertEquals(1, death.getHeader().getSequence());
      assertEquals(Optional.of("application/x-protobuf"), will.contentType());
    }
    try (MqttTestClient late = MqttTestClient.connect(shared.url(), "cloud-crash-late", topics.death())) {
      Received r = late.await(m -> m.topic().equals(topics.death()), WAIT);
      assertTrue(r.retained(), "the will is retained");
      assertEquals(DeathReason.DEATH_REASON_CONNECTION_LOST, Death.parseFrom(r.payload()).getReason());
    }
  }

  @Test
  void plannedCloseLeavesARetainedShutdownDeathAndTheNextStartANewSession() throws Exception {
    DeviceTopics topics = new DeviceTopics("dev-close");
    MqttPublisher first = started(settings(shared, "dev-close", dir).build());
    awaitConnected(first);
    long firstSession = first.sessionSeq();
    first.close();
    first.close(); // idempotent

    try (MqttTestClient late = MqttTestClient.connect(shared.url(), "cloud-close", topics.death())) {
      Received r = late.await(m -> m.topic().equals(topics.death()), WAIT);
      assertTrue(r.retained());
      Death death = Death.parseFrom(r.payload());
      assertEquals(DeathReason.DEATH_REASON_SHUTDOWN, death.getReason());
      assertEquals(firstSession, death.getSessionSeq());
    }

    try (MqttPublisher second = started(settings(shared, "dev-close", dir).build());
        MqttTestClient watcher = MqttTestClient.connect(shared.url(), "cloud-close-2", topics.birth())) {
      awaitConnected(second);
      Received r = watcher.await(m -> {
        try {
          return Birth.parseFrom(m.payload()).getSessionSeq() == firstSession + 1;
        } catch (InvalidProtocolBufferException e) {
          return false;
        }
      }, WAIT);
      assertEquals(2, Birth.parseFrom(r.payload()).getHeader().getSequence(), "birth sequence continues");
    }
  }

  @Test
  void sequencesAreContiguousAndIndependentPerStream() throws Exception {
    DeviceTopics topics = new DeviceTopics("dev-seq");
    try (MqttTestClient cloud = MqttTestClient.connect(shared.url(), "cloud-seq", "fwi/v1/dev/dev-seq/#");
        MqttPublisher publisher = started(settings(shared, "dev-seq", dir).build())) {
      EnumMap<Stream, List<Long>> returned = new EnumMap<>(Stream.class);
      for (int i = 0; i < 90; i++) {
        Stream s = i % 3 == 0 ? Stream.RESULT : i % 5 == 0 ? Stream.OTA_STATUS : Stream.TELEMETRY;
        long n = i;
        long seq = publisher.publish(s, h -> s == Stream.RESULT ? result(h, n) : s == Stream.TELEMETRY ? telemetry(h, n)
            : OtaStatus.newBuilder().setHeader(h).setState(OtaState.OTA_STATE_IDLE).build());
        returned.computeIfAbsent(s, k -> new ArrayList<>()).add(seq);
      }

      List<Received> all = cloud.awaitCount(m -> !m.topic().endsWith("birth"), 90, WAIT);

      for (Map.Entry<Stream, List<Long>> e : returned.entrySet()) {
        assertEquals(oneTo(e.getValue().size()), e.getValue(), "publish() results of " + e.getKey());
        List<Long> arrived = all.stream().filter(m -> m.topic().equals(topics.of(e.getKey())))
            .map(m -> headerOf(m).getSequence()).collect(Collectors.toList());
        assertEquals(oneTo(e.getValue().size()), arrived, "arrivals on " + e.getKey());
      }
      assertTrue(all.stream().filter(m -> !m.topic().endsWith("birth"))
          .allMatch(m -> m.contentType().equals(Optional.of("application/x-protobuf")) && !m.retained()));
      Header h = headerOf(all.stream().filter(m -> m.topic().endsWith("/result")).findFirst().orElseThrow());
      assertEquals("dev-seq", h.getSenderId());
      assertEquals(1, h.getSchemaVersion());
      Poll.until(() -> publisher.bufferedCount() == 0, WAIT, () -> "outbox empty: " + publisher.bufferedCount());
      assertEquals(30, publisher.sentCount(Stream.RESULT));
    }
  }

  @Test
  void outboxDeliversEverythingInOrderAcrossABrokerRestart() throws Exception {
    int total = 500;
    int results = (total + 2) / 3;
    String[] filters = {"fwi/v1/dev/dev-restart/telemetry", "fwi/v1/dev/dev-restart/result"};
    try (MosquittoBroker broker = MosquittoBroker.launch();
        MqttPublisher publisher = started(settings(broker, "dev-restart", dir).build())) {
      List<Received> beforeRestart;
      try (MqttTestClient cloud = MqttTestClient.persistent(broker.url(), "cloud-restart", Duration.ofMinutes(5),
          filters)) {
        awaitConnected(publisher);
        for (int i = 0; i < 150; i++) {
          publishNumbered(publisher, i);
        }
        cloud.awaitCount(m -> true, 100, WAIT);

        broker.stop();
        beforeRestart = cloud.received();
      }
      Poll.until(() -> !publisher.connected(), WAIT, () -> "publisher noticed the broker stop");
      for (int i = 150; i < 350; i++) {
        publishNumbered(publisher, i); // buffered while the broker is down
      }
      assertTrue(publisher.bufferedCount() >= 200, "buffered " + publisher.bufferedCount());
      assertTrue(publisher.lastConnectError().isPresent());

      broker.start();
      for (int i = 350; i < total; i++) {
        publishNumbered(publisher, i); // while reconnecting and after
      }

      // The cloud's session (and what the broker queued for it) survived the restart.
      try (MqttTestClient cloud = MqttTestClient.persistent(broker.url(), "cloud-restart", Duration.ofMinutes(5))) {
        List<Received> afterRestart = cloud.awaitUntil(list -> {
          Map<String, List<Long>> kept = keptByStrictReader(concat(beforeRestart, list));
          return kept.getOrDefault(filters[1], List.of()).size() == results
              && kept.getOrDefault(filters[0], List.of()).size() == total - results;
        }, Duration.ofSeconds(20), "every sequence number");
        List<Received> all = concat(beforeRestart, afterRestart);
        Map<String, List<Long>> kept = keptByStrictReader(all);
        assertEquals(oneTo(results), kept.get(filters[1]));
        assertEquals(oneTo(total - results), kept.get(filters[0]));
        Poll.until(() -> publisher.bufferedCount() == 0, WAIT, () -> "outbox empty: " + publisher.bufferedCount());
        System.out.printf("broker restart: %d messages, %d received (%d duplicates)%n", total, all.size(),
            all.size() - total);
      }
    }
  }

  private static List<Received> concat(List<Received> a, List<Received> b) {
    List<Received> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  private static long publishNumbered(MqttPublisher publisher, long i) {
    return i % 3 == 0 ? publisher.publish(Stream.RESULT, h -> result(h, i))
        : publisher.publish(Stream.TELEMETRY, h -> telemetry(h, i));
  }

  /**
   * The broker accepts a message nobody subscribes to with PUBACK 0x10 and gives it to nobody: the
   * publisher keeps such messages and sends them again until a subscriber is there (a bridge that
   * restarts, or a broker restart that forgot the bridge's shared subscription).
   */
  @Test
  void messagesNobodySubscribedToAreKeptUntilASubscriberIsThere() throws Exception {
    String[] filters = {"$share/bridge/fwi/v1/dev/+/result"};
    try (MosquittoBroker broker = MosquittoBroker.launch();
        MqttPublisher publisher = started(settings(broker, "dev-nobody", dir).build())) {
      awaitConnected(publisher);
      for (int i = 0; i < 20; i++) {
        publisher.publish(Stream.RESULT, h -> result(h, 0));
      }
      Poll.until(() -> publisher.unmatchedCount() >= 1, WAIT, () -> "a PUBACK 0x10 (no subscriber)");
      Thread.sleep(1_000); // at least one hold and resend while still nobody listens
      assertEquals(20, publisher.bufferedCount(), "the messages nobody got stay in the outbox");
      try (MqttTestClient cloud = MqttTestClient.persistent(broker.url(), "bridge-late", Duration.ofMinutes(5),
          filters)) {
        for (int i = 0; i < 10; i++) {
          publisher.publish(Stream.RESULT, h -> result(h, 0));
        }
        List<Received> got = cloud.awaitUntil(list -> keptByStrictReader(list)
            .getOrDefault("fwi/v1/dev/dev-nobody/result", List.of()).size() == 30, WAIT, "all 30 results");
        assertEquals(oneTo(30), keptByStrictReader(got).get("fwi/v1/dev/dev-nobody/result"));
        Poll.until(() -> publisher.bufferedCount() == 0, WAIT, () -> "outbox empty: " + publisher.bufferedCount());
      }
    }
  }

  @Test
  void restartedAgentSendsTheOldOutboxFirstAndContinuesTheSequence() throws Exception {
    DeviceTopics topics = new DeviceTopics("dev-again");
    try (MosquittoBroker broker = MosquittoBroker.launch()) {
      broker.stop();
      MqttPublisher before = started(settings(broker, "dev-again", dir).build()); // broker down: must not throw
      for (int i = 1; i <= 50; i++) {
        assertEquals(i, before.publish(Stream.TELEMETRY, h -> telemetry(h, 0)));
      }
      Poll.until(() -> before.lastConnectError().isPresent(), WAIT, () -> "a failed connect attempt");
      assertFalse(before.connected());
      before.close();

      broker.start();
      try (MqttTestClient cloud = MqttTestClient.connect(broker.url(), "cloud-again", topics.of(Stream.TELEMETRY));
          MqttPublisher after = started(settings(broker, "dev-again", dir).build())) {
        assertEquals(50, after.bufferedCount());
        for (int i = 51; i <= 100; i++) {
          assertEquals(i, after.publish(Stream.TELEMETRY, h -> telemetry(h, 0)), "no gap after a planned restart");
        }
        List<Received> all = cloud.awaitCount(m -> true, 100, WAIT);
        assertEquals(oneTo(100), all.stream().map(m -> headerOf(m).getSequence()).collect(Collectors.toList()));
      }
    }
  }

  @Test
  void fullOutboxWhileOfflineDropsOldResultsKeepsTelemetryAndDeliversTheRestInOrder() throws Exception {
    DeviceTopics topics = new DeviceTopics("dev-full");
    try (MosquittoBroker broker = MosquittoBroker.launch()) {
      PublisherSettings s = settings(broker, "dev-full", dir).outboxMaxBytes(16 * 1024).build();
      try (MqttPublisher publisher = new MqttPublisher(s, MqttPublisherTest::birth)) { // not started: offline
        for (int i = 1; i <= 100; i++) {
          long n = i;
          publisher.publish(Stream.RESULT, h -> InferenceResult.newBuilder().setHeader(h).setInputId("in-" + n)
              .setVelocityMap(fwi.proto.v1.VelocityMap.newBuilder().setData(
                  com.google.protobuf.ByteString.copyFrom(new byte[500]))).build());
          if (i % 10 == 0) {
            publisher.publish(Stream.TELEMETRY, h -> telemetry(h, n));
          }
        }
        long droppedResults = publisher.droppedCount(Stream.RESULT);
        assertTrue(droppedResults > 50, "dropped " + droppedResults);
        assertEquals(0, publisher.droppedCount(Stream.TELEMETRY));
        assertEquals(droppedResults, publisher.droppedCount());

        try (MqttTestClient cloud = MqttTestClient.connect(broker.url(), "cloud-full", "fwi/v1/dev/dev-full/+")) {
          publisher.start();
          Poll.until(() -> publisher.bufferedCount() == 0, WAIT, () -> "outbox drained: " + publisher.bufferedCount());
          List<Received> all = cloud.awaitCount(m -> !m.topic().endsWith("/birth"), (int) (110 - droppedResults), WAIT);
          Map<String, List<Long>> kept = keptByStrictReader(all.stream()
              .filter(m -> !m.topic().endsWith("/birth")).collect(Collectors.toList()));
          assertEquals(oneTo(10), kept.get(topics.of(Stream.TELEMETRY)));
          assertEquals(LongStream.rangeClosed(droppedResults + 1, 100).boxed().collect(Collectors.toList()),
              kept.get(topics.of(Stream.RESULT)), "the newest results survive");
        }
      }
    }
  }

  @Test
  void crashedAgentSkipsItsReservedSequencesButNeverReusesOneAndAnnouncesExactlyTheSkippedRange() throws Exception {
    DeviceTopics topics = new DeviceTopics("dev-phoenix");
    try (MqttTestClient cloud = MqttTestClient.connect(shared.url(), "cloud-phoenix", topics.of(Stream.RESULT))) {
      MqttPublisher before = started(settings(shared, "dev-phoenix", dir).build());
      for (int i = 1; i <= 10; i++) {
        before.publish(Stream.RESULT, h -> result(h, 0));
      }
      before.publish(Stream.TELEMETRY, h -> telemetry(h, 0));
      cloud.awaitCount(m -> true, 10, WAIT);
      assertEquals(List.of(), before.skippedSequences());
      before.simulateCrash();

      try (MqttTestClient births = MqttTestClient.connect(shared.url(), "cloud-phoenix-birth", topics.birth());
          MqttPublisher after = started(settings(shared, "dev-phoenix", dir).build())) {
        List<SequenceSkip> expected = List.of(
            SequenceSkip.newBuilder().setMessageType("result").setFirstSeq(11).setLastSeq(100).build(),
            SequenceSkip.newBuilder().setMessageType("telemetry").setFirstSeq(2).setLastSeq(100).build());
        assertEquals(expected, after.skippedSequences());
        Received birth = births.await(m -> {
          try {
            return Birth.parseFrom(m.payload()).getSessionSeq() == after.sessionSeq() && after.sessionSeq() > 0;
          } catch (InvalidProtocolBufferException e) {
            return false;
          }
        }, WAIT);
        assertEquals(expected, Birth.parseFrom(birth.payload()).getSkippedSequencesList());
        long next = after.publish(Stream.RESULT, h -> result(h, 0));
        assertEquals(101, next, "continues after the reserved block of 100");
        cloud.await(m -> headerOf(m).getSequence() == 101, WAIT);
        // Entries whose PUBACK the crash beat come again (duplicates); a strict reader keeps each once.
        assertEquals(Map.of(topics.of(Stream.RESULT), java.util.stream.Stream.concat(oneTo(10).stream(),
            java.util.stream.Stream.of(101L)).collect(Collectors.toList())), keptByStrictReader(cloud.received()));
      }
    }
  }

  @Test
  void publishNowSendsBlockRequestsOnlyWhileConnected() throws Exception {
    DeviceTopics topics = new DeviceTopics("dev-get");
    try (MqttTestClient cloud = MqttTestClient.connect(shared.url(), "cloud-get", topics.of(Stream.OTA_GET));
        MqttPublisher publisher = new MqttPublisher(settings(shared, "dev-get", dir).build(), MqttPublisherTest::birth)) {
      assertFalse(publisher.publishNow(Stream.OTA_GET, h -> BlockRequest.newBuilder().setHeader(h).build()),
          "not connected before start");
      publisher.start();
      awaitConnected(publisher);

      assertTrue(publisher.publishNow(Stream.OTA_GET,
          h -> BlockRequest.newBuilder().setHeader(h).setRequestId("r-1").setBlockIndex(3).build()));

      BlockRequest request = BlockRequest.parseFrom(cloud.await(m -> true, WAIT).payload());
      assertEquals("r-1", request.getRequestId());
      assertEquals(1, request.getHeader().getSequence(), "the refused attempt used up no number");
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> publisher.publish(Stream.OTA_GET, h -> BlockRequest.newBuilder().setHeader(h).build()));
      assertEquals("stream OTA_GET is not buffered: send block requests with publishNow", e.getMessage());
    }
  }

  @Test
  void messageBuiltWithoutItsHeaderIsRefused() throws Exception {
    try (MqttPublisher publisher = new MqttPublisher(settings(shared, "dev-nohead", dir).build(), MqttPublisherTest::birth)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> publisher.publish(Stream.TELEMETRY, h -> Telemetry.newBuilder().setInferenceCount(3).build()));
      assertEquals("message of stream TELEMETRY must carry the header it was built with (sequence 1), but carried"
          + " sequence 0 from sender ''", e.getMessage());
      assertEquals(1, publisher.publish(Stream.TELEMETRY, h -> telemetry(h, 3)), "the refused message used up no number");
    }
  }

  @Test
  void subscriptionHandlersRunOffPahosThreadAndSurviveReconnects() throws Exception {
    DeviceTopics topics = new DeviceTopics("dev-sub");
    List<String> got = new CopyOnWriteArrayList<>();
    List<String> threads = new CopyOnWriteArrayList<>();
    try (MosquittoBroker broker = MosquittoBroker.launch();
        MqttPublisher publisher = new MqttPublisher(settings(broker, "dev-sub", dir).build(), MqttPublisherTest::birth)) {
      publisher.subscribe(topics.otaBlock(), (topic, payload) -> {
        got.add(topic + "=" + new String(payload, StandardCharsets.UTF_8));
        threads.add(Thread.currentThread().getName());
      });
      publisher.start();
      awaitConnected(publisher);
      try (MqttTestClient cloud = MqttTestClient.connect(broker.url(), "cloud-sub")) {
        cloud.publish(topics.otaBlock(), "one".getBytes(StandardCharsets.UTF_8), false);
        Poll.until(() -> got.size() == 1, WAIT, () -> "first message handled: " + got);
      }

      broker.stop();
      Poll.until(() -> !publisher.connected(), WAIT, () -> "publisher noticed the broker stop");
      broker.start();
      awaitConnected(publisher);
      try (MqttTestClient cloud = MqttTestClient.connect(broker.url(), "cloud-sub")) {
        cloud.publish(topics.otaBlock(), "two".getBytes(StandardCharsets.UTF_8), false);
        Poll.until(() -> got.size() == 2, WAIT, () -> "second message handled: " + got);
      }

      assertEquals(List.of(topics.otaBlock() + "=one", topics.otaBlock() + "=two"), got);
      assertEquals(List.of("fwi-mqtt-handler-dev-sub", "fwi-mqtt-handler-dev-sub"), threads);
    }
  }

  @Test
  void messagesTheBrokerRefusesAreDiscardedWithoutBlockingTheOnesBehind() throws Exception {
    DeviceTopics topics = new DeviceTopics("dev-acl");
    Path acl = dir.resolve("acl");
    // Anonymous clients may read everything, but the device may not publish results.
    java.nio.file.Files.writeString(acl, String.join("\n", "topic read #",
        "topic write " + topics.birth(), "topic write " + topics.death(), "topic write " + topics.of(Stream.TELEMETRY), ""));
    try (MosquittoBroker broker = MosquittoBroker.launch("acl_file " + acl);
        MqttTestClient cloud = MqttTestClient.connect(broker.url(), "cloud-acl", "fwi/v1/dev/dev-acl/#");
        MqttPublisher publisher = started(settings(broker, "dev-acl", dir.resolve("outbox")).build())) {
      publisher.publish(Stream.RESULT, h -> result(h, 1));
      publisher.publish(Stream.TELEMETRY, h -> telemetry(h, 2));

      cloud.await(m -> m.topic().equals(topics.of(Stream.TELEMETRY)), WAIT);
      Poll.until(() -> publisher.bufferedCount() == 0, WAIT, () -> "outbox empty: " + publisher.bufferedCount());
      assertEquals(1, publisher.rejectedCount());
      assertEquals(0, publisher.sentCount(Stream.RESULT));
      assertEquals(1, publisher.sentCount(Stream.TELEMETRY));
      assertEquals(List.of(), cloud.received(m -> m.topic().equals(topics.of(Stream.RESULT))));
      assertEquals(1, publisher.sessionSeq(), "a refusal does not cost the connection");
    }
  }

  @Test
  void messageAboveTheBrokersMaximumPacketSizeIsDiscardedWithoutDroppingTheConnection() throws Exception {
    DeviceTopics topics = new DeviceTopics("dev-big");
    try (MosquittoBroker broker = MosquittoBroker.launch("max_packet_size 2000");
        MqttTestClient cloud = MqttTestClient.connect(broker.url(), "cloud-big", "fwi/v1/dev/dev-big/+");
        MqttPublisher publisher = started(settings(broker, "dev-big", dir).build())) {
      awaitConnected(publisher);
      long session = publisher.sessionSeq();
      publisher.publish(Stream.RESULT, h -> InferenceResult.newBuilder().setHeader(h)
          .setInputId("x".repeat(3000)).build());
      publisher.publish(Stream.RESULT, h -> result(h, 2));

      Received r = cloud.await(m -> m.topic().equals(topics.of(Stream.RESULT)), WAIT);
      assertEquals(2, headerOf(r).getSequence());
      assertEquals(1, publisher.rejectedCount());
      assertEquals(session, publisher.sessionSeq(), "still the first connection");
    }
  }

  @Test
  void invalidTopicFilterIsRefusedNamingIt() throws Exception {
    try (MqttPublisher publisher = new MqttPublisher(settings(shared, "dev-filter", dir).build(), MqttPublisherTest::birth)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> publisher.subscribe("fwi/#/block", (t, p) -> { }));
      assertEquals("topic filter must be a valid MQTT topic filter, but was 'fwi/#/block'", e.getMessage());
    }
  }
}
