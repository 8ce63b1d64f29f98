package fwi.cloud.ota;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.cloud.registry.ModelRegistry;
import fwi.cloud.registry.Registration;
import fwi.proto.v1.ManifestBody;
import fwi.proto.v1.SignedManifest;
import fwi.testing.MosquittoBroker;
import fwi.testing.MqttTestClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestPublisherTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final String SENTINEL = "test/sentinel";
  private static MosquittoBroker broker;

  @TempDir
  Path dir;

  private ModelRegistry registry;
  private ManifestPublisher publisher;

  @BeforeAll
  static void startBroker() throws Exception {
    broker = MosquittoBroker.launch();
  }

  @AfterAll
  static void stopBroker() {
    broker.close();
  }

  @BeforeEach
  void open() throws Exception {
    registry = OtaFixtures.registry(dir, 64 * 1024);
    registry.register("pi-4b", OtaFixtures.inversionNet(0.05, 0), "v1.onnx", Registration.none());
    publisher = new ManifestPublisher(MqttSettings.of(broker.url(), "cloud-test-manifests-" + System.nanoTime()),
        "cloud-pruner-7");
    publisher.start();
  }

  @AfterEach
  void close() throws Exception {
    publisher.close();
    registry.close();
  }

  /** What a device that subscribes now gets retained on {@code topic}; the sentinel, subscribed after it, marks the end. */
  private Optional<MqttTestClient.Received> retainedOn(String topic) throws Exception {
    try (MqttTestClient marker = MqttTestClient.connect(broker.url(), "marker-" + System.nanoTime())) {
      marker.publish(SENTINEL, new byte[] {1}, true);
    }
    try (MqttTestClient device = MqttTestClient.connect(broker.url(), "late-" + System.nanoTime(), topic, SENTINEL)) {
      device.await(m -> m.topic().equals(SENTINEL), WAIT);
      return device.received().stream().filter(m -> m.topic().equals(topic)).findFirst();
    }
  }

  @Test
  void retainsAProfileManifestWithTheSignedBodyUntouchedAndAHeader() throws Exception {
    SignedManifest signed = registry.manifest("pi-4b", 1);

    String topic = publisher.publishToProfile(signed, WAIT);

    assertEquals("fwi/v1/profile/pi-4b/manifest", topic);
    MqttTestClient.Received r = retainedOn(topic).orElseThrow();
    assertTrue(r.retained());
    assertEquals(1, r.qos());
    assertEquals(Optional.of("application/x-protobuf"), r.contentType());
    SignedManifest got = SignedManifest.parseFrom(r.payload());
    assertEquals(signed.getBody(), got.getBody());
    assertEquals(signed.getSignature(), got.getSignature());
    assertEquals(signed.getKeyId(), got.getKeyId());
    assertEquals("cloud-pruner-7", got.getHeader().getSenderId());
    assertEquals(1, got.getHeader().getSchemaVersion());
    assertTrue(got.getHeader().getSequence() > 0);
    assertTrue(registry.signer().verify(got).isPresent());
  }

  @Test
  void retainsACanaryManifestOnTheDeviceTopicAndClearsItAgain() throws Exception {
    SignedManifest canary = registry.manifestFor("pi-4b", 1, List.of("pi-0042"));

    String topic = publisher.publishToDevice("pi-0042", canary, WAIT);

    assertEquals("fwi/v1/dev/pi-0042/manifest", topic);
    ManifestBody body = ManifestBody.parseFrom(SignedManifest.parseFrom(retainedOn(topic).orElseThrow().payload())
        .getBody());
    assertEquals(List.of("pi-0042"), body.getTargetDeviceIdsList());

    publisher.clearDevice("pi-0042", WAIT);

    assertFalse(retainedOn(topic).isPresent(), "the retained manifest is gone");
  }

  @Test
  void aNewerManifestReplacesTheRetainedOne() throws Exception {
    registry.register("pi-4b", OtaFixtures.inversionNet(0.05, 1), "v2.onnx", Registration.none());
    publisher.publishToProfile(registry.manifest("pi-4b", 1), WAIT);

    publisher.publishToProfile(registry.manifest("pi-4b", 2), WAIT);

    SignedManifest got = SignedManifest.parseFrom(retainedOn("fwi/v1/profile/pi-4b/manifest").orElseThrow().payload());
    assertEquals(2, ManifestBody.parseFrom(got.getBody()).getVersion());
  }

  @Test
  void refusesADeviceTopicForADeviceTheTargetsLeaveOut() throws Exception {
    SignedManifest canary = registry.manifestFor("pi-4b", 1, List.of("pi-0001", "pi-0002"));

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> publisher.publishToDevice("pi-0099", canary, WAIT));

    assertEquals("device 'pi-0099' must be among the manifest's 2 target devices, but is not: [pi-0001, pi-0002]",
        e.getMessage());
  }

  @Test
  void failsRetriablyWhenTheBrokerIsUnreachable() throws Exception {
    try (ManifestPublisher nowhere = new ManifestPublisher(MqttSettings.of("tcp://127.0.0.1:1", "nowhere"), "c")) {
      nowhere.start();
      SignedManifest m = registry.manifest("pi-4b", 1);

      PublishFailedException e = assertThrows(PublishFailedException.class,
          () -> nowhere.publishToProfile(m, Duration.ofMillis(300)));

      assertTrue(e.retriable());
      assertEquals("not connected within 300 ms; fwi/v1/profile/pi-4b/manifest not published", e.getMessage());
    }
  }
}
