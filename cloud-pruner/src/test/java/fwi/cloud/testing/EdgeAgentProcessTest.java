package fwi.cloud.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import fwi.cloud.model.InversionNet;
import fwi.cloud.model.InversionNetConfig;
import fwi.cloud.model.OnnxModels;
import fwi.proto.v1.Birth;
import fwi.proto.v1.Death;
import fwi.proto.v1.DeathReason;
import fwi.proto.v1.Telemetry;
import fwi.testing.MosquittoBroker;
import fwi.testing.MqttTestClient;
import fwi.testing.MqttTestClient.Received;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EdgeAgentProcessTest {
  private static final String DEVICE = "e2e-agent-1";
  private static final String PREFIX = "fwi/v1/dev/" + DEVICE + "/";

  private static String rawPublicKey() throws Exception {
    byte[] x509 = KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPublic().getEncoded();
    return Base64.getEncoder().encodeToString(Arrays.copyOfRange(x509, x509.length - 32, x509.length));
  }

  private static Birth birth(Received m) {
    try {
      return Birth.parseFrom(m.payload());
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError("undecodable Birth on " + m.topic(), e);
    }
  }

  private static Death death(Received m) {
    try {
      return Death.parseFrom(m.payload());
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError("undecodable Death on " + m.topic(), e);
    }
  }

  private static Telemetry telemetry(Received m) {
    try {
      return Telemetry.parseFrom(m.payload());
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError("undecodable Telemetry on " + m.topic(), e);
    }
  }

  private static boolean isTelemetryWithInferences(Received m) {
    return m.topic().equals(PREFIX + "telemetry") && telemetry(m).getInferenceCount() > 0;
  }

  @Test
  void runsARealAgentThatIsBornReportsDiesOnKillAndComesBackOnRestart(@TempDir Path tmp) throws Exception {
    Path model = tmp.resolve("inversionnet-w0125.onnx");
    OnnxModels.write(InversionNet.build(InversionNetConfig.defaults().withWidth(0.125)), model);
    try (MosquittoBroker broker = MosquittoBroker.launch();
        MqttTestClient cloud = MqttTestClient.connect(broker.url(), "e2e-cloud", "fwi/v1/dev/+/birth",
            "fwi/v1/dev/+/death", "fwi/v1/dev/+/telemetry");
        EdgeAgentProcess agent = EdgeAgentProcess.builder(DEVICE, broker.url())
            .profile("pi-3b")
            .trustedKey("fleet.2026a", rawPublicKey()) // a dot in the id: the harness must quote it
            .stateDir(tmp.resolve("agent"))
            .bootstrapModel(model, "inversionnet-pi-3b-v1", 1)
            .syntheticIntervalMs(200)
            .telemetryIntervalMs(1000)
            .mqttKeepAliveS(2)
            .adminToken("e2e-token")
            .build()) {
      agent.start();
      System.out.printf("edge agent first start to ready: %d ms, RSS %s%n", agent.lastStartTime().toMillis(),
          rss(agent));

      Birth first = birth(cloud.await(m -> m.topic().equals(PREFIX + "birth"), Duration.ofSeconds(10)));
      assertEquals(DEVICE, first.getHeader().getSenderId());
      assertEquals("pi-3b", first.getProfileName());
      assertEquals("inversionnet-pi-3b-v1", first.getRunningModel().getModelId());
      assertEquals(1, first.getRunningModel().getVersion());
      assertTrue(first.getCapabilities().getTrustedKeyIdsList().contains("fleet.2026a"),
          () -> "trusted key ids " + first.getCapabilities().getTrustedKeyIdsList());
      Telemetry t = telemetry(cloud.await(EdgeAgentProcessTest::isTelemetryWithInferences, Duration.ofSeconds(20)));
      assertEquals(DEVICE, t.getHeader().getSenderId());
      assertEquals("inversionnet-pi-3b-v1", t.getModel().getModelId());
      assertEquals(200, agent.get("/q/health/ready").status());

      agent.kill();
      assertFalse(agent.isAlive());
      // The dead process's socket is closed by the kernel, so the broker publishes the will at once;
      // the 2 s keep-alive bounds it at 3 s should the close not reach the broker.
      Death crash = death(cloud.await(m -> m.topic().equals(PREFIX + "death"), Duration.ofSeconds(10)));
      assertEquals(DeathReason.DEATH_REASON_CONNECTION_LOST, crash.getReason());
      assertEquals(first.getSessionSeq(), crash.getSessionSeq());

      agent.restart();
      System.out.printf("edge agent restart after kill to ready: %d ms, RSS %s%n", agent.lastStartTime().toMillis(),
          rss(agent));
      assertTrue(agent.isAlive());
      assertEquals(200, agent.get("/q/health/ready").status());
      List<Received> births = cloud.awaitCount(m -> m.topic().equals(PREFIX + "birth"), 2, Duration.ofSeconds(10));
      Birth second = birth(births.get(births.size() - 1));
      assertTrue(second.getSessionSeq() > first.getSessionSeq(),
          () -> "session_seq after restart " + second.getSessionSeq() + ", before " + first.getSessionSeq());
      assertEquals("inversionnet-pi-3b-v1", second.getRunningModel().getModelId()); // from the store, not re-imported

      agent.stop();
      assertFalse(agent.isAlive());
      Death shutdown = death(cloud.awaitCount(m -> m.topic().equals(PREFIX + "death"), 2, Duration.ofSeconds(10))
          .get(1));
      assertEquals(DeathReason.DEATH_REASON_SHUTDOWN, shutdown.getReason());
      assertTrue(agent.log().contains("---- EdgeAgentProcess: start 2 of " + DEVICE), agent::logTail);
    }
  }

  @Test
  void failsWithTheLogTailWhenTheAgentExitsBeforeItIsReady(@TempDir Path tmp) throws Exception {
    EdgeAgentProcess agent = EdgeAgentProcess.builder("e2e-agent-bad", "tcp://127.0.0.1:1")
        .trustedKey("k", rawPublicKey())
        .stateDir(tmp)
        .property("fwi.report.result-encoding", "no-such-encoding")
        .build();
    try (agent) {
      IllegalStateException e = assertThrows(IllegalStateException.class, agent::start);
      assertTrue(e.getMessage().startsWith("edge agent e2e-agent-bad exited with "), e.getMessage());
      assertTrue(e.getMessage().contains("no-such-encoding"), e.getMessage());
      assertFalse(agent.isAlive());
    }
  }

  @Test
  void rejectsAKeyThatIsNotARaw32ByteKey() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> EdgeAgentProcess.builder("d", "tcp://127.0.0.1:1883").trustedKey("k", "AAAA"));
    assertEquals("trusted key 'k' must be the base64 of a raw 32-byte Ed25519 public key, but decodes to 3 bytes",
        e.getMessage());
  }

  private static String rss(EdgeAgentProcess agent) {
    return agent.residentBytes().stream().mapToObj(b -> (b >> 20) + " MiB").findFirst().orElse("n/a");
  }
}
