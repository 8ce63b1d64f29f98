package fwi.cloud.service;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.cloud.web.DashboardBrokers;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The fleet service's log, at DEBUG for its own code and the MQTT and Kafka clients, through start
 * (bridge login, signing key loaded, OTA connections) and refused and accepted API calls, holds none
 * of its secrets: the manifest-signing key (each base64 line of its PEM), the API token, the MQTT password.
 */
@QuarkusTest
@WithTestResource(SecretsNotLoggedTest.Secrets.class)
class SecretsNotLoggedTest {
  static final Path LOG = Path.of("target", "secrets-test", "service.log");
  static final List<String> DEBUG_CATEGORIES = List.of("fwi", "org.eclipse.paho", "org.apache.kafka");

  /**
   * Quarkus sets category levels on the JVM-wide log manager and the next test application does not
   * reset them: without this, this test's DEBUG would flood the output of the tests after it.
   */
  @AfterAll
  static void restoreLogLevels() {
    for (String category : DEBUG_CATEGORIES) {
      java.util.logging.Logger.getLogger(category).setLevel(null);
    }
  }

  /**
   * The dashboard test's real Mosquitto, Kafka and PEM signing key, with an API token and an MQTT
   * password made anew for each run, and the log at DEBUG in a file.
   */
  public static class Secrets extends DashboardBrokers {
    static final String TOKEN = "api-" + UUID.randomUUID();
    static final String MQTT_PASSWORD = "mqtt-" + UUID.randomUUID();
    static volatile Path signingKeyPem;

    @Override
    public Map<String, String> start() {
      try {
        Files.deleteIfExists(LOG);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Map<String, String> c = new HashMap<>(super.start());
      signingKeyPem = Path.of(c.get(DashboardBrokers.SIGNING_KEY_PROPERTY));
      c.put("quarkus.log.file.enabled", "true");
      c.put("quarkus.log.file.path", LOG.toAbsolutePath().toString());
      c.put("quarkus.log.console.level", "WARN"); // DEBUG goes to the file only
      for (String category : DEBUG_CATEGORIES) {
        c.put("quarkus.log.category.\"" + category + "\".level", "DEBUG");
      }
      c.put("fwi.service.api-token", TOKEN);
      c.put("fwi.bridge.client-id", "secrets-test-bridge");
      c.put("fwi.bridge.mqtt-username", "fwi-cloud");
      c.put("fwi.bridge.mqtt-password", MQTT_PASSWORD);
      return c;
    }
  }

  /** The base64 lines of the PEM key, each a secret on its own. */
  private static List<String> keyMaterial() throws IOException {
    return Files.readAllLines(Secrets.signingKeyPem).stream().filter(l -> !l.startsWith("-----")).toList();
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
    List<String> secrets = new java.util.ArrayList<>(List.of(Secrets.TOKEN, Secrets.MQTT_PASSWORD));
    secrets.addAll(keyMaterial());
    assertFalse(keyMaterial().isEmpty(), "the signing key's PEM has base64 lines");
    for (String secret : secrets) {
      assertFalse(log.contains(secret), "the service's log holds a secret (" + secret.length() + " characters)");
    }
  }
}
