package fwi.cloud.service;

import static org.junit.jupiter.api.Assertions.assertEquals;

import fwi.cloud.bridge.BridgeSettings;
import fwi.cloud.bridge.KafkaTopics;
import fwi.cloud.model.InversionNet;
import fwi.cloud.model.InversionNetConfig;
import fwi.cloud.ota.BlockPublisher;
import fwi.cloud.ota.BlockPublisherSettings;
import fwi.cloud.ota.MqttSettings;
import fwi.cloud.planner.PlannerSettings;
import fwi.cloud.profile.ProfileCatalog;
import fwi.cloud.profile.ProfileSpec;
import fwi.cloud.prune.Criterion;
import fwi.cloud.registry.RegisteredModel;
import fwi.cloud.registry.RegistrySettings;
import fwi.cloud.registry.SigningKeys;
import fwi.cloud.rollout.Rollout;
import fwi.cloud.rollout.RolloutSettings;
import fwi.cloud.testing.EdgeAgentProcess;
import fwi.cloud.testing.KafkaBroker;
import fwi.cloud.testing.TopicReader;
import fwi.cloud.train.Compressor;
import fwi.cloud.train.TrainingConfig;
import fwi.proto.v1.DeviceEvent;
import fwi.proto.v1.OtaState;
import fwi.proto.v1.OtaStatus;
import fwi.testing.MosquittoBroker;
import fwi.testing.MqttTestClient;
import fwi.testing.Poll;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Time to roll a model out to N real edge agents, printed, never asserted beyond "it completed" (a
 * benchmark is not a test; the class name keeps it out of the default test run):
 *
 * <pre>
 * mvn -B -o -q test -pl cloud-pruner -Dtest=RolloutBenchmark -Dfwi.bench=true -Dsurefire.failIfNoSpecifiedTests=false \
 *     [-Dfwi.bench.agents=50] [-Dfwi.bench.start-batch=8] [-Dfwi.bench.observe-ms=0,10000] [-Dfwi.bench.tick-ms=2000] \
 *     [-Dfwi.bench.settle-s=30] [-Dfwi.bench.bridge-clients=1]
 * </pre>
 *
 * Everything runs on this one machine: Mosquitto ({@code set_tcp_nodelay true}, as the deploy
 * configs will have it), a single-node Kafka in a child JVM, {@code fwi.bench.agents} edge agents
 * (child JVMs of {@code quarkus-run.jar} with the Pi's JVM flags but a 96 MiB heap, one ORT thread,
 * a synthetic gather and a telemetry window every second) and, in this JVM, one
 * {@link CloudService} with one profile whose SLO nobody misses and no base model, so it plans no
 * job and only the rollout moves.
 *
 * <p>The agents boot with InversionNet width 0.25 (seed 1), also registered as version 1 without
 * a rollout (the service has no base model to register; an agent rejects a first upload that is
 * also version 1 as not newer). After {@code fwi.bench.settle-s} (default 30) of steady state, whose
 * CPU use is printed, for each observation time in {@code fwi.bench.observe-ms} the service is
 * started (again, on the same state) with stages 10 % → 50 % → 100 %, min. 1 inference, 120 s
 * install timeout, the block server's defaults, and a new width-0.25 model (another seed, so other
 * bytes) is uploaded with {@code rollout=true}. A {@link RolloutTimeline} records, polled about
 * every 100 ms: each stage's targeting, all-installed and gate times as the service's rollout
 * status shows them; each agent's OTA states (its status messages, read off the broker); where
 * each ACTIVE status was on its way to the service (bridge, Kafka, rollout); and when the fleet
 * state shows each device on the new version. Printed: a summary per configuration, a table per
 * stage, the critical path to COMPLETED, and the physical floor of the transfer.
 */
@EnabledIfSystemProperty(named = "fwi.bench", matches = "true")
class RolloutBenchmark {
  private static final String PROFILE = "bench";
  private static final String KEY_ID = "bench";
  private static final double WIDTH = 0.25;
  private static final int AGENT_HEAP_MB = 96;
  private static final Duration ROLLOUT_TIMEOUT = Duration.ofMinutes(15);
  private static final Pattern STATUS_TOPIC = Pattern.compile("fwi/v1/dev/([^/]+)/ota/status");
  /** Per-device block rate of the block server's defaults, for the physical floor. */
  private static final double DEVICE_BLOCKS_PER_S = BlockPublisherSettings.defaults().deviceBlocksPerSecond();
  /** Server-side block rate through Mosquitto with nodelay, BENCHMARKS.md "OTA block serving". */
  private static final double SERVER_BLOCKS_PER_S = 2_200;

  @TempDir
  Path tmp;

  private final List<AutoCloseable> open = new ArrayList<>();
  private final List<EdgeAgentProcess> agents = new ArrayList<>();

  @AfterEach
  void closeAll() {
    stopAgents();
    for (int i = open.size() - 1; i >= 0; i--) {
      try {
        open.get(i).close();
      } catch (Exception e) {
        System.out.println("closing " + open.get(i) + " failed: " + e);
      }
    }
  }

  private <T extends AutoCloseable> T keep(T t) {
    open.add(t);
    return t;
  }

  /**
   * SIGTERM to the agents, 8 at a time (each may take seconds to publish its Death and exit); SIGKILL
   * to whatever still runs after 3 minutes.
   */
  private void stopAgents() {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    for (EdgeAgentProcess a : agents) {
      pool.submit(a::close);
    }
    pool.shutdown();
    try {
      if (!pool.awaitTermination(3, TimeUnit.MINUTES)) {
        agents.forEach(EdgeAgentProcess::kill);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      agents.forEach(EdgeAgentProcess::kill);
    }
    agents.clear();
  }

  /** One configuration's results. */
  private record Run(long observeMs, double modelMb, int blocks, RolloutTimeline timeline, String state,
      int onNewVersion, long blocksServed, long bytesServed, long rateLimited, long requests, long uploadMs,
      long statusCallMaxMs, Cpu cpu, Backlog backlog) {
    double seconds(long t) {
      return t < 0 ? Double.NaN : (t - timeline.startMs()) / 1000.0;
    }
  }

  /**
   * CPU used over a wall-clock span, in cores: the agents together, Kafka, Mosquitto, this JVM (service
   * and watchers).
   */
  private record Cpu(double agents, double kafka, double mosquitto, double service) {
  }

  /** Process CPU times, nanoseconds, of the agents, Kafka and this JVM, with the wall clock when taken. */
  private final class CpuSample {
    final long wall = System.nanoTime();
    final long agentsNs = agents.stream().mapToLong(a -> cpuNs(a.processHandle())).sum();
    final long selfNs = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
    final long kafkaNs;
    final long mosquittoNs = ProcessHandle.current().children()
        .filter(p -> p.info().command().map(c -> c.endsWith("mosquitto")).orElse(false))
        .mapToLong(p -> cpuNs(Optional.of(p))).sum();

    CpuSample(KafkaBroker kafka) {
      kafkaNs = cpuNs(kafka.processHandle());
    }

    Cpu since(CpuSample before) {
      double wallNs = wall - before.wall;
      return new Cpu((agentsNs - before.agentsNs) / wallNs, (kafkaNs - before.kafkaNs) / wallNs,
          (mosquittoNs - before.mosquittoNs) / wallNs, (selfNs - before.selfNs) / wallNs);
    }
  }

  /**
   * Largest queues seen during a rollout, sampled every few seconds: messages in one agent's outbox
   * and in all outboxes together (their {@code fwi_outbox_messages}), and the bridge's MQTT messages
   * waiting for Kafka and the age of the oldest.
   */
  private record Backlog(long agentOutboxMax, long outboxesSumMax, long bridgeWaitingMax, long bridgeOldestMsMax) {
  }

  /** Samples the agents' outboxes and the bridge's queue on its own thread until closed. */
  private final class BacklogSampler implements AutoCloseable {
    private final CloudService cloud;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long agentMax;
    private volatile long sumMax;
    private volatile long bridgeMax;
    private volatile long oldestMax;

    BacklogSampler(CloudService cloud) {
      this.cloud = cloud;
      this.thread = new Thread(this::run, "bench-backlog-sampler");
      thread.setDaemon(true);
      thread.start();
    }

    private void run() {
      while (running) {
        long sum = 0;
        for (EdgeAgentProcess a : agents) {
          long m = Math.max(0, metric(a, "fwi_outbox_messages"));
          sum += m;
          agentMax = Math.max(agentMax, m);
        }
        sumMax = Math.max(sumMax, sum);
        cloud.bridgeStats().ifPresent(b -> {
          bridgeMax = Math.max(bridgeMax, b.waitingForKafka());
          oldestMax = Math.max(oldestMax, b.oldestWaitingMs());
        });
        try {
          Thread.sleep(3_000); // the sampling period
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    @Override
    public void close() throws InterruptedException {
      running = false;
      thread.interrupt();
      thread.join(30_000);
    }

    Backlog backlog() {
      return new Backlog(agentMax, sumMax, bridgeMax, oldestMax);
    }
  }

  private static long cpuNs(Optional<ProcessHandle> h) {
    return h.flatMap(p -> p.info().totalCpuDuration()).map(Duration::toNanos).orElse(0L);
  }

  @Test
  void rolloutTimeToNAgents() throws Exception {
    int n = Integer.getInteger("fwi.bench.agents", 50);
    int batch = Integer.getInteger("fwi.bench.start-batch", 8);
    long tickMs = Long.getLong("fwi.bench.tick-ms", 2_000);
    long settleS = Long.getLong("fwi.bench.settle-s", 30);
    long[] observes = Arrays.stream(System.getProperty("fwi.bench.observe-ms", "0,10000").split(","))
        .map(String::trim).mapToLong(Long::parseLong).toArray();

    MosquittoBroker mqtt = keep(MosquittoBroker.launch("set_tcp_nodelay true"));
    KafkaBroker kafka = keep(KafkaBroker.launch());
    var kp = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    SigningKeys keys = SigningKeys.builder().privateKey(KEY_ID, kp.getPrivate()).active(KEY_ID).build();
    byte[] bootstrap = model(1);
    Path bootstrapFile = tmp.resolve("bootstrap.onnx");
    Files.write(bootstrapFile, bootstrap);
    MqttTestClient watch = keep(MqttTestClient.connect(mqtt.url(), "bench-ota-watch", "fwi/v1/dev/+/ota/status"));

    System.out.printf(Locale.ROOT, "%nrollout benchmark: %d agents, InversionNet width %s (%,d bytes = %.2f MB), "
        + "%d CPUs, service tick %d ms, bridge MQTT clients %d, agent heap %d MiB, 1 ORT thread, gather + telemetry "
        + "every 1000 ms%n", n, WIDTH, bootstrap.length, bootstrap.length / 1e6,
        Runtime.getRuntime().availableProcessors(), tickMs, Integer.getInteger("fwi.bench.bridge-clients", 1),
        AGENT_HEAP_MB);

    // Agents first: they publish into MQTT whether or not the service runs (the bridge's session keeps it).
    for (int i = 0; i < n; i++) {
      agents.add(agent(String.format(Locale.ROOT, "bench-%03d", i + 1), mqtt, keys, bootstrapFile));
    }
    long startT0 = System.nanoTime();
    startAll(batch);
    double startS = (System.nanoTime() - startT0) / 1e9;
    double[] startTimes = agents.stream().mapToDouble(a -> a.lastStartTime().toMillis() / 1000.0).sorted().toArray();
    long[] rss = rss();
    System.out.printf(Locale.ROOT, "%d agents ready in %.1f s (batches of %d; one agent's start p50 %.1f s, "
        + "max %.1f s); RSS per agent p50 %.0f MiB, max %.0f MiB, sum %.2f GiB; load %s%n", n, startS, batch,
        percentile(startTimes, 50), percentile(startTimes, 100), percentile(rss, 50) / (1 << 20),
        percentile(rss, 100) / (1 << 20), Arrays.stream(rss).sum() / (double) (1L << 30), loadAverage());
    CpuSample settleStart = new CpuSample(kafka);
    Thread.sleep(settleS * 1000); // a measured span of steady state (JIT settled), not a stand-in for a condition
    Cpu steady = new CpuSample(kafka).since(settleStart);
    System.out.printf(Locale.ROOT, "steady state over %d s, no service running: agents %.2f cores (%.1f ms CPU per "
        + "agent per s), Kafka %.2f, Mosquitto %.2f, this JVM %.2f; load %s%n", settleS, steady.agents(),
        1000 * steady.agents() / n, steady.kafka(), steady.mosquitto(), steady.service(), loadAverage());

    List<Run> runs = new ArrayList<>();
    long version = 1;
    try (TopicReader events = kafka.reader(KafkaTopics.DEVICE_EVENTS)) {
      for (int c = 0; c < observes.length; c++) {
        long observeMs = observes[c];
        CloudService cloud = new CloudService(settings(kafka, mqtt, keys, tickMs, observeMs));
        try {
          cloud.start();
          Poll.until(() -> cloud.caughtUp() && online(cloud) == n, Duration.ofMinutes(3),
              () -> n + " devices online, but the fleet shows " + online(cloud) + " (caught up: " + cloud.caughtUp()
                  + ")");
          if (c == 0) {
            RegisteredModel v1 = cloud.registerModel(PROFILE, bootstrap, false, OptionalDouble.empty()).model();
            assertEquals(1, v1.version(), "the bootstrap model is the profile's first version");
          }
          events.readToEnd(Duration.ofMinutes(1)); // skip what came before this rollout
          version++;
          runs.add(rollOut(cloud, kafka, watch, events, model(version), version, observeMs, n));
          printStages(n, tickMs, runs.get(runs.size() - 1)); // now: a later configuration may not finish
        } finally {
          cloud.close();
        }
        System.out.printf(Locale.ROOT, "configuration %d done (observe %d ms): %s; load %s%n", c + 1, observeMs,
            runs.get(runs.size() - 1).state(), loadAverage());
      }
    }
    print(n, tickMs, runs, rss, rss(), startS);
    for (Run r : runs) {
      assertEquals("COMPLETED", r.state(), "rollout with observe " + r.observeMs() + " ms");
      assertEquals(n, r.onNewVersion(), "agents whose /q/metrics show the new version after observe " + r.observeMs());
    }
  }

  private long[] rss() {
    return agents.stream().map(EdgeAgentProcess::residentBytes).filter(OptionalLong::isPresent)
        .mapToLong(OptionalLong::getAsLong).sorted().toArray();
  }

  /** Uploads {@code onnx} as {@code version} with a rollout and follows it to the end. */
  private Run rollOut(CloudService cloud, KafkaBroker kafka, MqttTestClient watch, TopicReader events, byte[] onnx,
      long version, long observeMs, int n) throws Exception {
    BlockPublisher.Stats before = cloud.blockStats().orElseThrow();
    int seen = watch.count();
    CpuSample cpu0 = new CpuSample(kafka);
    BacklogSampler sampler = new BacklogSampler(cloud);
    long t0 = System.currentTimeMillis();
    RolloutTimeline timeline = new RolloutTimeline(version, t0);
    Rollout.Status st;
    long statusCallMaxMs = 0;
    long uploadMs;
    Cpu cpu;
    try {
      CloudService.Upload up = cloud.registerModel(PROFILE, onnx, true, OptionalDouble.of(1e5));
      uploadMs = System.currentTimeMillis() - t0;
      String id = up.rollout().orElseThrow().id();
      st = up.rollout().get();
      long deadline = t0 + ROLLOUT_TIMEOUT.toMillis();
      while (System.currentTimeMillis() < deadline) {
        seen = follow(timeline, events, watch, seen);
        long asked = System.currentTimeMillis();
        st = cloud.rollout(id).orElseThrow(); // blocks while the service's clock holds the rollouts' lock
        long now = System.currentTimeMillis();
        statusCallMaxMs = Math.max(statusCallMaxMs, now - asked);
        timeline.rollout(st, now);
        timeline.fleet(cloud.fleet().devices(), now);
        if (st.state() == Rollout.State.ABORTED || (timeline.completedMs() >= 0 && timeline.allReportedMs(n) >= 0)) {
          break;
        }
        Thread.sleep(50); // with the Kafka poll in follow(): the ~0.1 s resolution of the times
      }
      cpu = new CpuSample(kafka).since(cpu0);
      // ACTIVE statuses still on their way (the rollout may have counted a device by its telemetry, or
      // given up on it at the install timeout): wait for them, for the table, not for the result.
      long late = System.currentTimeMillis() + 120_000;
      while (!timeline.everyActiveSeen() && System.currentTimeMillis() < late) {
        seen = follow(timeline, events, watch, seen);
      }
    } finally {
      sampler.close();
    }
    if (st.state() != Rollout.State.COMPLETED) {
      System.out.println("rollout " + st.id() + " did not complete: " + st);
    }
    BlockPublisher.Stats after = cloud.blockStats().orElseThrow();
    int onNew = 0;
    for (EdgeAgentProcess a : agents) {
      if (metric(a, "fwi_model_version") == version) {
        onNew++;
      }
    }
    RegisteredModel m = cloud.registry().model(PROFILE, version).orElseThrow();
    return new Run(observeMs, onnx.length / 1e6, m.layout().blockCount(), timeline, st.state().name(), onNew,
        after.blocksServed() - before.blocksServed(), after.bytesServed() - before.bytesServed(),
        after.rateLimited() - before.rateLimited(), after.requests() - before.requests(), uploadMs,
        statusCallMaxMs, cpu, sampler.backlog());
  }

  /** Feeds the timeline what Kafka and the broker watcher have; returns how many watcher messages are read. */
  private static int follow(RolloutTimeline timeline, TopicReader events, MqttTestClient watch, int seen)
      throws Exception {
    for (TopicReader.Record r : events.poll(Duration.ofMillis(50))) {
      timeline.deviceEvent(DeviceEvent.parseFrom(r.value()), System.currentTimeMillis());
    }
    long now = System.currentTimeMillis();
    List<MqttTestClient.Received> received = watch.received();
    for (MqttTestClient.Received r : received.subList(seen, received.size())) {
      Matcher m = STATUS_TOPIC.matcher(r.topic());
      if (m.matches() && r.payload().length > 0) {
        timeline.otaStatus(m.group(1), OtaStatus.parseFrom(r.payload()), now);
      }
    }
    return received.size();
  }

  private static void print(int n, long tickMs, List<Run> runs, long[] rssBefore, long[] rssAfter, double startS) {
    System.out.printf(Locale.ROOT, "%n| N | observe | model MB (blocks) | stage gates passed at s (devices) "
        + "| COMPLETED s | every agent reports s | agents/s | MB/s aggregate | blocks served (rate-limited) "
        + "| CPU cores: agents, Kafka, Mosquitto, service JVM | RSS/agent p50 MiB |%n");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
    for (Run r : runs) {
      RolloutTimeline t = r.timeline();
      StringBuilder gates = new StringBuilder();
      for (int s = 0; s < t.stages().size(); s++) {
        gates.append(s == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.1f (%d)",
            r.seconds(t.stages().get(s).passed), t.stageSizes().get(s)));
      }
      double all = r.seconds(t.allReportedMs(n));
      System.out.printf(Locale.ROOT, "| %d | %.0f s | %.2f (%d) | %s | %.1f | %.1f | %.2f | %.2f | %,d (%,d) "
              + "| %.2f, %.2f, %.2f, %.2f | %.0f |%n", n, r.observeMs() / 1000.0, r.modelMb(), r.blocks(), gates,
          r.seconds(t.completedMs()), all, n / all, r.bytesServed() / 1e6 / all, r.blocksServed(), r.rateLimited(),
          r.cpu().agents(), r.cpu().kafka(), r.cpu().mosquitto(), r.cpu().service(), percentile(rssBefore, 50)
              / (1 << 20));
    }
    System.out.printf(Locale.ROOT, "%nRSS per agent after the rollouts: p50 %.0f MiB, max %.0f MiB (before %.0f / "
            + "%.0f); %d agents took %.1f s to start; load now %s%n", percentile(rssAfter, 50) / (1 << 20),
        percentile(rssAfter, 100) / (1 << 20), percentile(rssBefore, 50) / (1 << 20),
        percentile(rssBefore, 100) / (1 << 20), n, startS, loadAverage());
  }

  /** Per stage: where each device's update and the news of it spent their time; then the critical path. */
  private static void printStages(int n, long tickMs, Run r) {
    RolloutTimeline t = r.timeline();
    Backlog b = r.backlog();
    System.out.printf(Locale.ROOT, "%nobserve %d ms: upload (register + sign + first stage's manifests) %d ms; "
        + "%,d bytes served = %.2f x N x model size; %,d block requests; largest backlogs: one agent's outbox %d, "
        + "all outboxes %d, bridge waiting for Kafka %d (oldest %d ms); longest rollout status call %d ms%n",
        r.observeMs(), r.uploadMs(), r.bytesServed(), r.bytesServed() / (n * r.modelMb() * 1e6), r.requests(),
        b.agentOutboxMax(), b.outboxesSumMax(), b.bridgeWaitingMax(), b.bridgeOldestMsMax(), r.statusCallMaxMs());
    System.out.println("| stage | devices (new) | unreachable (install timeout) | targeted s | last ACTIVE s | service "
        + "sees all installed s | gate passed s | manifest delivery | download | verify+install | smoke+swap "
        + "| ACTIVE→watcher on the broker | ACTIVE→bridge | bridge→Kafka read | Kafka read→INSTALLED |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    // The critical path: the upload, then per stage the last device's update, the service learning of it, the gate.
    String[] names = {"upload", "manifest delivery", "accept", "download", "verify+install", "smoke+swap",
        "ACTIVE to the service + tick", "gate (observe, telemetry, tick)"};
    double[] path = new double[names.length];
    path[0] = r.seconds(t.stages().get(0).targeted);
    for (int s = 0; s < t.stages().size(); s++) {
      RolloutTimeline.Stage g = t.stages().get(s);
      List<RolloutTimeline.Device> ds = t.newDevices(s);
      RolloutTimeline.Device last = ds.stream().max(Comparator.comparingLong(d -> d.at(OtaState.OTA_STATE_ACTIVE)))
          .orElseThrow();
      long lastActive = last.at(OtaState.OTA_STATE_ACTIVE);
      System.out.printf(Locale.ROOT, "| %d | %d (%d) | %d | %.1f | %.1f | %.1f | %.1f | %s | %s | %s | %s | %s | %s "
              + "| %s | %s |%n", s + 1, t.stageSizes().get(s), ds.size(), t.count(s, Rollout.DeviceState.UNREACHABLE),
          r.seconds(g.targeted), r.seconds(lastActive), r.seconds(g.settled), r.seconds(g.passed),
          stat(ds, d -> span(g.targeted, d.at(OtaState.OTA_STATE_MANIFEST_RECEIVED))),
          stat(ds, d -> span(d.at(OtaState.OTA_STATE_DOWNLOADING), d.at(OtaState.OTA_STATE_VERIFYING))),
          stat(ds, d -> span(d.at(OtaState.OTA_STATE_VERIFYING), d.at(OtaState.OTA_STATE_SMOKE_TESTING))),
          stat(ds, d -> span(d.at(OtaState.OTA_STATE_SMOKE_TESTING), d.at(OtaState.OTA_STATE_ACTIVE))),
          stat(ds, d -> span(d.at(OtaState.OTA_STATE_ACTIVE), d.activeOnBroker)),
          stat(ds, d -> span(d.at(OtaState.OTA_STATE_ACTIVE), d.activeAtBridge)),
          stat(ds, d -> span(d.activeAtBridge, d.activeFromKafka)),
          stat(ds, d -> span(d.activeFromKafka, d.installed)));
      path[1] += span(g.targeted, last.at(OtaState.OTA_STATE_MANIFEST_RECEIVED));
      path[2] += span(last.at(OtaState.OTA_STATE_MANIFEST_RECEIVED), last.at(OtaState.OTA_STATE_DOWNLOADING));
      path[3] += span(last.at(OtaState.OTA_STATE_DOWNLOADING), last.at(OtaState.OTA_STATE_VERIFYING));
      path[4] += span(last.at(OtaState.OTA_STATE_VERIFYING), last.at(OtaState.OTA_STATE_SMOKE_TESTING));
      path[5] += span(last.at(OtaState.OTA_STATE_SMOKE_TESTING), lastActive);
      path[6] += span(lastActive, g.settled);
      path[7] += span(g.settled, g.passed);
    }
    System.out.println("(cells: p50 / max over the stage's new devices, s; stage times: s since the upload began; "
        + "poll resolution ~0.1 s)");
    double total = r.seconds(t.completedMs());
    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "critical path to COMPLETED, %.1f s (per stage "
        + "the device that was ACTIVE last):", total));
    double sum = 0;
    for (int i = 0; i < names.length; i++) {
      sum += path[i];
      line.append(String.format(Locale.ROOT, "%s %s %.1f s (%.0f %%)", i == 0 ? "" : ",", names[i], path[i],
          100 * path[i] / total));
    }
    System.out.println(line.append(String.format(Locale.ROOT, "; sum %.1f s; tick %d ms", sum, tickMs)));
    System.out.printf(Locale.ROOT, "physical floor of the transfer: one device at the server's per-device limit "
            + "(%.0f blocks/s) x %d stages in series = %.1f s; N x %d blocks at the server's %.0f blocks/s = %.1f s%n",
        DEVICE_BLOCKS_PER_S, t.stages().size(), t.stages().size() * r.blocks() / DEVICE_BLOCKS_PER_S, r.blocks(),
        SERVER_BLOCKS_PER_S, n * r.blocks() / SERVER_BLOCKS_PER_S);
  }

  /** {@code to - from} in seconds; NaN if either is unknown. */
  private static double span(long from, long to) {
    return from < 0 || to < 0 ? Double.NaN : (to - from) / 1000.0;
  }

  private static String stat(List<RolloutTimeline.Device> ds, ToDoubleFunction<RolloutTimeline.Device> f) {
    double[] v = ds.stream().mapToDouble(f).filter(x -> !Double.isNaN(x)).sorted().toArray();
    if (v.length == 0) {
      return "-";
    }
    return String.format(Locale.ROOT, "%.1f / %.1f", percentile(v, 50), percentile(v, 100))
        + (v.length < ds.size() ? " (" + v.length + " seen)" : "");
  }

  /** Nearest-rank percentile of sorted values; NaN if there are none. */
  private static double percentile(double[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int i = (int) Math.ceil(p / 100 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  private static double percentile(long[] sorted, double p) {
    return percentile(Arrays.stream(sorted).asDoubleStream().toArray(), p);
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (Exception e) {
      return "unknown";
    }
  }

  /** Starts the agents, {@code batch} at a time (each start waits for the agent's readiness). */
  private void startAll(int batch) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(batch);
    try {
      List<Future<?>> started = new ArrayList<>();
      for (EdgeAgentProcess a : agents) {
        started.add(pool.submit(() -> {
          a.start();
          return null;
        }));
      }
      for (Future<?> f : started) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static long online(CloudService cloud) {
    return cloud.fleet().devices().stream().filter(d -> d.profile().equals(PROFILE) && d.online()).count();
  }

  private static byte[] model(long seed) {
    return InversionNet.build(InversionNetConfig.defaults().withWidth(WIDTH).withSeed(seed)).toByteArray();
  }

  /** A value of the agent's {@code /q/metrics}; -1 if it cannot be read. */
  private static long metric(EdgeAgentProcess a, String name) {
    try {
      Matcher m = Pattern.compile("(?m)^" + name + "\\{[^}]*} (\\d+)").matcher(a.get("/q/metrics").body());
      return m.find() ? Long.parseLong(m.group(1)) : -1;
    } catch (Exception e) {
      return -1;
    }
  }

  private EdgeAgentProcess agent(String id, MosquittoBroker mqtt, SigningKeys keys, Path bootstrapFile)
      throws Exception {
    // The Pi's JVM flags (deploy/pi/agent.env) with a smaller heap: 50 of them share this machine.
    return EdgeAgentProcess.builder(id, mqtt.url()).profile(PROFILE)
        .trustedKey(KEY_ID, keys.publicKeysBase64().get(KEY_ID)).stateDir(tmp.resolve("agents").resolve(id))
        .bootstrapModel(bootstrapFile, "inversionnet-bench-boot", 1).syntheticIntervalMs(1000).telemetryIntervalMs(1000)
        .maxHeapMb(AGENT_HEAP_MB).jvmOption("-Xms32m").jvmOption("-XX:MaxMetaspaceSize=96m")
        .jvmOption("-XX:ReservedCodeCacheSize=48m").jvmOption("-Xss512k").jvmOption("-XX:TieredStopAtLevel=1")
        .readyTimeout(Duration.ofMinutes(3)).property("fwi.inference.ort-threads", "1").build();
  }

  private CloudSettings settings(KafkaBroker kafka, MosquittoBroker mqtt, SigningKeys keys, long tickMs,
      long observeMs) {
    ProfileCatalog profiles = new ProfileCatalog(List.of(
        new ProfileSpec(PROFILE, 1, 1L << 30, 1_000_000_000L, 1L << 29, "this machine, shared by every agent", 1.0)));
    BridgeSettings bridge = BridgeSettings.builder(mqtt.url(), kafka.bootstrapServers()).clientId("bench-bridge")
        .mqttClients(Integer.getInteger("fwi.bench.bridge-clients", 1)).build();
    RolloutSettings rollout = new RolloutSettings(List.of(0.1, 0.5, 1.0), 120_000, observeMs, 1, 0, 0.05, 0.25);
    // No base model and no dataset: the service plans no job, so the compression settings are never used.
    TrainingConfig training = TrainingConfig.reference().withBatchSize(4).withSeed(5).withThreads(1);
    Compressor.Settings compression = new Compressor.Settings(0, 1, Criterion.L1, 1, 1, Compressor.Retrain.NEVER, 0.1,
        true, 1, training, 3, 1e-3, 2);
    return new CloudSettings(kafka.bootstrapServers(), mqtt.url(), tmp.resolve("cloud"), 60_000, tickMs, 60_000,
        profiles, Optional.of(bridge), 2, (short) 1, tmp.resolve("cloud/registry"), RegistrySettings.defaults(), keys,
        MqttSettings.of(mqtt.url(), "bench-ota"), BlockPublisherSettings.builder().senderId("bench-ota").build(),
        new PlannerSettings(3_000, 0.9, 600_000, 0.7, 10), false, rollout, false, Optional.empty(), Optional.empty(),
        "auto", Optional.empty(), 1, compression, 0.9, 1);
  }
}
