package fwi.cloud.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.cloud.testing.Closer;
import fwi.cloud.bridge.BridgeSettings;
import fwi.cloud.bridge.KafkaTopics;
import fwi.cloud.fleet.DeviceView;
import fwi.cloud.fleet.FleetState;
import fwi.cloud.jobs.JobStore;
import fwi.cloud.model.InversionNet;
import fwi.cloud.model.InversionNetConfig;
import fwi.cloud.model.OnnxModels;
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
import fwi.proto.v1.JobEvent;
import fwi.proto.v1.ManifestBody;
import fwi.proto.v1.PruneJobState;
import fwi.proto.v1.SignedManifest;
import fwi.testing.MosquittoBroker;
import fwi.testing.Poll;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The closed loop end to end, every part real: Mosquitto and Kafka (KRaft) in child processes, three
 * edge agents (child JVMs running ONNX Runtime on synthetic gathers) of two hardware profiles, and
 * the fleet service. The service first runs with an SLO nobody misses, to learn what the agents
 * measure here, and is restarted with profile {@code e2e-slow}'s SLO at 50 % of that, so: telemetry
 * reaches Kafka through the bridge → the planner sees the breach → a job
 * compresses the base model → the registry signs it → a two-stage rollout (canary, then all) → both
 * agents swap and their p95 falls under the SLO. Kafka is stopped for a while during the job. Then a
 * deliberately broken model (NaN weights) is uploaded: the canary's agent refuses it, the rollout
 * aborts at the canary stage, both agents stay on the good model and the other never gets it. Finally every result the agents produced is in Kafka,
 * in sequence, without a gap.
 *
 * <p>About 3 minutes, in the default test run. Its latency margins: the SLO is half the p95 the agents
 * reach on the base model once warmed up (the first inferences are slow, and a p95 read with them once
 * set an SLO the unpruned model nearly met); the job aims at 15 % of that p95 (planner margin 0.3),
 * which at full width means pruning at the maximum ratio, ~7x faster; the stage gates allow 3x the
 * prediction, so the SLO is what decides. The machine's load moves within a run too: a CI run on
 * 2026-11-22 saw the canary at 56 ms against an SLO of 47 ms while Kafka restarted (the model measured 10 ms
 * alone). The canary stage has a control, the other device still on the base model over the same time, and
 * the gate scales its limit by how much that one slowed down (see {@link Rollout}). Checked by hand with three
 * busy loops started as the canary was targeted, for 40 s: the canary's p95 rose to 71 ms against an SLO of
 * 38 ms, the control's from 94 to 259 ms, both gates passed under load, and the p95 on the new model was back
 * under the SLO 8 s after the load ended (the old gate would have aborted). On 2026-11-22 the steady p95 ranged from 71 ms to 276 ms
 * between runs (load of other sessions), and every run closed the loop.
 *
 * <p>The base model is the full-width network: its latency spans ~7x between unpruned and heavily pruned
 * (narrower bases bottom out sooner on fixed per-inference costs), which keeps the loop's margins clear of
 * the noise of five processes sharing two cores.
 */
class FleetLoopTest {
  private static final String SLOW = "e2e-slow";
  private static final String FAST = "e2e-fast";

  @TempDir
  Path tmp;

  private final Closer open = new Closer();

  @AfterEach
  void closeAll() {
    open.close();
  }

  @Test
  void sloBreachCompressesSignsAndRollsOutAndABrokenModelStopsAtTheCanary() throws Exception {
    MosquittoBroker mqtt = open.keep(MosquittoBroker.launch());
    KafkaBroker kafka = open.keep(KafkaBroker.launch());
    var kp = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    SigningKeys keys = SigningKeys.builder().privateKey("e2e", kp.getPrivate()).active("e2e").build();
    Path base = tmp.resolve("base.onnx");
    byte[] baseBytes = InversionNet.build(InversionNetConfig.defaults().withWidth(1.0).withSeed(3)).toByteArray();
    Files.write(base, baseBytes);
    Path data = ToyData.write(tmp.resolve("data"), 3, 4, 21);

    List<EdgeAgentProcess> slow = new ArrayList<>();
    for (String id : List.of("slow-1", "slow-2")) {
      slow.add(agent(id, SLOW, mqtt, keys, base));
    }
    EdgeAgentProcess fast = agent("fast-1", FAST, mqtt, keys, base);
    List<EdgeAgentProcess> all = new ArrayList<>(slow);
    all.add(fast);

    // First start: an SLO nobody misses, to see what the agents measure here (one ORT thread each,
    // sharing two cores with the brokers and the service). The bridge's MQTT session outlives the stop.
    CloudService first = new CloudService(settings(kafka, mqtt, keys, base, data, 1e6));
    first.start();
    for (EdgeAgentProcess a : all) {
      a.start();
    }
    Poll.until(() -> first.fleet().devices().stream().filter(DeviceView::online).count() == 3
        && first.referenceProblem().isEmpty()
        && first.fleet().profileLatency(SLOW, now()).map(l -> l.inferences() >= 30).orElse(false),
        Duration.ofSeconds(90), () -> "three devices online and 30 inferences of " + SLOW + ", but the fleet shows "
            + first.fleet().devices() + "; planning: " + first.referenceProblem());
    // The agents' first inferences (JIT, ORT's first runs, the service starting) are slow: read the p95 only
    // once the telemetry retention (15 s) holds none of them. (A reading with them, 203 ms, once set an SLO
    // the unpruned model nearly met at the second start, 133 ms.)
    Thread.sleep(16_000);
    double observedMs = first.fleet().profileLatency(SLOW, now()).orElseThrow().p95Ms();
    System.out.printf("fleet loop: %s p95 %.1f ms on the base model (steady), SLO at half of it%n", SLOW, observedMs);
    first.close();
    Thread.sleep(3_000); // devices keep publishing while no bridge runs: their messages wait in the broker

    // Second start on the same state, with the slow profile's SLO well below what its devices see.
    double sloMs = 0.5 * observedMs;
    CloudService cloud = open.keep(new CloudService(settings(kafka, mqtt, keys, base, data, sloMs)));
    cloud.start();

    // 1. The fleet state is rebuilt from Kafka: three devices online with their profiles.
    Poll.until(() -> cloud.fleet().devices().stream().filter(DeviceView::online).count() == 3,
        Duration.ofSeconds(60), () -> "three devices online, but the fleet shows " + cloud.fleet().devices());
    // 2. The breach starts a job for the slow profile only.
    Poll.until(() -> !cloud.jobStore().all().isEmpty(), Duration.ofSeconds(90),
        () -> "a job after the breach; profile latency " + cloud.fleet().profileLatency(SLOW, now()) + ", planning: "
            + cloud.referenceProblem());
    JobStore.Entry job = cloud.jobStore().all().get(0);
    assertEquals(SLOW, job.job().getProfile().getName());
    assertTrue(job.job().getRequestedBy().startsWith("slo_breach"), job.job().getRequestedBy());

    // 3. Kafka goes away for a while during the job; devices keep publishing into MQTT.
    kafka.stop();
    Thread.sleep(8_000);
    kafka.start();

    // 4. The job registers a signed model; the rollout goes canary → all and completes.
    Poll.until(() -> cloud.rollouts().stream().anyMatch(r -> r.state() == Rollout.State.COMPLETED),
        Duration.ofSeconds(240), () -> "a completed rollout; jobs " + cloud.jobStore().all().stream()
            .map(e -> e.report().getState() + " " + e.report().getPhase() + " " + e.report().getErrorDetail()).toList()
            + ", rollouts " + cloud.rollouts());
    Rollout.Status done = cloud.rollouts().get(0);
    for (Rollout.StageStatus st : done.stages()) {
      System.out.printf("fleet loop: stage %d: %d inferences at p95 %.1f ms, control %d at %.1f ms; gate %s%n",
          st.index(), st.inferences(), st.p95Ms(), st.controlInferences(), st.controlP95Ms(), st.gate());
    }
    assertEquals(2, done.toVersion());
    assertEquals(2, cloud.currentVersion(SLOW));
    assertEquals(List.of(1, 2), done.stages().stream().map(s -> s.devices()).toList());
    for (EdgeAgentProcess a : slow) {
      Poll.until(() -> version(a) == 2, Duration.ofSeconds(30), () -> a.deviceId() + " on version 2");
    }
    assertEquals(1, version(fast), "the fast profile keeps its model");
    // Their latency on the new model falls under the SLO: the profile's p95 over the telemetry retention (15 s),
    // within 30 s of the rollout's end (a gate may have passed under load, which then has to be over).
    String v2 = cloud.registry().model(SLOW, 2).orElseThrow().sha256Hex();
    double[] p95New = {Double.NaN};
    Poll.until(() -> {
      p95New[0] = cloud.fleet().profileLatency(SLOW, now()).map(l -> l.p95MsByModel().getOrDefault(v2, Double.NaN))
          .orElse(Double.NaN);
      return p95New[0] < sloMs;
    }, Duration.ofSeconds(30), () -> "p95 on the compressed model under the SLO " + sloMs + " ms, but it is "
        + p95New[0] + " ms");
    System.out.printf("fleet loop: %s p95 %.1f ms on version 2 (SLO %.1f ms)%n", SLOW, p95New[0], sloMs);
    assertTrue(done.stages().get(1).gate().startsWith("passed"), done.toString());

    // 5. A broken model (weights of NaN: every map it makes is invalid) stops at the canary, whose agent
    //    refuses it in its smoke test; the rollout aborts there and the other device never sees it.
    byte[] broken = nanWeights(InversionNet.build(InversionNetConfig.defaults().withWidth(1.0).withSeed(4)));
    CloudService.Upload up = cloud.registerModel(SLOW, broken, true, OptionalDouble.of(done.stages().get(1).p95Ms()));
    String bad = up.rollout().orElseThrow().id();
    String canary = up.rollout().orElseThrow().stages().get(0).devices() == 1
        ? up.rollout().get().devices().keySet().iterator().next() : "";
    Poll.until(() -> cloud.rollout(bad).orElseThrow().state() == Rollout.State.ABORTED, Duration.ofSeconds(120),
        () -> "the broken model's rollout aborted, but it is " + cloud.rollout(bad));
    Rollout.Status aborted = cloud.rollout(bad).orElseThrow();
    assertEquals(1, aborted.stage(), "stopped at the canary stage: " + aborted);
    for (EdgeAgentProcess a : slow) {
      Poll.until(() -> version(a) == 2, Duration.ofSeconds(60),
          () -> a.deviceId() + " back on / still on version 2, but runs " + version(a) + "; rollout " + aborted);
    }
    EdgeAgentProcess other = slow.stream().filter(a -> !a.deviceId().equals(canary)).findFirst().orElseThrow();
    assertFalse(other.log().contains("inversionnet-e2e-slow-v3"), "the second device never saw version 3");
    assertEquals(2, cloud.currentVersion(SLOW));

    // 6. The job's progress and the published manifests are on Kafka, keyed by profile.
    try (TopicReader jobsTopic = kafka.reader(KafkaTopics.JOBS); TopicReader models = kafka.reader(KafkaTopics.MODELS)) {
      List<JobEvent> events = jobsTopic.awaitCount(r -> r.keyOrEmpty().equals(SLOW), 3, Duration.ofSeconds(30)).stream()
          .map(r -> parse(JobEvent::parseFrom, r.value())).toList();
      Poll.until(() -> {
        jobsTopic.poll(Duration.ofMillis(300));
        return jobsTopic.matching(r -> parse(JobEvent::parseFrom, r.value()).getReport().getState()
            == PruneJobState.PRUNE_JOB_STATE_SUCCEEDED).size() == 1;
      }, Duration.ofSeconds(30), () -> "the job's final report on fwi.jobs");
      assertTrue(events.get(0).hasJob(), "the job request comes first: " + events.get(0));
      List<ManifestBody> published = models.awaitCount(r -> r.keyOrEmpty().equals(SLOW), 2, Duration.ofSeconds(30))
          .stream().map(r -> parse(ManifestBody::parseFrom, parse(SignedManifest::parseFrom, r.value()).getBody()
              .toByteArray())).toList();
      assertEquals(List.of(1L, 2L), published.stream().map(ManifestBody::getVersion).toList(),
          "fwi.models: the base model, then version 2 when it went profile-wide (version 3 never did)");
    }

    // 7. Nothing lost: every result each agent produced is in Kafka, in sequence, without a gap.
    Map<String, Long> produced = new HashMap<>();
    for (EdgeAgentProcess a : all) {
      produced.put(a.deviceId(), counter(a, "fwi_inferences_total"));
      a.stop();
    }
    try (TopicReader results = kafka.reader(KafkaTopics.RESULTS)) {
      Map<String, TreeSet<Long>> seqs = new HashMap<>();
      Poll.until(() -> {
        for (TopicReader.Record r : results.poll(Duration.ofMillis(500))) {
          seqs.computeIfAbsent(r.keyOrEmpty(), k -> new TreeSet<>()).add(sequence(r.value()));
        }
        return all.stream().allMatch(a -> seqs.getOrDefault(a.deviceId(), new TreeSet<>()).size() >= 1
            && seqs.get(a.deviceId()).last() >= produced.get(a.deviceId()));
      }, Duration.ofSeconds(60), () -> "results up to each agent's last sequence " + produced + ", Kafka has "
          + summary(seqs));
      for (EdgeAgentProcess a : all) {
        TreeSet<Long> s = seqs.get(a.deviceId());
        assertEquals(s.last() - s.first() + 1, s.size(), a.deviceId() + ": a gap in the result sequences " + summary(seqs));
        assertEquals(1, s.first(), a.deviceId() + ": results from the first on");
      }
    }
  }

  /** {@code m} with its first convolution's weights all NaN. */
  private static byte[] nanWeights(ai.onnx.proto.OnnxMl.ModelProto m) {
    var g = m.getGraph().toBuilder();
    for (int i = 0; i < g.getInitializerCount(); i++) {
      var t = g.getInitializer(i);
      if (t.getDimsCount() == 4) {
        int n = (int) t.getDimsList().stream().mapToLong(Long::longValue).reduce(1, (a, b) -> a * b);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * n).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int k = 0; k < n; k++) {
          b.putFloat(Float.NaN);
        }
        g.setInitializer(i, t.toBuilder().clearFloatData().setRawData(com.google.protobuf.ByteString.copyFrom(b.array())));
        break;
      }
    }
    return m.toBuilder().setGraph(g).build().toByteArray();
  }

  private interface Parser<T> {
    T parse(byte[] b) throws Exception;
  }

  private static <T> T parse(Parser<T> p, byte[] b) {
    try {
      return p.parse(b);
    } catch (Exception e) {
      throw new AssertionError("undecodable record", e);
    }
  }

  private static long now() {
    return System.currentTimeMillis();
  }

  private static String summary(Map<String, TreeSet<Long>> seqs) {
    StringBuilder b = new StringBuilder();
    seqs.forEach((k, v) -> b.append(k).append(": ").append(v.size()).append(" in [").append(v.first()).append(", ")
        .append(v.last()).append("] "));
    return b.toString();
  }

  private static long sequence(byte[] value) {
    try {
      return InferenceResult.parseFrom(value).getHeader().getSequence();
    } catch (Exception e) {
      throw new AssertionError("undecodable result in fwi.results", e);
    }
  }

  /** The serving model's version, from the agent's metrics. */
  private static long version(EdgeAgentProcess a) {
    return counter(a, "fwi_model_version");
  }

  /** A value of the agent's {@code /q/metrics}; -1 if it cannot be read. */
  private static long counter(EdgeAgentProcess a, String name) {
    try {
      String body = a.get("/q/metrics").body();
      Matcher m = Pattern.compile("(?m)^" + name + "\\{[^}]*} (\\d+)").matcher(body);
      return m.find() ? Long.parseLong(m.group(1)) : -1;
    } catch (Exception e) {
      return -1;
    }
  }

  private EdgeAgentProcess agent(String id, String profile, MosquittoBroker mqtt, SigningKeys keys, Path base)
      throws Exception {
    return open.keep(EdgeAgentProcess.builder(id, mqtt.url()).profile(profile)
        .trustedKey("e2e", keys.publicKeysBase64().get("e2e")).stateDir(tmp.resolve("agents").resolve(id))
        .bootstrapModel(base, "inversionnet-base", 1).syntheticIntervalMs(700).telemetryIntervalMs(1000)
        .property("fwi.inference.ort-threads", "1").property("fwi.ota.health-window-ms", "5000")
        .property("fwi.ota.health-window-inferences", "10").build());
  }

  private CloudSettings settings(KafkaBroker kafka, MosquittoBroker mqtt, SigningKeys keys, Path base, Path data,
      double sloMs) {
    ProfileCatalog profiles = new ProfileCatalog(List.of(
        new ProfileSpec(SLOW, 2, 1L << 30, Math.round(sloMs * 1000), 1L << 29, "this machine, throttled", 1.0),
        new ProfileSpec(FAST, 2, 1L << 30, 1_000_000_000L, 1L << 29, "this machine", 1.0)));
    TrainingConfig training = TrainingConfig.reference().withBatchSize(4).withLearningRate(1e-3).withSeed(5)
        .withThreads(1);
    return new CloudSettings(kafka.bootstrapServers(), mqtt.url(), tmp.resolve("cloud"), 15_000, 500, 60_000, profiles,
        Optional.of(BridgeSettings.builder(mqtt.url(), kafka.bootstrapServers()).clientId("e2e-bridge").build()), 2,
        (short) 1, tmp.resolve("cloud/registry"), RegistrySettings.defaults(), keys, MqttSettings.of(mqtt.url(), "e2e-ota"),
        BlockPublisherSettings.builder().senderId("e2e-ota").build(),
        new PlannerSettings(3_000, 0.9, 600_000, 0.3, 10), true,
        new RolloutSettings(List.of(0.5, 1.0), 60_000, 4_000, 8, 0, 0.05, 3.0), true, Optional.of(base),
        Optional.of(data), "auto", Optional.empty(), 1,
        new Compressor.Settings(0, 1, Criterion.L1, 1, 1, Compressor.Retrain.NEVER, 0.1, true, 1, training, 3, 1e-3, 4),
        0.95, 1);
  }
}
