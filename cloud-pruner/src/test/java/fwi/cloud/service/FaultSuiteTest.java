package fwi.cloud.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.cloud.testing.Closer;
import fwi.cloud.bridge.BridgeSettings;
import fwi.cloud.bridge.KafkaTopics;
import fwi.cloud.fleet.DeviceView;
import fwi.cloud.jobs.JobStore;
import fwi.cloud.model.InversionNet;
import fwi.cloud.model.InversionNetConfig;
import fwi.cloud.ota.BlockPublisherSettings;
import fwi.cloud.ota.MqttSettings;
import fwi.cloud.planner.PlannerSettings;
import fwi.cloud.profile.ProfileCatalog;
import fwi.cloud.profile.ProfileSpec;
import fwi.cloud.prune.Criterion;
import fwi.cloud.registry.RegistrySettings;
import fwi.cloud.registry.SigningKeys;
import fwi.cloud.rollout.Rollout;
import fwi.cloud.rollout.RolloutSettings;
import fwi.cloud.testing.EdgeAgentProcess;
import fwi.cloud.testing.KafkaBroker;
import fwi.cloud.testing.TopicReader;
import fwi.cloud.train.Compressor;
import fwi.cloud.train.ToyData;
import fwi.cloud.train.TrainingConfig;
import fwi.proto.v1.InferenceResult;
import fwi.proto.v1.PruneJobState;
import fwi.proto.v1.PrunePhase;
import fwi.testing.MosquittoBroker;
import fwi.testing.Poll;
import fwi.testing.TcpProxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults against the whole system, every part real (Mosquitto, KRaft Kafka, three edge agents in
 * child JVMs, the fleet service), counting what the devices produced against what reached Kafka:
 * the MQTT broker restarted mid-stream; Kafka stopped; one agent cut off from the broker (a TCP
 * link dropped while the broker stays up); the service restarted during a compression job (the job
 * ends FAILED with the reason, not silently) and during a rollout (the rollout carries on from
 * where it was); each agent killed with SIGKILL during the update: the canary while downloading
 * the new model, one of the others held in VERIFYING and the last held in INSTALLING by the
 * agent's fault injection ({@code fwi.ota.fault-injection.hold-in}, set for that run only), so the
 * kill lands in exactly that state. At the end: every result each agent produced is in
 * {@code fwi.results} exactly once after de-duplication by (device, sequence), and every agent
 * serves the old or the new model, healthy, never a broken one, with an OTA status that says so.
 *
 * <p>Loss accounting across a SIGKILL is exact: an agent reserves sequence numbers in blocks and
 * continues after a crash at the end of the reserved block, and its next Births announce exactly
 * the numbers it reserved but never made durable ({@code Birth.skipped_sequences}, recorded by the
 * fleet state per device and stream). Every number missing from {@code fwi.results} must lie in a
 * range its device announced, and no announced number may have been delivered.
 *
 * <p>Short by default (Kafka down 10 s, about 4 minutes in all); {@code -Dfwi.soak=true} runs the
 * long version (Kafka down 60 s, broker restarted three times, longer cut-off).
 */
class FaultSuiteTest {
  private static final String PROFILE = "fault";
  private static final boolean SOAK = Boolean.getBoolean("fwi.soak");
  /** Longer than any kill takes to follow the hold: the held agent never carries on by itself here. */
  private static final String HOLD_MS = "300000";
  private static final Pattern HOLDING = Pattern.compile("OTA fault injection: holding \\S+ in ([A-Z_]+)");

  @TempDir
  Path tmp;

  private final Closer open = new Closer();
  /** Per device: every result sequence seen in Kafka, and how many records carried it. */
  private final Map<String, Map<Long, Integer>> seen = new HashMap<>();
  /** Kills: device → the OTA state of each kill. */
  private final Map<String, List<String>> kills = new LinkedHashMap<>();

  @AfterEach
  void closeAll() {
    open.close();
  }

  @Test
  void nothingIsLostAndEveryDeviceEndsOnAGoodModelThroughBrokerKafkaServiceAndAgentFaults() throws Exception {
    MosquittoBroker mqtt = open.keep(MosquittoBroker.launch());
    KafkaBroker kafka = open.keep(KafkaBroker.launch());
    TcpProxy link = open.keep(TcpProxy.to(mqtt.port()));
    var kp = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    SigningKeys keys = SigningKeys.builder().privateKey("fault", kp.getPrivate()).active("fault").build();
    Path base = tmp.resolve("base.onnx");
    Files.write(base, InversionNet.build(InversionNetConfig.defaults().withWidth(0.25).withSeed(3)).toByteArray());
    Path data = ToyData.write(tmp.resolve("data"), 3, 4, 21);

    EdgeAgentProcess a1 = agent("fault-1", mqtt.url(), keys, base);
    EdgeAgentProcess a2 = agent("fault-2", mqtt.url(), keys, base);
    EdgeAgentProcess a3 = agent("fault-3", "tcp://127.0.0.1:" + link.port(), keys, base);
    List<EdgeAgentProcess> all = List.of(a1, a2, a3);
    CloudService cloud = new CloudService(settings(kafka, mqtt, keys, base, data));
    cloud.start();
    for (EdgeAgentProcess a : all) {
      a.start();
    }
    CloudService c0 = cloud;
    Poll.until(() -> c0.fleet().devices().stream().filter(DeviceView::online).count() == 3, Duration.ofSeconds(90),
        () -> "three devices online, but the fleet shows " + c0.fleet().devices());

    try (TopicReader results = kafka.reader(KafkaTopics.RESULTS)) {
      // 1. The MQTT broker restarts mid-stream (SIGTERM: it saves its sessions), once or, soaking, three times.
      for (int i = 0; i < (SOAK ? 3 : 1); i++) {
        mqtt.stop();
        Thread.sleep(2_000);
        mqtt.start();
        Thread.sleep(SOAK ? 20_000 : 5_000);
      }
      // 2. Kafka goes away; devices keep publishing into MQTT, the bridge holds their messages unacknowledged.
      kafka.stop();
      Thread.sleep(SOAK ? 60_000 : 10_000);
      kafka.start();
      // 3. One agent is cut off from the broker (its TCP link drops, the broker stays up), then comes back.
      link.cut();
      Thread.sleep(SOAK ? 30_000 : 8_000);
      link.restore();
      read(results);

      // 4. The service restarts during a compression job: the job ends FAILED saying why.
      CloudService c1 = cloud;
      Poll.until(() -> c1.referenceProblem().isEmpty(), Duration.ofSeconds(120),
          () -> "the reference latency table, but: " + c1.referenceProblem());
      cloud.requestJob(PROFILE, "fault suite");
      Poll.until(() -> c1.jobStore().all().stream().anyMatch(e -> e.report().getPhase()
              == PrunePhase.PRUNE_PHASE_FINE_TUNING), Duration.ofSeconds(120),
          () -> "a job fine-tuning, but jobs are " + c1.jobStore().all());
      cloud.close();
      cloud = new CloudService(settings(kafka, mqtt, keys, base, data));
      cloud.start();
      JobStore.Entry job = cloud.jobStore().all().get(0);
      assertEquals(PruneJobState.PRUNE_JOB_STATE_FAILED, job.report().getState(), job.toString());
      assertTrue(job.report().getErrorDetail().startsWith("FINE_TUNING: ")
          && (job.report().getErrorDetail().contains("shutting down")
          || job.report().getErrorDetail().contains("restarted")), job.report().getErrorDetail());

      // 5. A new model rolled out in two stages (canary, then the rest), downloads throttled so they take a while.
      byte[] v2 = InversionNet.build(InversionNetConfig.defaults().withWidth(0.5).withSeed(9)).toByteArray();
      CloudService c2 = cloud;
      Rollout.Status r = cloud.registerModel(PROFILE, v2, true, OptionalDouble.of(1_000)).rollout().orElseThrow();
      String canaryId = r.devices().entrySet().stream().filter(e -> e.getValue() == Rollout.DeviceState.TARGETED)
          .findFirst().orElseThrow().getKey();
      EdgeAgentProcess canary = all.stream().filter(a -> a.deviceId().equals(canaryId)).findFirst().orElseThrow();
      List<EdgeAgentProcess> others = all.stream().filter(a -> a != canary).toList();
      // 5a. The canary is killed while downloading, and restarted: it resumes and installs.
      Poll.until(() -> "DOWNLOADING".equals(otaState(canary)), Duration.ofSeconds(60),
          () -> canaryId + " downloading, but its OTA state is " + otaState(canary));
      kill(canary, results, "DOWNLOADING");
      // The others (not in stage 1) restart cleanly with their update to be held in VERIFYING or INSTALLING.
      Map<EdgeAgentProcess, String> holds = new LinkedHashMap<>();
      holds.put(others.get(0), "VERIFYING");
      holds.put(others.get(1), "INSTALLING");
      for (Map.Entry<EdgeAgentProcess, String> h : holds.entrySet()) {
        h.getKey().setProperty("fwi.ota.fault-injection.hold-in", Optional.of(h.getValue()));
        h.getKey().setProperty("fwi.ota.fault-injection.hold-ms", Optional.of(HOLD_MS));
        h.getKey().restart();
      }
      // 5b. The service restarts during the rollout, which carries on from where it was.
      Poll.until(() -> c2.rollout(r.id()).orElseThrow().stage() == 2, Duration.ofSeconds(180),
          () -> "stage 2, but the rollout is " + c2.rollout(r.id()));
      cloud.close();
      cloud = new CloudService(settings(kafka, mqtt, keys, base, data));
      cloud.start();
      CloudService c3 = cloud;
      assertEquals(2, c3.rollout(r.id()).orElseThrow().stage(), "the rollout resumed at stage 2");
      // 5c. The others are killed while held in VERIFYING and in INSTALLING, and restarted without the hold.
      for (Map.Entry<EdgeAgentProcess, String> h : holds.entrySet()) {
        EdgeAgentProcess a = h.getKey();
        Poll.until(() -> heldIn(a).isPresent(), Duration.ofSeconds(180),
            () -> a.deviceId() + " held by fault injection, but its OTA state is " + otaState(a));
        assertEquals(Optional.of(h.getValue()), heldIn(a), a.deviceId() + " held in the state it was set to");
        assertEquals(h.getValue(), otaState(a), a.deviceId() + " reports the state it is held in");
        a.setProperty("fwi.ota.fault-injection.hold-in", Optional.empty());
        a.setProperty("fwi.ota.fault-injection.hold-ms", Optional.empty());
        kill(a, results, h.getValue());
        System.out.println("fault suite: " + a.deviceId() + " killed in OTA state " + h.getValue());
      }
      Poll.until(() -> c3.rollout(r.id()).orElseThrow().state() != Rollout.State.RUNNING, Duration.ofSeconds(240),
          () -> "the rollout to end, but it is " + c3.rollout(r.id()));
      Rollout.Status end = c3.rollout(r.id()).orElseThrow();
      System.out.println("fault suite: rollout " + end.state() + " (" + end.reason() + ") " + end.devices());

      // 6. Every device on the old or the new model, healthy; the profile's current version matches the outcome.
      long expected = end.state() == Rollout.State.COMPLETED ? 2 : 1;
      assertEquals(expected, c3.currentVersion(PROFILE));
      for (EdgeAgentProcess a : all) {
        Poll.until(() -> version(a) == 1 || version(a) == 2, Duration.ofSeconds(60),
            () -> a.deviceId() + " on version 1 or 2, but on " + version(a));
        long v = version(a);
        String sha = c3.registry().model(PROFILE, v).orElseThrow().sha256Hex();
        assertTrue(a.get("/api/status").body().contains(sha), a.deviceId() + " serves version " + v + " as registered");
        assertEquals(200, a.get("/q/health/ready").status(), a.deviceId() + " ready");
        if (v == 2) {
          Poll.until(() -> "ACTIVE".equals(otaState(a)), Duration.ofSeconds(30),
              () -> a.deviceId() + " serves version 2, so its OTA status must be ACTIVE, but is " + otaState(a));
        }
      }
      assertEquals(Rollout.State.COMPLETED, end.state(), "kills and a restart of the service must not fail the rollout: "
          + end);

      // 7. Nothing lost: stop the agents (they deliver what they hold), then every number is in Kafka.
      for (EdgeAgentProcess a : all) {
        Poll.until(() -> counter(a, "fwi_outbox_messages") == 0, Duration.ofSeconds(60),
            () -> a.deviceId() + " outbox drained, but holds " + counter(a, "fwi_outbox_messages"));
        a.stop();
      }
      Poll.until(() -> {
        read(results);
        return all.stream().allMatch(a -> lastStoredSequence(a) > 0
            && seen.getOrDefault(a.deviceId(), Map.of()).containsKey(lastStoredSequence(a) - 1));
      }, Duration.ofSeconds(60), () -> "every agent's last result in Kafka: " + summary());
      // Every missing number announced as skipped by its device, and nothing announced delivered after all.
      Poll.until(() -> {
        read(results);
        return all.stream().allMatch(a -> missing(a).stream().allMatch(q -> announced(c3, a, q)));
      },
          Duration.ofSeconds(60), () -> "every missing result announced as skipped: " + summary());
      long duplicates = 0;
      for (EdgeAgentProcess a : all) {
        Map<Long, Integer> s = seen.get(a.deviceId());
        long last = lastStoredSequence(a) - 1;
        List<Long> missing = missing(a);
        List<Long> unexplained = missing.stream().filter(q -> !announced(c3, a, q)).toList();
        assertEquals(List.of(), unexplained, a.deviceId() + ": results lost (killed in " + kills.get(a.deviceId())
            + "; announced skips " + skips(c3, a) + ")");
        List<Long> deliveredAnyway = s.keySet().stream().filter(q -> announced(c3, a, q)).sorted().toList();
        assertEquals(List.of(), deliveredAnyway, a.deviceId() + ": announced as skipped but delivered (announced "
            + skips(c3, a) + ")");
        assertTrue(skips(c3, a).size() <= kills.getOrDefault(a.deviceId(), List.of()).size(), a.deviceId()
            + ": at most one skipped range per kill, but " + skips(c3, a) + " for kills " + kills.get(a.deviceId()));
        duplicates += s.values().stream().mapToLong(n -> n - 1).sum();
        System.out.printf("fault suite: %s results 1..%d, %d in Kafka, %d skipped at kills %s (announced %s), %d"
            + " duplicate records%n", a.deviceId(), last, s.size(), missing.size(), kills.get(a.deviceId()),
            skips(c3, a), s.values().stream().mapToLong(n -> n - 1).sum());
      }
      System.out.println("fault suite: " + duplicates + " duplicate result records in Kafka (readers drop them by"
          + " device and sequence)");
    } finally {
      cloud.close();
    }
  }

  /** SIGKILL in OTA state {@code state}, and a restart. */
  private void kill(EdgeAgentProcess a, TopicReader results, String state) throws Exception {
    read(results);
    a.kill();
    kills.computeIfAbsent(a.deviceId(), k -> new ArrayList<>()).add(state);
    a.start();
  }

  /** The state the agent's update is held in by fault injection, from its log (the hold logs when it starts). */
  private static Optional<String> heldIn(EdgeAgentProcess a) {
    Matcher m = HOLDING.matcher(a.log());
    String state = null;
    while (m.find()) {
      state = m.group(1);
    }
    return Optional.ofNullable(state);
  }

  /** Result numbers below the agent's stored next one that are not in Kafka. */
  private List<Long> missing(EdgeAgentProcess a) {
    Map<Long, Integer> s = seen.getOrDefault(a.deviceId(), Map.of());
    List<Long> out = new ArrayList<>();
    for (long q = 1; q < lastStoredSequence(a); q++) {
      if (!s.containsKey(q)) {
        out.add(q);
      }
    }
    return out;
  }

  private static boolean announced(CloudService cloud, EdgeAgentProcess a, long sequence) {
    return cloud.fleet().device(a.deviceId()).map(v -> v.announcedSkip("result", sequence)).orElse(false);
  }

  private static List<DeviceView.SequenceRange> skips(CloudService cloud, EdgeAgentProcess a) {
    return cloud.fleet().device(a.deviceId()).map(v -> v.skippedSequences().getOrDefault("result", List.of()))
        .orElse(List.of());
  }

  private void read(TopicReader results) {
    for (TopicReader.Record r : results.poll(Duration.ofMillis(500))) {
      try {
        InferenceResult ir = InferenceResult.parseFrom(r.value());
        String device = r.keyOrEmpty();
        seen.computeIfAbsent(device, k -> new HashMap<>()).merge(ir.getHeader().getSequence(), 1, Integer::sum);
      } catch (Exception e) {
        throw new AssertionError("undecodable record in fwi.results", e);
      }
    }
  }

  /** The agent's next result sequence as it stored it at its clean stop. */
  private static long lastStoredSequence(EdgeAgentProcess a) {
    try {
      java.util.Properties p = new java.util.Properties();
      try (var in = Files.newBufferedReader(a.stateDir().resolve("outbox").resolve("sequences.properties"))) {
        p.load(in);
      }
      String next = p.getProperty("next.result");
      return next == null ? -1 : Long.parseLong(next.trim());
    } catch (Exception e) {
      return -1;
    }
  }

  private String summary() {
    StringBuilder b = new StringBuilder();
    seen.forEach((k, v) -> b.append(k).append(": ").append(v.size()).append(" up to ")
        .append(v.keySet().stream().mapToLong(Long::longValue).max().orElse(0)).append("; "));
    return b.toString();
  }

  private static String otaState(EdgeAgentProcess a) {
    try {
      Matcher m = Pattern.compile("\"otaState\"\\s*:\\s*\"([A-Z_]+)\"").matcher(a.get("/api/status").body());
      return m.find() ? m.group(1) : "?";
    } catch (Exception e) {
      return "unreachable";
    }
  }

  private static long version(EdgeAgentProcess a) {
    return counter(a, "fwi_model_version");
  }

  private static long counter(EdgeAgentProcess a, String name) {
    try {
      Matcher m = Pattern.compile("(?m)^" + name + "(\\{[^}]*})? (\\d+)").matcher(a.get("/q/metrics").body());
      return m.find() ? Long.parseLong(m.group(2)) : -1;
    } catch (Exception e) {
      return -1;
    }
  }

  private EdgeAgentProcess agent(String id, String mqttUrl, SigningKeys keys, Path base) throws Exception {
    return open.keep(EdgeAgentProcess.builder(id, mqttUrl).profile(PROFILE)
        .trustedKey("fault", keys.publicKeysBase64().get("fault")).stateDir(tmp.resolve("agents").resolve(id))
        .bootstrapModel(base, "inversionnet-base", 1).syntheticIntervalMs(300).telemetryIntervalMs(1000)
        .property("fwi.inference.ort-threads", "1").property("fwi.ota.health-window-ms", "5000")
        .property("fwi.ota.health-window-inferences", "10").build());
  }

  private CloudSettings settings(KafkaBroker kafka, MosquittoBroker mqtt, SigningKeys keys, Path base, Path data) {
    ProfileCatalog profiles = new ProfileCatalog(List.of(
        new ProfileSpec(PROFILE, 2, 1L << 30, 1_000_000_000L, 1L << 29, "this machine", 1.0)));
    TrainingConfig training = TrainingConfig.reference().withBatchSize(4).withLearningRate(1e-3).withSeed(5)
        .withThreads(1);
    return new CloudSettings(kafka.bootstrapServers(), mqtt.url(), tmp.resolve("cloud"), 15_000, 500, 30_000, profiles,
        Optional.of(BridgeSettings.builder(mqtt.url(), kafka.bootstrapServers()).clientId("fault-bridge").build()), 2,
        (short) 1, tmp.resolve("cloud/registry"), RegistrySettings.defaults(), keys,
        MqttSettings.of(mqtt.url(), "fault-ota"),
        // About 20 s per download of the new model (24.5 MB, 374 blocks): time to kill an agent in the middle.
        BlockPublisherSettings.builder().senderId("fault-ota").deviceBlockRate(20, 4).build(),
        new PlannerSettings(3_000, 0.9, 600_000, 0.5, 10), false,
        new RolloutSettings(List.of(0.3, 1.0), 180_000, 3_000, 5, 2, 0.05, 100.0), false, Optional.of(base),
        Optional.of(data), "auto", Optional.empty(), 1,
        new Compressor.Settings(0, 1, Criterion.L1, 1, 30, Compressor.Retrain.NEVER, 0.1, true, 1, training, 3, 1e-3, 4),
        0.95, 1);
  }
}
