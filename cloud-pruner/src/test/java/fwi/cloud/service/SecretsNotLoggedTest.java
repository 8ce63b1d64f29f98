package fwi.cloud.service;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.cloud.testing.KafkaBroker;
import fwi.testing.MosquittoBroker;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The fleet service's log, at DEBUG for its own code and the MQTT and Kafka clients, through start
 * (bridge login, signing key loaded, OTA connections) and refused and accepted API calls, holds none
 * of its secrets: the manifest-signing key (PKCS#8, base64), the API token, the MQTT password.
 */
@QuarkusTest
@WithTestResource(SecretsNotLoggedTest.Secrets.class)
class SecretsNotLoggedTest {
  static final Path LOG = Path.of("target", "secrets-test", "service.log");

  /** Real Mosquitto and Kafka, and secrets made anew for each run. */
  public static class Secrets implements QuarkusTestResourceLifecycleManager {
    static final String TOKEN = "api-" + UUID.randomUUID();
    static final String MQTT_PASSWORD = "mqtt-" + UUID.randomUUID();
    static final String SIGNING_KEY = pkcs8Base64();

    private MosquittoBroker mqtt;
    private KafkaBroker kafka;

    private static String pkcs8Base64() {
      try {
        return Base64.getEncoder().encodeToString(
            KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPrivate().getEncoded());
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("Ed25519 is part of every JDK 15+", e);
      }
    }

    @Override
    public Map<String, String> start() {
      try {
        Files.deleteIfExists(LOG);
        Path dir = Files.createTempDirectory("secrets-test-");
        mqtt = MosquittoBroker.launch();
        kafka = KafkaBroker.launch();
        Map<String, String> c = new HashMap<>();
        c.put("quarkus.http.host-enabled", "true");
        c.put("quarkus.http.test-port", "0");
        c.put("quarkus.log.file.enabled", "true");
        c.put("quarkus.log.file.path", LOG.toAbsolutePath().toString());
        c.put("quarkus.log.console.level", "WARN"); // DEBUG goes to the file only
        c.put("quarkus.log.category.\"fwi\".level", "DEBUG");
        c.put("quarkus.log.category.\"org.eclipse.paho\".level", "DEBUG");
        c.put("quarkus.log.category.\"org.apache.kafka\".level", "DEBUG");
        c.put("fwi.service.kafka-bootstrap", kafka.bootstrapServers());
        c.put("fwi.service.mqtt-broker-url", mqtt.url());
        c.put("fwi.service.state-dir", dir.resolve("cloud").toString());
        c.put("fwi.service.api-token", TOKEN);
        c.put("fwi.registry.signing.keys.\"secret-test\".pkcs8-base64", SIGNING_KEY);
        c.put("fwi.bridge.client-id", "secrets-test-bridge");
        c.put("fwi.bridge.mqtt-username", "fwi-cloud");
        c.put("fwi.bridge.mqtt-password", MQTT_PASSWORD);
        c.put("fwi.bridge.topic-partitions", "1");
        c.put("fwi.rollout.planner.automatic", "false");
        return c;
      } catch (IOException e) {
        stop();
        throw new UncheckedIOException("the secrets test's brokers did not start", e);
      }
    }

    @Override
    public void stop() {
      if (kafka != null) {
        kafka.close();
      }
      if (mqtt != null) {
        mqtt.close();
      }
    }
  }

  @Inject
  FleetService fleet;

  @Test
  void neitherStartNorRefusedOrAcceptedCallsLogASecret() throws Exception {
    fleet.start();
    for (String path : FleetApiTest.MUTATING) {
      for (String auth : new String[] {null, "Bearer wrong", "Bearer " + Secrets.TOKEN + "x", Secrets.TOKEN}) {
        FleetApiTest.post(path, auth).statusCode(401);
      }
    }
    // accepted by the token check, refused by what follows: a body that is not ONNX, an unknown rollout
    FleetApiTest.post("/api/profiles/pi-4b/models", "Bearer " + Secrets.TOKEN).statusCode(400);
    FleetApiTest.post("/api/rollouts/r-none/abort", "Bearer " + Secrets.TOKEN).statusCode(404);
    given().get("/api/bridge").then().statusCode(200);

    String log = Files.readString(LOG, StandardCharsets.UTF_8);
    assertTrue(log.contains("fleet state"),
        "the captured log must show the service's start, but was:\n" + log);
    for (String secret : List.of(Secrets.TOKEN, Secrets.MQTT_PASSWORD, Secrets.SIGNING_KEY,
        Secrets.SIGNING_KEY.substring(0, 24), Secrets.SIGNING_KEY.substring(Secrets.SIGNING_KEY.length() - 24))) {
      assertFalse(log.contains(secret), "the service's log holds a secret (" + secret.length() + " characters)");
    }
  }
}
