package fwi.cloud.web;

import fwi.cloud.testing.KafkaBroker;
import fwi.testing.MosquittoBroker;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What the dashboard test's Quarkus application needs before it starts: a real Mosquitto and a real
 * Kafka (KRaft) in child processes, a state directory and an Ed25519 signing key as a PKCS#8 PEM file.
 * Hands the application their addresses as {@code fwi.*} settings, with HTTP on (on a free port), the
 * API token {@link #TOKEN}, no automatic compression jobs (the test's devices only pretend to infer),
 * and history sampled every second.
 */
public class DashboardBrokers implements QuarkusTestResourceLifecycleManager {
  /** The setting that names the PEM file of the signing key this resource makes. */
  public static final String SIGNING_KEY_PROPERTY = "fwi.registry.signing.keys.\"dash\".pem-file";

  /** The operator token the test's service accepts. */
  static final String TOKEN = "dashboard-test-token";

  private MosquittoBroker mqtt;
  private KafkaBroker kafka;
  private Path dir;

  @Override
  public Map<String, String> start() {
    try {
      dir = Files.createTempDirectory("dashboard-test-");
      Path pem = dir.resolve("manifest-signing.pem");
      Files.writeString(pem, pem(), StandardCharsets.US_ASCII);
      mqtt = MosquittoBroker.launch();
      kafka = KafkaBroker.launch();
      Map<String, String> config = new HashMap<>();
      config.put("quarkus.http.host-enabled", "true");
      config.put("quarkus.http.test-port", "0");
      config.put("fwi.service.kafka-bootstrap", kafka.bootstrapServers());
      config.put("fwi.service.mqtt-broker-url", mqtt.url());
      config.put("fwi.service.state-dir", dir.resolve("cloud").toString());
      config.put("fwi.service.api-token", TOKEN);
      config.put("fwi.service.tick-ms", "500");
      config.put(SIGNING_KEY_PROPERTY, pem.toString());
      config.put("fwi.bridge.client-id", "dashboard-test-bridge");
      config.put("fwi.bridge.topic-partitions", "2");
      config.put("fwi.rollout.planner.automatic", "false");
      config.put("fwi.dashboard.history-sample-ms", "1000");
      return config;
    } catch (IOException e) {
      stop();
      throw new UncheckedIOException("the dashboard test's brokers did not start", e);
    }
  }

  private static String pem() {
    try {
      byte[] pkcs8 = KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPrivate().getEncoded();
      return "-----BEGIN PRIVATE KEY-----\n"
          + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(pkcs8)
          + "\n-----END PRIVATE KEY-----\n";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("Ed25519 is part of every JDK 15+", e);
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
    if (dir != null) {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        // a temporary directory; the OS cleans it eventually
      }
    }
  }
}
