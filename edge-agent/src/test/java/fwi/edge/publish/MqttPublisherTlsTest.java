package fwi.edge.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.testing.MosquittoBroker;
import fwi.testing.MqttTestClient;
import fwi.testing.Poll;
import fwi.testing.TestCertificates;
import fwi.proto.v1.Telemetry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The publisher against a Mosquitto TLS listener with a self-signed certificate. */
class MqttPublisherTlsTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  @TempDir
  static Path certDir;
  private static TestCertificates certs;
  private static MosquittoBroker broker;

  @TempDir
  Path dir;

  @BeforeAll
  static void startBroker() throws IOException {
    certs = TestCertificates.create(certDir);
    broker = MosquittoBroker.launchTls(certs.certPem(), certs.keyPem());
  }

  @AfterAll
  static void stopBroker() {
    broker.close();
  }

  private PublisherSettings.Builder settings(String deviceId) {
    return MqttPublisherTest.settings(broker, deviceId, dir);
  }

  @Test
  void publishesOverTlsTrustingTheConfiguredCaFile() throws Exception {
    assertTrue(broker.url().startsWith("ssl://"));
    try (MqttPublisher publisher = MqttPublisherTest.started(settings("dev-tls").tlsCaFile(certs.certPem()).build())) {
      MqttPublisherTest.awaitConnected(publisher);
      publisher.publish(Stream.TELEMETRY, h -> Telemetry.newBuilder().setHeader(h).build());
      // Acknowledged over TLS: delivered, or PUBACK 0x10 since nobody subscribes here (kept for later).
      Poll.until(() -> publisher.sentCount(Stream.TELEMETRY) == 1 || publisher.unmatchedCount() >= 1, WAIT,
          () -> "telemetry acknowledged");
    }
  }

  @Test
  void publishesOverTlsTrustingTheConfiguredTrustStore() throws Exception {
    try (MqttPublisher publisher = MqttPublisherTest.started(
        settings("dev-tls-store").tlsTrustStore(certs.trustStore(), TestCertificates.PASSWORD).build())) {
      MqttPublisherTest.awaitConnected(publisher);
    }
  }

  @Test
  void brokerWithAnUntrustedCertificateIsNotConnectedAndTheReasonIsKept() throws Exception {
    try (MqttPublisher publisher = MqttPublisherTest.started(settings("dev-tls-untrusted").build())) {
      Poll.until(() -> publisher.lastConnectError().isPresent(), WAIT, () -> "a failed attempt");
      assertFalse(publisher.connected());
      String error = publisher.lastConnectError().get();
      assertTrue(error.contains("PKIX") || error.contains("certificate"), error);
    }
  }

  @Test
  void missingCaFileIsRefusedAtConstructionNamingIt() {
    Path missing = dir.resolve("no-such-ca.pem");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new MqttPublisher(settings("dev-tls-missing").tlsCaFile(missing).build(), MqttPublisherTest::birth));
    assertTrue(e.getMessage().startsWith("TLS CA file '" + missing + "' cannot be read as PEM certificates: "),
        e.getMessage());
  }

  @Test
  void plainClientIsNotServedByTheTlsListener() {
    assertThrows(Exception.class, () -> MqttTestClient.connect("tcp://127.0.0.1:" + broker.port(), "plain").close());
    assertEquals("ssl://localhost:" + broker.port(), broker.url());
  }
}
