package fwi.cloud.service;

import static org.junit.jupiter.api.Assertions.assertEquals;

import fwi.cloud.bridge.BridgeSettings;
import fwi.cloud.bridge.KafkaTopics;
import fwi.cloud.fleet.DeviceView;
import fwi.cloud.ota.BlockPublisherSettings;
import fwi.cloud.ota.MqttSettings;
import fwi.cloud.planner.PlannerSettings;
import fwi.cloud.profile.ProfileCatalog;
import fwi.cloud.profile.ProfileSpec;
import fwi.cloud.prune.Criterion;
import fwi.cloud.registry.RegistrySettings;
import fwi.cloud.registry.SigningKeys;
import fwi.cloud.rollout.RolloutSettings;
import fwi.cloud.sim.DeviceLogin;
import fwi.cloud.sim.FleetSimReport;
import fwi.cloud.sim.FleetSimSettings;
import fwi.cloud.sim.FleetSimulator;
import fwi.cloud.sim.SimStream;
import fwi.cloud.testing.KafkaBroker;
import fwi.cloud.testing.TopicReader;
import fwi.cloud.train.Compressor;
import fwi.cloud.train.TrainingConfig;
import fwi.proto.v1.InferenceResult;
import fwi.runtime.net.NoDelaySockets;
import fwi.testing.MosquittoBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Load (issue 9): N simulated devices (default 1,000, each on its own MQTT connection) sending one
 * InferenceResult per second and telemetry every 10 s for a while (default 10 minutes) into
 * Mosquitto, through the fleet service's bridge into Kafka, with the fleet state following. Counts
 * what the broker acknowledged against what reached {@code fwi.results} (lost = acknowledged but
 * not in Kafka after de-duplication by device and sequence), and records publish-to-PUBACK and
 * MQTT-to-Kafka latency percentiles and, every 10 s, the memory of the service JVM (heap used),
 * Mosquitto and Kafka (resident set).
 *
 * <pre>
 * mvn -B -o -q test -pl cloud-pruner -Dtest=FleetLoadBenchmark -Dfwi.bench=true \
 *     -Dsurefire.failIfNoSpecifiedTests=false [-Dfwi.bench.devices=1000] [-Dfwi.bench.seconds=600]
 * </pre>
 */
@EnabledIfSystemProperty(named = "fwi.bench", matches = "true")
class FleetLoadBenchmark {
  @TempDir
  Path tmp;

  @Test
  void devicesAtOneHertzLoseNothingWithBoundedMemory() throws Exception {
    int devices = Integer.getInteger("fwi.bench.devices", 1000);
    long seconds = Long.getLong("fwi.bench.seconds", 600);
    try (MosquittoBroker mqtt = MosquittoBroker.launch(); KafkaBroker kafka = KafkaBroker.launch()) {
      kafka.createTopic(KafkaTopics.RESULTS, 2, Map.of("message.timestamp.type", "LogAppendTime"));
      var kp = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
      SigningKeys keys = SigningKeys.builder().privateKey("load", kp.getPrivate()).active("load").build();
      CloudService cloud = new CloudService(settings(kafka, mqtt, keys));
      cloud.start();
      List<long[]> memory = new ArrayList<>(); // elapsed s, service heap, mosquitto RSS, kafka RSS (bytes), online
      AtomicBoolean running = new AtomicBoolean(true);
      long t0 = System.currentTimeMillis();
      Thread sampler = new Thread(() -> {
        while (running.get()) {
          Runtime rt = Runtime.getRuntime();
          synchronized (memory) {
            memory.add(new long[] {(System.currentTimeMillis() - t0) / 1000, rt.totalMemory() - rt.freeMemory(),
                rss("mosquitto.conf"), rss("KafkaBrokerMain"),
                cloud.fleet().devices().stream().filter(DeviceView::online).count()});
          }
          try {
            Thread.sleep(10_000);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "memory-sampler");
      sampler.setDaemon(true);
      sampler.start();

      long start = System.currentTimeMillis();
      FleetSimSettings sim = new FleetSimSettings(mqtt.url(), DeviceLogin.numbered("load-", devices), 1.0,
          Duration.ofSeconds(10), Duration.ofSeconds(seconds), "load", 30.0, 10, NoDelaySockets.plain(),
          start * 1000 + 1, start);
      FleetSimReport report = new FleetSimulator(sim).run(Duration.ofSeconds(60), p -> System.out.printf(Locale.ROOT,
          "load: %4d s  connected %d  results acked %d/s  publish->PUBACK p99 %s ms%n", p.total().elapsedMs() / 1000,
          p.interval().connected(), Math.round(p.interval().acknowledged().get(SimStream.RESULT) * 1000.0
              / Math.max(1, p.interval().elapsedMs())),
          p.interval().latency().map(l -> String.format(Locale.ROOT, "%.1f", l.p99Us() / 1000.0)).orElse("-")));
      long acked = report.acknowledged().get(SimStream.RESULT);

      // Everything the broker acknowledged must reach Kafka (the bridge may still be catching up).
      Set<String> distinct = new HashSet<>();
      long records = 0;
      List<Long> delaysMs = new ArrayList<>();
      try (TopicReader results = kafka.reader(KafkaTopics.RESULTS).forgetting()) { // 10 KB each: keep none
        long deadline = System.currentTimeMillis() + 180_000;
        long quietSince = System.currentTimeMillis();
        while (System.currentTimeMillis() < deadline && (distinct.size() < acked
            || System.currentTimeMillis() - quietSince < 5_000)) {
          List<TopicReader.Record> batch = results.poll(Duration.ofMillis(500));
          if (!batch.isEmpty()) {
            quietSince = System.currentTimeMillis();
          }
          for (TopicReader.Record r : batch) {
            InferenceResult ir = InferenceResult.parseFrom(r.value());
            records++;
            if (distinct.add(r.keyOrEmpty() + "/" + ir.getHeader().getSequence())) {
              delaysMs.add(r.timestampMs() - ir.getHeader().getSentUnixMs());
            }
          }
        }
      }
      running.set(false);
      sampler.interrupt();
      cloud.close();

      long[] d = delaysMs.stream().mapToLong(Long::longValue).sorted().toArray();
      System.out.printf(Locale.ROOT, "load: %d devices x 1 Hz for %d s: results sent %d, acknowledged %d, in Kafka %d "
              + "(%d records, %d duplicates), lost %d; refused %d, failed %d, skipped %d, connections lost %d%n",
          devices, seconds, report.sent().get(SimStream.RESULT), acked, distinct.size(), records,
          records - distinct.size(), Math.max(0, acked - distinct.size()), report.refused(), report.failed(),
          report.skipped(), report.connectionsLost());
      report.latency().ifPresent(l -> System.out.printf(Locale.ROOT,
          "load: publish->PUBACK p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms%n", l.p50Us() / 1000.0,
          l.p95Us() / 1000.0, l.p99Us() / 1000.0, l.maxUs() / 1000.0));
      if (d.length > 0) {
        System.out.printf(Locale.ROOT, "load: MQTT->Kafka p50 %d ms, p95 %d ms, p99 %d ms, max %d ms%n",
            d[d.length / 2], d[(int) (d.length * 0.95)], d[(int) (d.length * 0.99)], d[d.length - 1]);
      }
      synchronized (memory) {
        for (long[] m : memory) {
          if (m[0] % 60 < 10) {
            System.out.printf(Locale.ROOT, "load: at %4d s: service heap %d MiB, mosquitto %d MiB, kafka %d MiB; "
                + "fleet state: %d of %d devices online%n", m[0], m[1] >> 20, m[2] >> 20, m[3] >> 20, m[4], devices);
          }
        }
      }
      assertEquals(acked, distinct.size(), "results the broker acknowledged but Kafka does not have");
    }
  }

  /** Resident set of the first descendant process whose command line contains {@code marker}; 0 if none. */
  private static long rss(String marker) {
    return ProcessHandle.current().descendants().filter(p -> {
      try {
        return Files.readString(Path.of("/proc/" + p.pid() + "/cmdline")).contains(marker);
      } catch (Exception e) {
        return false;
      }
    }).findFirst().map(p -> {
          try {
            return Arrays.stream(Files.readString(Path.of("/proc/" + p.pid() + "/status")).split("\n"))
                .filter(l -> l.startsWith("VmRSS:")).findFirst()
                .map(l -> Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024).orElse(0L);
          } catch (Exception e) {
            return 0L;
          }
        }).orElse(0L);
  }

  private CloudSettings settings(KafkaBroker kafka, MosquittoBroker mqtt, SigningKeys keys) {
    ProfileCatalog profiles = new ProfileCatalog(List.of(
        new ProfileSpec("load", 4, 4L << 30, 1_000_000_000L, 1L << 30, "simulated", 1.0)));
    return new CloudSettings(kafka.bootstrapServers(), mqtt.url(), tmp.resolve("cloud"), 60_000, 500, 60_000, profiles,
        Optional.of(BridgeSettings.builder(mqtt.url(), kafka.bootstrapServers()).clientId("load-bridge")
            .mqttClients(2).build()), 2, (short) 1, tmp.resolve("cloud/registry"), RegistrySettings.defaults(), keys,
        MqttSettings.of(mqtt.url(), "load-ota"), BlockPublisherSettings.builder().senderId("load-ota").build(),
        new PlannerSettings(60_000, 0.9, 600_000, 0.8, 10), false, RolloutSettings.defaults(), false,
        Optional.empty(), Optional.empty(), "auto", Optional.empty(), 1,
        new Compressor.Settings(0, 1, Criterion.L1, 1, 1, Compressor.Retrain.NEVER, 0.1, true, 1,
            TrainingConfig.reference(), 3, 1e-3, 0), 0.95, 1);
  }
}
