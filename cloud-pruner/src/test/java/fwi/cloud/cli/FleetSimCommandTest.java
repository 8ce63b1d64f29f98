package fwi.cloud.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.InvalidProtocolBufferException;
import fwi.proto.codec.VelocityMaps;
import fwi.proto.v1.Birth;
import fwi.proto.v1.Death;
import fwi.proto.v1.DeathReason;
import fwi.proto.v1.Header;
import fwi.proto.v1.InferenceResult;
import fwi.proto.v1.Telemetry;
import fwi.proto.v1.VelocityEncoding;
import fwi.testing.MosquittoBroker;
import fwi.testing.MqttTestClient;
import fwi.testing.MqttTestClient.Received;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pruner fleet-sim} against a real Mosquitto, read back by a subscriber that decodes every message. */
class FleetSimCommandTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final List<String> DEVICES = List.of("simt-0001", "simt-0002");

  @TempDir
  Path dir;

  @Test
  void twoDevicesPublishDecodableBirthsTelemetryResultsAndDeathsWithContiguousSequences() throws Exception {
    try (MosquittoBroker broker = MosquittoBroker.launch();
        MqttTestClient cloud = MqttTestClient.connect(broker.url(), "cloud-sim", "fwi/v1/dev/#")) {
      PrunerCommandTest.Run run = PrunerCommandTest.run("fleet-sim", "--broker", broker.url(), "--devices", "2",
          "--id-prefix", "simt-", "--rate-hz", "10", "--telemetry-interval-ms", "200", "--duration-s", "2",
          "--report-interval-s", "1", "--profile", "pi-3b", "--json");
      assertEquals(0, run.exit(), "stdout: " + run.out() + "\nstderr: " + run.err());
      assertTrue(Pattern.compile("t= *\\d+\\.\\ds devices 2/2 ").matcher(run.err()).find(),
          "progress lines were: " + run.err());
      JsonNode summary = new ObjectMapper().readTree(run.out());
      assertEquals(2, summary.get("devices").asInt());
      assertEquals(2, summary.get("connects").asInt());
      assertEquals(0, summary.get("refused").asLong() + summary.get("failed").asLong());
      assertEquals(summary.get("sent").asLong(), summary.get("acknowledged").asLong());
      long results = summary.at("/streams/result/acknowledged").asLong();
      long telemetry = summary.at("/streams/telemetry/acknowledged").asLong();
      assertTrue(results >= 20, "2 devices x 10/s x 2 s, give or take a tick each, but got " + results);
      assertTrue(telemetry >= 10, "2 devices x 5/s x 2 s, give or take a tick each, but got " + telemetry);

      // Everything the broker acknowledged arrives, Death last (it follows the last PUBACK of its device).
      cloud.awaitCount(m -> m.topic().endsWith("/death"), 2, WAIT);
      cloud.awaitCount(m -> m.topic().endsWith("/result"), (int) results, WAIT);
      cloud.awaitCount(m -> m.topic().endsWith("/telemetry"), (int) telemetry, WAIT);
      assertEquals(results, cloud.received(m -> m.topic().endsWith("/result")).size());
      for (String id : DEVICES) {
        String prefix = "fwi/v1/dev/" + id + "/";
        Birth birth = Birth.parseFrom(only(cloud, prefix + "birth").payload());
        assertEquals(id, birth.getHeader().getSenderId());
        assertEquals("pi-3b", birth.getProfileName());
        Death death = Death.parseFrom(only(cloud, prefix + "death").payload());
        assertEquals(DeathReason.DEATH_REASON_SHUTDOWN, death.getReason());
        assertEquals(birth.getSessionSeq(), death.getSessionSeq());

        List<Header> resultHeaders = headers(cloud, prefix + "result", b -> InferenceResult.parseFrom(b).getHeader());
        List<Header> telemetryHeaders = headers(cloud, prefix + "telemetry", b -> Telemetry.parseFrom(b).getHeader());
        assertContiguous(id + " results", resultHeaders);
        assertContiguous(id + " telemetry", telemetryHeaders);
        assertEquals(birth.getSessionSeq() * 1000 + 1, resultHeaders.get(0).getSequence(),
            "sequences start at the run's start time in ms x 1000 + 1");

        Received r = cloud.received(m -> m.topic().equals(prefix + "result")).get(0);
        assertEquals(Optional.of("application/x-protobuf"), r.contentType());
        assertTrue(r.payload().length > 9_800 && r.payload().length < 10_100, "a result with a float16 70x70 map is "
            + "~9.9 KB, but was " + r.payload().length + " bytes");
        InferenceResult result = InferenceResult.parseFrom(r.payload());
        assertEquals(VelocityEncoding.VELOCITY_ENCODING_FLOAT16, result.getVelocityMap().getEncoding());
        float[] map = VelocityMaps.decode(result.getVelocityMap());
        assertEquals(70 * 70, map.length);
        for (float v : map) {
          assertTrue(v >= 1500 && v <= 4500, "velocity in m/s must lie in [1500, 4500], but was " + v);
        }
        assertEquals(result.getStats().getMinMPerS(), min(map), 1.0f);
        Telemetry t = Telemetry.parseFrom(cloud.received(m -> m.topic().equals(prefix + "telemetry")).get(1).payload());
        assertEquals(200_000, t.getLatencyP50Us(), 200_000 * 0.05, "--latency-ms default 200, +-4 % jitter");
      }
    }
  }

  @Test
  void credentialsFileWithTooFewDevicesIsRefusedNamingTheFile() throws Exception {
    Path cred = dir.resolve("sim.cred");
    Files.writeString(cred, "# two devices\nsim-a:pa\nsim-b:pb\n");
    PrunerCommandTest.Run run = PrunerCommandTest.run("fleet-sim", "--credentials", cred.toString(), "--devices", "3");
    assertEquals(2, run.exit());
    assertEquals("error: --devices must be in [1, 2] (the entries of " + cred + "), but was 3", run.err().strip());
  }

  @Test
  void badDeviceIdPrefixIsRefusedNamingTheId() {
    PrunerCommandTest.Run run = PrunerCommandTest.run("fleet-sim", "--devices", "1", "--id-prefix", "a/b-");
    assertEquals(2, run.exit());
    assertEquals("error: device id must match [A-Za-z0-9_-]{1,64}, but was 'a/b-0001'", run.err().strip());
  }

  private interface HeaderOf {
    Header parse(byte[] payload) throws InvalidProtocolBufferException;
  }

  private static List<Header> headers(MqttTestClient c, String topic, HeaderOf headerOf)
      throws InvalidProtocolBufferException {
    List<Header> hs = new ArrayList<>();
    for (Received m : c.received(m -> m.topic().equals(topic))) {
      hs.add(headerOf.parse(m.payload()));
    }
    return hs;
  }

  private static void assertContiguous(String what, List<Header> headers) {
    assertTrue(headers.size() >= 2, what + ": expected at least 2 messages, but got " + headers.size());
    for (int i = 1; i < headers.size(); i++) {
      assertEquals(headers.get(0).getSequence() + i, headers.get(i).getSequence(),
          what + ": sequence at position " + i + " of " + headers.size());
    }
  }

  private static Received only(MqttTestClient c, String topic) {
    List<Received> all = c.received(m -> m.topic().equals(topic));
    assertEquals(1, all.size(), "messages on " + topic);
    return all.get(0);
  }

  private static float min(float[] v) {
    float m = Float.MAX_VALUE;
    for (float x : v) {
      m = Math.min(m, x);
    }
    return m;
  }
}
