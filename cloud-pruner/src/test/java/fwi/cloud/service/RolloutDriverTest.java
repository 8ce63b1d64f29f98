package fwi.cloud.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.cloud.fleet.FleetState;
import fwi.cloud.model.InversionNet;
import fwi.cloud.model.InversionNetConfig;
import fwi.cloud.ota.ManifestPublisher;
import fwi.cloud.ota.MqttSettings;
import fwi.cloud.registry.ManifestSigner;
import fwi.cloud.registry.ModelRegistry;
import fwi.cloud.registry.ModelStore;
import fwi.cloud.registry.Registration;
import fwi.cloud.registry.RegistrySettings;
import fwi.cloud.registry.SigningKeys;
import fwi.cloud.rollout.Rollout;
import fwi.cloud.rollout.RolloutSettings;
import fwi.cloud.testing.KafkaBroker;
import fwi.proto.v1.ManifestBody;
import fwi.proto.v1.SignedManifest;
import fwi.testing.MosquittoBroker;
import fwi.testing.MqttTestClient;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rollout driver against a real Mosquitto (and the shared test Kafka for {@code fwi.models}):
 * stage manifests reach exactly the stage's devices, API calls do not wait for the broker, actions
 * that could not be published are retried once the broker is back, and a profile without a current
 * version is refused a staged rollout.
 */
class RolloutDriverTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final String PROFILE = "pi-4b";

  @TempDir
  Path dir;

  private MosquittoBroker broker;
  private ModelRegistry registry;
  private ManifestPublisher publisher;
  private KafkaOut kafka;
  private RolloutDriver driver;
  private final AtomicLong now = new AtomicLong(1_000_000);

  @BeforeEach
  void open() throws Exception {
    broker = MosquittoBroker.launch();
    ManifestSigner signer = new ManifestSigner(SigningKeys.builder()
        .privateKey("manifest-test", KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPrivate())
        .active("manifest-test").build());
    Path reg = dir.resolve("registry");
    registry = ModelRegistry.open(reg, new ModelStore(reg), signer, RegistrySettings.defaults(), Clock.systemUTC());
    for (long seed = 1; seed <= 2; seed++) {
      registry.register(PROFILE, InversionNet.build(InversionNetConfig.defaults().withWidth(0.05).withSeed(seed))
          .toByteArray(), "v" + seed + ".onnx", Registration.none());
    }
    publisher = new ManifestPublisher(MqttSettings.of(broker.url(), "driver-test-" + System.nanoTime()), "cloud-7");
    publisher.start();
    kafka = new KafkaOut(KafkaBroker.shared().bootstrapServers(), "driver-test");
    driver = new RolloutDriver(registry, publisher, kafka,
        new RolloutSettings(List.of(0.1, 0.5, 1.0), 600_000, 60_000, 5, 0, 0.05, 0.5), dir, now::get);
  }

  @AfterEach
  void close() throws Exception {
    publisher.close();
    kafka.close();
    registry.close();
    broker.close();
  }

  private static List<String> devices(int n) {
    List<String> d = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      d.add(String.format("pi-%03d", i));
    }
    return d;
  }

  /** Devices whose retained manifest is version {@code version} (the subscriber sees retained messages at once). */
  private Set<String> targetedWith(MqttTestClient watcher, long version) throws Exception {
    Set<String> out = new HashSet<>();
    for (MqttTestClient.Received r : watcher.received()) {
      if (r.payload().length == 0) {
        continue;
      }
      ManifestBody b = ManifestBody.parseFrom(SignedManifest.parseFrom(r.payload()).getBody());
      if (b.getVersion() == version) {
        out.add(r.topic().split("/")[3]);
      }
    }
    return out;
  }

  @Test
  void aStageTargetsExactlyItsDevicesAndTheApiNeverWaitsForTheBroker() throws Exception {
    driver.setCurrent(PROFILE, 1);
    List<String> fleet = devices(50);
    broker.stop();

    long t0 = System.nanoTime();
    Rollout.Status started = driver.start(PROFILE, 2, 30, 50, fleet).status();
    List<Rollout.Status> all = driver.all();
    long apiMs = (System.nanoTime() - t0) / 1_000_000;

    // The publish timeout is 10 s; returning well before it shows the call only queued the stage.
    assertTrue(apiMs < 5_000, "start + all with the broker down took " + apiMs + " ms: the API waited for MQTT");
    assertEquals(1, all.size());
    assertEquals(1, started.stage());
    List<String> stage1 = started.devices().entrySet().stream()
        .filter(e -> e.getValue() == Rollout.DeviceState.TARGETED).map(e -> e.getKey()).toList();
    assertEquals(5, stage1.size(), "10 % of 50 devices: " + started.devices());

    broker.start();
    try (MqttTestClient watcher = MqttTestClient.connect(broker.url(), "watcher-" + System.nanoTime(),
        "fwi/v1/dev/+/manifest")) {
      // The action that failed while the broker was away is retried on the clock's ticks.
      fwi.testing.Poll.until(() -> {
        driver.tick();
        try {
          return targetedWith(watcher, 2).size() >= 5;
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }, WAIT, () -> "stage 1 manifests after the broker came back: " + watcher.received().size());
      assertEquals(new HashSet<>(stage1), targetedWith(watcher, 2), "the stage's manifests went to other devices");
    }
  }

  @Test
  void aRolloutsBaselineIsTheOldModelsNewestTelemetry() throws Exception {
    driver.setCurrent(PROFILE, 1);
    long t = 5_000_000; // device clock: far from the driver's, and no matter
    driver.onWindow(PROFILE, new FleetState.Window(t - 40_000, "pi-000", "a", 1, 10, 500_000, 900_000, 0)); // too old
    driver.onWindow(PROFILE, new FleetState.Window(t - 20_000, "pi-000", "a", 1, 10, 50_000, 60_000, 0));
    driver.onWindow(PROFILE, new FleetState.Window(t, "pi-001", "a", 1, 30, 30_000, 40_000, 0));
    driver.onWindow(PROFILE, new FleetState.Window(t + 1_000, "pi-002", "b", 2, 10, 1_000, 2_000, 0)); // another model
    driver.onWindow("pi-zero", new FleetState.Window(t, "pz-000", "c", 1, 10, 500_000, 900_000, 0)); // another profile
    driver.tick();
    Rollout.Status started = driver.start(PROFILE, 2, 30, 50, devices(10)).status();
    Path stored = dir.resolve("rollouts").resolve(started.id() + ".json");
    RolloutDriver.Stored st = new com.fasterxml.jackson.databind.ObjectMapper().readValue(stored.toFile(),
        RolloutDriver.Stored.class);
    assertEquals((10 * 60 + 30 * 40) / 40.0, st.rollout().baselineP95Ms(), 1e-9,
        "the windows of version 1 within 30 s of its newest one, p95 weighted by inferences");
  }

  @Test
  void aProfileWithoutACurrentVersionIsRefusedAStagedRollout() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> driver.start(PROFILE, 2, 30, 50, devices(3)));
    assertTrue(e.getMessage().contains("no current model version") && e.getMessage().contains("version 2"),
        e.getMessage());
    assertTrue(driver.all().isEmpty());
  }
  @Test
  void aRestartedServiceResumesItsRolloutsWhereTheyWere() throws Exception {
    driver.setCurrent(PROFILE, 1);
    List<String> fleet = devices(10);
    Rollout.Status started = driver.start(PROFILE, 2, 30, 50, fleet).status();
    String canary = started.stages().get(0).devices() == 1 ? started.devices().entrySet().stream()
        .filter(e -> e.getValue() == Rollout.DeviceState.TARGETED).findFirst().orElseThrow().getKey() : "";
    fwi.testing.Poll.until(driver::idle, WAIT, () -> "stage 1 published");
    driver.act(started.id(), "pause", "night shift");
    driver.close(Duration.ofSeconds(5));

    // A new driver on the same state directory, as after a restart.
    RolloutDriver again = new RolloutDriver(registry, publisher, kafka,
        new RolloutSettings(List.of(0.1, 0.5, 1.0), 600_000, 60_000, 5, 0, 0.05, 0.5), dir, now::get);
    try {
      Rollout.Status resumed = again.status(started.id()).orElseThrow();
      assertEquals(Rollout.State.PAUSED, resumed.state());
      assertEquals("paused: night shift", resumed.reason());
      assertEquals(started.devices(), resumed.devices());
      assertTrue(again.active(PROFILE), "a paused rollout still holds the profile");
      assertThrows(IllegalStateException.class, () -> again.start(PROFILE, 2, 30, 50, fleet));
      // Its stage is published again (harmless: the manifest is retained), and it goes on once resumed.
      again.act(started.id(), "resume", "morning");
      again.tick();
      fwi.testing.Poll.until(again::idle, WAIT, () -> "stage 1 republished");
      try (MqttTestClient watcher = MqttTestClient.connect(broker.url(), "watcher-" + System.nanoTime(),
          "fwi/v1/dev/+/manifest")) {
        fwi.testing.Poll.until(() -> {
          try {
            return targetedWith(watcher, 2).equals(Set.of(canary));
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }, WAIT, () -> "the canary's manifest retained");
      }
      assertEquals(Rollout.State.RUNNING, again.status(started.id()).orElseThrow().state());
      // An aborted model's blocks stay unserved, also after a restart; ids go on from the stored ones.
      String sha2 = registry.model(PROFILE, 2).orElseThrow().sha256Hex();
      again.act(started.id(), "abort", "test");
      fwi.testing.Poll.until(again::idle, WAIT, () -> "rollback published");
      assertFalse(again.mayDownload("pi-000", sha2));
      assertTrue(again.mayDownload("elsewhere-1", sha2),
          "only the aborted rollout's devices: another profile may roll out byte-identical bytes");
      RolloutDriver third = new RolloutDriver(registry, publisher, kafka,
          new RolloutSettings(List.of(0.1, 0.5, 1.0), 600_000, 60_000, 5, 0, 0.05, 0.5), dir, now::get);
      assertFalse(third.mayDownload("pi-000", sha2), "withdrawn after a restart too");
      assertEquals(Rollout.State.ABORTED, third.status(started.id()).orElseThrow().state());
      third.close(Duration.ofSeconds(5));
      assertTrue(again.start(PROFILE, 2, 30, 50, fleet).status().id().endsWith("-2"));
      assertTrue(again.mayDownload("pi-000", sha2), "taken up again by a new rollout");
    } finally {
      again.close(Duration.ofSeconds(5));
    }
  }
}
