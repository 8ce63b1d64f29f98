package fwi.edge;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import fwi.edge.testing.BlockServer;
import fwi.edge.testing.Manifests;
import fwi.testing.MqttTestClient;
import fwi.edge.testing.TestModels;
import fwi.proto.codec.VelocityMaps;
import fwi.proto.v1.Birth;
import fwi.proto.v1.InferenceResult;
import fwi.proto.v1.ManifestBody;
import fwi.proto.v1.OtaReason;
import fwi.proto.v1.OtaState;
import fwi.proto.v1.OtaStatus;
import fwi.proto.v1.SignedManifest;
import fwi.proto.v1.Telemetry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The whole agent against a real Mosquitto: what it publishes, decoded; inputs over HTTP; over-the-air
 * updates from a test cloud that signs manifests and serves blocks over MQTT. The tests share one
 * agent and run in order: the happy path installs v2, the refusals must leave v2 serving, the
 * operator's rollback returns to v1.
 */
@QuarkusTest
@QuarkusTestResource(value = AgentTestResource.class, restrictToAnnotatedClass = true)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EdgeAgentTest {
  static final String DEVICE = "test-device-1";
  static final String PROFILE = "pi-3b";
  static final Duration WAIT = Duration.ofSeconds(30);

  static MqttTestClient cloud;
  static BlockServer blocks;

  @BeforeAll
  static void connectCloud() throws Exception {
    cloud = MqttTestClient.connect(AgentTestResource.broker.url(), "test-cloud", "fwi/v1/dev/" + DEVICE + "/#");
    blocks = new BlockServer(AgentTestResource.broker.url());
  }

  @AfterAll
  static void disconnectCloud() {
    cloud.close();
    blocks.close();
  }

  static byte[] raw(float... v) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float x : v) {
      b.putFloat(x);
    }
    return b.array();
  }

  static Response infer(String id, float... v) {
    return given().header("X-Shape", "1," + v.length).header("X-Input-Id", id).contentType("application/octet-stream")
        .body(raw(v)).post("/infer");
  }

  static ManifestBody.Builder body(byte[] file, String id, long version) {
    return Manifests.body(file, id, version).setProfileName(PROFILE);
  }

  /** Publishes {@code signed} on the profile topic (retained, as the cloud does) and waits for its end state. */
  static OtaStatus offer(byte[] signed, long version) throws Exception {
    int before = cloud.received(r -> r.topic().endsWith("/ota/status")).size();
    cloud.publish("fwi/v1/dev/" + DEVICE + "/manifest", signed, true);
    return awaitEnd(version, before);
  }

  static OtaStatus awaitEnd(long version, int skip) throws Exception {
    List<MqttTestClient.Received> all = cloud.awaitUntil(list -> ends(list, version, skip) != null, WAIT,
        "an end state of the update to version " + version);
    return ends(all, version, skip);
  }

  private static OtaStatus ends(List<MqttTestClient.Received> list, long version, int skip) {
    List<MqttTestClient.Received> statuses = list.stream().filter(r -> r.topic().endsWith("/ota/status")).toList();
    for (MqttTestClient.Received r : statuses.subList(Math.min(skip, statuses.size()), statuses.size())) {
      try {
        OtaStatus s = OtaStatus.parseFrom(r.payload());
        boolean end = switch (s.getState()) {
          case OTA_STATE_ACTIVE, OTA_STATE_REJECTED, OTA_STATE_FAILED, OTA_STATE_ROLLED_BACK -> true;
          default -> false;
        };
        // version -1: any update (a manifest whose signature fails names no model the agent may trust)
        if (end && (version < 0 || s.getToModel().getVersion() == version)) {
          return s;
        }
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new AssertionError(e);
      }
    }
    return null;
  }

  static void assertServing(String modelId, float plus) {
    infer("check", 1, 2, 3, 4).then().statusCode(200).body("model.id", equalTo(modelId));
    List<Float> v = infer("check", 0, 0, 0, 0).jsonPath().getList("velocity", Float.class);
    assertEquals(plus, v.get(0), 1e-3);
  }

  @Test
  @Order(1)
  void announcesItselfWithARetainedBirthThatNamesProfileModelAndKeys() throws Exception {
    try (MqttTestClient late = MqttTestClient.connect(AgentTestResource.broker.url(), "late", "fwi/v1/dev/+/birth")) {
      MqttTestClient.Received r = late.await(m -> m.topic().equals("fwi/v1/dev/" + DEVICE + "/birth"), WAIT);
      assertTrue(r.retained(), "birth must be retained");
      assertEquals(java.util.Optional.of("application/x-protobuf"), r.contentType());
      Birth b = Birth.parseFrom(r.payload());
      assertEquals(DEVICE, b.getHeader().getSenderId());
      assertEquals(PROFILE, b.getProfileName());
      assertTrue(b.getSessionSeq() >= 1);
      assertEquals("inv-v1", b.getRunningModel().getModelId());
      assertEquals(ByteString.copyFrom(Manifests.sha256(AgentTestResource.bootstrap)), b.getRunningModel().getSha256());
      assertEquals(17, b.getCapabilities().getMaxOnnxOpset());
      assertEquals(List.of(Manifests.KEY_ID), b.getCapabilities().getTrustedKeyIdsList());
    }
  }

  @Test
  @Order(2)
  void answersAnInferenceAndPublishesItsResultAndTelemetry() throws Exception {
    Response r = infer("shot-17", 1, 2, 3, 4);
    r.then().statusCode(200).body("inputId", equalTo("shot-17")).body("model.version", equalTo(1));
    List<Float> v = r.jsonPath().getList("velocity", Float.class);
    assertEquals(List.of(2001f, 2002f, 2003f, 2004f), v);

    MqttTestClient.Received m = cloud.await(x -> x.topic().endsWith("/result") && parse(x).getInputId().equals("shot-17"),
        WAIT);
    InferenceResult res = parse(m);
    assertArrayEquals(new float[] {2001, 2002, 2003, 2004}, VelocityMaps.decode(res.getVelocityMap()), 1.0f);
    assertEquals(2001f, res.getStats().getMinMPerS());
    assertEquals(2004f, res.getStats().getMaxMPerS());
    assertEquals("inv-v1", res.getModel().getModelId());
    assertTrue(res.getEndToEndLatencyUs() >= res.getInferenceLatencyUs());

    List<MqttTestClient.Received> t = cloud.awaitUntil(list -> list.stream().filter(x -> x.topic().endsWith("/telemetry"))
        .map(EdgeAgentTest::telemetry).mapToLong(Telemetry::getInferenceCount).sum() >= 1, WAIT, "telemetry counting it");
    Telemetry last = t.stream().filter(x -> x.topic().endsWith("/telemetry")).map(EdgeAgentTest::telemetry)
        .filter(x -> x.getInferenceCount() > 0).findFirst().orElseThrow();
    assertEquals("inv-v1", last.getModel().getModelId());
    assertTrue(last.getLatencyP95Us() > 0 && last.getLatencyMaxUs() >= last.getLatencyP95Us());
    assertTrue(last.getMemoryRssBytes() > 0);
    // per-stream sequence numbers grow without gaps
    List<Long> seqs = cloud.received(x -> x.topic().endsWith("/telemetry")).stream()
        .map(x -> telemetry(x).getHeader().getSequence()).toList();
    for (int i = 1; i < seqs.size(); i++) {
      assertEquals(seqs.get(i - 1) + 1, seqs.get(i), "telemetry sequences " + seqs);
    }
  }

  @Test
  @Order(3)
  void refusesBadInputsNamingTheProblem() {
    given().header("X-Shape", "1,5").contentType("application/octet-stream").header("X-Input-Id", "bad")
        .body(raw(1, 2, 3, 4, 5)).post("/infer").then().statusCode(400)
        .body("error", equalTo("input 'bad' must have shape [N, 4] (or [4] for one sample), but was [1, 5]"));
    infer("nan", 1, Float.NaN, 3, 4).then().statusCode(400)
        .body("error", equalTo("input 'nan' has value NaN at [0, 1]; every value must be finite"));
    given().header("X-Shape", "100000,100000").contentType("application/octet-stream").header("X-Input-Id", "huge")
        .body(raw(1)).post("/infer").then().statusCode(413);
  }

  @Test
  @Order(4)
  void installsASignedUpdateWhileRequestsKeepSucceeding() throws Exception {
    byte[] v2 = TestModels.plus(2500f, -1, 4);
    blocks.serve(v2);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger ok = new AtomicInteger();
    Map<String, Integer> failures = new ConcurrentHashMap<>();
    Map<String, Integer> byModel = new ConcurrentHashMap<>();
    Thread[] clients = new Thread[3];
    for (int i = 0; i < clients.length; i++) {
      clients[i] = new Thread(() -> {
        while (!stop.get()) {
          Response r = infer("during-swap", 0, 0, 0, 0);
          if (r.statusCode() == 200) {
            ok.incrementAndGet();
            byModel.merge(r.jsonPath().getString("model.id"), 1, Integer::sum);
          } else {
            failures.merge(r.statusCode() + " " + r.asString(), 1, Integer::sum);
          }
        }
      });
      clients[i].start();
    }
    OtaStatus end;
    try {
      end = offer(AgentTestResource.manifests.signed(body(v2, "inv-v2", 2)), 2);
      // keep requests going a little past the swap
      int seen = ok.get();
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (ok.get() < seen + 20 && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
    } finally {
      stop.set(true);
      for (Thread t : clients) {
        t.join();
      }
    }
    assertEquals(OtaState.OTA_STATE_ACTIVE, end.getState(), end.getDetail());
    assertEquals(Map.of(), failures);
    assertTrue(byModel.containsKey("inv-v1") && byModel.containsKey("inv-v2"), "requests saw " + byModel);
    assertServing("inv-v2", 2500f);
    // the running model changed: a new retained Birth says so
    cloud.await(x -> x.topic().endsWith("/birth") && birth(x).getRunningModel().getVersion() == 2, WAIT);
    given().get("/api/status").then().statusCode(200).body("model.version", equalTo(2)).body("otaState", equalTo("ACTIVE"));
  }

  @Test
  @Order(5)
  void refusesABadSignatureAndKeepsServing() throws Exception {
    byte[] v3 = TestModels.plus(3000f, -1, 4);
    blocks.serve(v3);
    SignedManifest good = SignedManifest.parseFrom(AgentTestResource.manifests.signed(body(v3, "inv-v3", 3)));
    byte[] sig = good.getSignature().toByteArray();
    sig[40] ^= 1;
    OtaStatus end = offer(good.toBuilder().setSignature(ByteString.copyFrom(sig)).build().toByteArray(), -1);
    assertEquals(OtaState.OTA_STATE_REJECTED, end.getState());
    assertEquals(OtaReason.OTA_REASON_SIGNATURE_INVALID, end.getReason());
    assertEquals(0, end.getToModel().getVersion(), "an unverified manifest names no model");
    assertServing("inv-v2", 2500f);
  }

  @Test
  @Order(6)
  void refusesAFileWhoseDigestDoesNotMatchTheManifest() throws Exception {
    byte[] v3 = TestModels.plus(3000f, -1, 4);
    byte[] other = TestModels.plus(3100f, -1, 4);
    // the manifest promises `other` (no per-block digests); the server delivers v3 under that digest
    blocks.serve(Manifests.sha256(other), v3);
    ManifestBody.Builder b = body(other, "inv-v3", 3).clearBlockSha256();
    OtaStatus end = offer(AgentTestResource.manifests.signed(b), 3);
    assertEquals(OtaState.OTA_STATE_FAILED, end.getState(), end.getDetail());
    assertEquals(OtaReason.OTA_REASON_SHA256_MISMATCH, end.getReason());
    assertServing("inv-v2", 2500f);
  }

  @Test
  @Order(7)
  void refusesATruncatedArtifact() throws Exception {
    byte[] v3 = TestModels.plus(3000f, -1, 4);
    blocks.serve(Manifests.sha256(v3), java.util.Arrays.copyOf(v3, v3.length / 2));
    OtaStatus end = offer(AgentTestResource.manifests.signed(body(v3, "inv-v3b", 4)), 4);
    assertEquals(OtaState.OTA_STATE_FAILED, end.getState(), end.getDetail());
    assertTrue(end.getReason() == OtaReason.OTA_REASON_BLOCK_UNAVAILABLE
        || end.getReason() == OtaReason.OTA_REASON_BLOCK_SHA256_MISMATCH, end.getReason() + ": " + end.getDetail());
    assertServing("inv-v2", 2500f);
  }

  @Test
  @Order(8)
  void refusesAModelWithOtherShapes() throws Exception {
    byte[] wide = TestModels.plus(3000f, -1, 5);
    blocks.serve(wide);
    ManifestBody.Builder b = body(wide, "inv-wide", 5);
    b.getInputsBuilder(0).setDims(1, 5);
    b.getOutputsBuilder(0).setDims(1, 5);
    OtaStatus end = offer(AgentTestResource.manifests.signed(b), 5);
    assertEquals(OtaState.OTA_STATE_REJECTED, end.getState());
    assertEquals(OtaReason.OTA_REASON_INTERFACE_MISMATCH, end.getReason(), end.getDetail());
    // a file whose real shapes differ from what its manifest claims fails the smoke test instead
    OtaStatus lying = offer(AgentTestResource.manifests.signed(body(wide, "inv-wide", 6)), 6);
    assertEquals(OtaState.OTA_STATE_ROLLED_BACK, lying.getState(), lying.getDetail());
    assertEquals(OtaReason.OTA_REASON_SMOKE_TEST_SHAPE_MISMATCH, lying.getReason(), lying.getDetail());
    assertServing("inv-v2", 2500f);
  }

  @Test
  @Order(9)
  void refusesAModelThatFailsItsSmokeTest() throws Exception {
    byte[] nan = TestModels.dividedBy(0f, -1, 4);
    blocks.serve(nan);
    OtaStatus end = offer(AgentTestResource.manifests.signed(body(nan, "inv-nan", 7)), 7);
    assertEquals(OtaState.OTA_STATE_ROLLED_BACK, end.getState(), end.getDetail());
    assertEquals(OtaReason.OTA_REASON_SMOKE_TEST_OUTPUT_INVALID, end.getReason());
    assertServing("inv-v2", 2500f);
  }

  @Test
  @Order(10)
  void refusesADowngrade() throws Exception {
    OtaStatus end = offer(AgentTestResource.manifests.signed(body(AgentTestResource.bootstrap, "inv-v1", 1)), 1);
    assertEquals(OtaState.OTA_STATE_REJECTED, end.getState());
    assertEquals(OtaReason.OTA_REASON_VERSION_NOT_NEWER, end.getReason());
    assertServing("inv-v2", 2500f);
  }

  @Test
  @Order(11)
  void rollsBackToThePreviousModelOnTheOperatorsCommand() throws Exception {
    given().post("/ota/rollback").then().statusCode(401);
    for (String wrong : new String[] {"test-token", "Bearer", "Bearer test-tokenX", "Bearer test-toke", "bearer test-token",
        "Basic dGVzdC10b2tlbg=="}) {
      given().header("Authorization", wrong).post("/ota/rollback").then().statusCode(401)
          .body(org.hamcrest.Matchers.not(org.hamcrest.Matchers.containsString("test-token")));
    }
    assertServing("inv-v2", 2500f);
    given().header("Authorization", "Bearer test-token").queryParam("why", "maps look striped").post("/ota/rollback")
        .then().statusCode(200).body("serving", equalTo("inv-v1@1"));
    assertServing("inv-v1", 2000f);
    MqttTestClient.Received r = cloud.await(x -> x.topic().endsWith("/ota/status")
        && status(x).getState() == OtaState.OTA_STATE_ROLLED_BACK
        && status(x).getReason() == OtaReason.OTA_REASON_OPERATOR_REQUEST, WAIT);
    assertTrue(status(r).getDetail().contains("maps look striped"), status(r).getDetail());
  }

  @Test
  @Order(12)
  void servesHealthPrometheusMetricsAndItsIdentity() {
    given().get("/agent").then().statusCode(200).body("deviceId", equalTo(DEVICE)).body("profile", equalTo(PROFILE));
    given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
    String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
    assertTrue(metrics.contains("fwi_inferences_total{device=\"" + DEVICE + "\",profile=\"" + PROFILE + "\"}"), metrics);
    assertTrue(metrics.contains("fwi_broker_connected{device=\"" + DEVICE + "\",profile=\"" + PROFILE + "\"} 1"), metrics);
    given().get("/api/latest/velocity.png").then().statusCode(200).contentType("image/png");
  }

  static InferenceResult parse(MqttTestClient.Received r) {
    try {
      return InferenceResult.parseFrom(r.payload());
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  static Telemetry telemetry(MqttTestClient.Received r) {
    try {
      return Telemetry.parseFrom(r.payload());
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  static Birth birth(MqttTestClient.Received r) {
    try {
      return Birth.parseFrom(r.payload());
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  static OtaStatus status(MqttTestClient.Received r) {
    try {
      return OtaStatus.parseFrom(r.payload());
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }
}
