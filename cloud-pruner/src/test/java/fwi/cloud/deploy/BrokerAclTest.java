package fwi.cloud.deploy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.cloud.cli.PrunerMain;
import fwi.cloud.model.InversionNet;
import fwi.cloud.model.InversionNetConfig;
import fwi.cloud.model.OnnxModels;
import fwi.cloud.testing.EdgeAgentProcess;
import fwi.runtime.net.NoDelaySockets;
import fwi.testing.MosquittoBroker;
import fwi.testing.TestCertificates;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.security.KeyPairGenerator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.net.SocketFactory;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The production broker setup of deploy/mosquitto on a real Mosquitto: its mosquitto.conf (paths and
 * ports moved into a temporary directory, everything else as written), its ACL file unchanged, TLS
 * material from make-certs.sh and device accounts from add-device.sh. Devices connect to the TLS
 * device listener, the cloud user {@code fwi-cloud} to the plain cloud listener.
 *
 * <p>What Mosquitto 2.0.11 does, asserted exactly: a refused QoS 1 publish gets PUBACK 0x87 and is not
 * delivered; SUBSCRIBE is granted (0x00) whatever the filter, and the read rules filter each message at
 * delivery; a refused login gets CONNACK 0x87 (not 0x86 "bad user name or password").
 */
class BrokerAclTest {
  private static final Path DEPLOY = Path.of("..", "deploy", "mosquitto");
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final int NOT_AUTHORIZED = 0x87;
  private static final int GRANTED_QOS_1 = 0x01;
  private static final int NO_MATCHING_SUBSCRIBERS = 0x10;

  @TempDir
  static Path dir;
  private static MosquittoBroker broker;
  private static String deviceUrl;
  private static SocketFactory deviceSockets;
  private static final Map<String, String> passwords = new java.util.HashMap<>();

  @BeforeAll
  static void startProductionBroker() throws Exception {
    Path tls = dir.resolve("tls");
    run(DEPLOY.resolve("make-certs.sh").toString(), tls.toString(), "localhost", "127.0.0.1");
    Path passwd = dir.resolve("passwd");
    for (String device : List.of("dev-a", "dev-b")) {
      String out = run(DEPLOY.resolve("add-device.sh").toString(), "--password-file", passwd.toString(), device);
      List<String> lines = out.lines().toList();
      assertEquals("fwi.agent.device-id=" + device, lines.get(0));
      assertEquals("fwi.mqtt.username=" + device, lines.get(1));
      assertTrue(lines.get(2).matches("fwi\\.mqtt\\.password=[A-Za-z0-9_-]{32}"), "add-device.sh printed " + lines);
      passwords.put(device, lines.get(2).substring("fwi.mqtt.password=".length()));
    }
    passwords.put("fwi-cloud", UUID.randomUUID().toString());
    run("/usr/bin/mosquitto_passwd", "-b", passwd.toString(), "fwi-cloud", passwords.get("fwi-cloud"));

    int devicePort;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      devicePort = probe.getLocalPort();
    }
    List<String> conf = productionConfig(DEPLOY.resolve("mosquitto.conf"), devicePort, Map.of(
        "password_file", passwd, "acl_file", DEPLOY.resolve("acl").toAbsolutePath(), "cafile", tls.resolve("ca.crt"),
        "certfile", tls.resolve("server.crt"), "keyfile", tls.resolve("server.key")));
    broker = MosquittoBroker.launch(conf.toArray(String[]::new));
    deviceUrl = "ssl://localhost:" + devicePort;
    deviceSockets = NoDelaySockets.tls(NoDelaySockets.trust(Optional.of(tls.resolve("ca.crt")), Optional.empty(),
        Optional.empty()).orElseThrow());
  }

  @AfterAll
  static void stopBroker() {
    if (broker != null) {
      broker.close();
    }
  }

  /**
   * The production configuration as lines to append to the test broker's own (which already defines a
   * loopback listener, persistence in its directory and its log): the cloud listener on 1883 becomes the
   * test broker's listener, the device listener moves to {@code devicePort} on loopback, and the files
   * named by {@code files} are replaced; persistence location, pid file and log settings are the test broker's.
   */
  static List<String> productionConfig(Path conf, int devicePort, Map<String, Path> files) throws IOException {
    List<String> lines = Files.readAllLines(conf, StandardCharsets.UTF_8);
    assertTrue(lines.contains("listener 1883 127.0.0.1"), conf + " must have the cloud listener on loopback");
    assertTrue(lines.contains("listener 8883"), conf + " must have the device listener on every interface");
    List<String> out = new ArrayList<>();
    for (String line : lines) {
      String[] t = line.strip().split("\\s+", 2);
      if (t[0].isEmpty() || t[0].startsWith("#") || line.equals("listener 1883 127.0.0.1")) {
        continue;
      }
      switch (t[0]) {
        case "persistence_location", "pid_file", "log_dest", "log_timestamp_format" -> {
          // the test broker's own (mosquitto refuses a second value of the string options)
        }
        case "listener" -> out.add("listener " + devicePort + " 127.0.0.1");
        default -> out.add(files.containsKey(t[0]) ? t[0] + " " + files.get(t[0]).toAbsolutePath() : line.strip());
      }
    }
    return out;
  }

  private static BrokerClient device(String id) throws MqttException {
    return BrokerClient.connect(deviceUrl, id, id, passwords.get(id), deviceSockets);
  }

  private static BrokerClient cloud(String clientId) throws MqttException {
    return BrokerClient.connect(broker.url(), clientId, "fwi-cloud", passwords.get("fwi-cloud"),
        NoDelaySockets.plain());
  }

  @Test
  void deviceStreamsReachTheCloudThroughSharedSubscriptions() throws Exception {
    try (BrokerClient bridge = cloud("fwi-bridge-test-0"); BrokerClient a = device("dev-a")) {
      String[] filters = {"$share/fwi-bridge/fwi/v1/dev/+/birth", "$share/fwi-bridge/fwi/v1/dev/+/death",
          "$share/fwi-bridge/fwi/v1/dev/+/telemetry", "$share/fwi-bridge/fwi/v1/dev/+/result",
          "$share/fwi-bridge/fwi/v1/dev/+/ota/status", "$share/fwi-ota/fwi/v1/dev/+/ota/get"};
      assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1}, bridge.subscribe(filters));
      List<String> own = List.of("birth", "telemetry", "result", "ota/status", "ota/get", "death");
      for (String stream : own) {
        assertEquals(0, a.publish("fwi/v1/dev/dev-a/" + stream, "dev-a " + stream, stream.equals("birth")),
            "PUBACK reason of dev-a's " + stream);
      }
      bridge.await(m -> m.topic().equals("fwi/v1/dev/dev-a/death") && !m.retained(), WAIT);
      // Mosquitto 2.0.11 also hands a new shared subscription the retained births and deaths (of other
      // tests here), flagged retained, unlike MQTT 5 says; the bridge forwards them as duplicates.
      assertEquals(own.stream().map(s -> "fwi/v1/dev/dev-a/" + s).toList(), live(bridge));
    }
  }

  @Test
  void devicePublishOutsideItsOwnStreamsIsRefusedAsNotAuthorizedAndNeverDelivered() throws Exception {
    try (BrokerClient watcher = cloud("cloud-watcher"); BrokerClient a = device("dev-a")) {
      watcher.subscribe("fwi/v1/#");
      // Another device's streams, and what only the cloud may send (a retained manifest would reach
      // every device of the profile; a device's own manifest and blocks would bypass the cloud).
      for (String topic : List.of("fwi/v1/dev/dev-b/telemetry", "fwi/v1/dev/dev-b/birth", "fwi/v1/dev/dev-b/death",
          "fwi/v1/dev/dev-a/manifest", "fwi/v1/dev/dev-a/ota/block", "fwi/v1/profile/pi-4b/manifest",
          "fwi/v1/dev/dev-a", "fwi/v2/dev/dev-a/telemetry")) {
        assertEquals(NOT_AUTHORIZED, a.publish(topic, "spoof", topic.endsWith("manifest")), "PUBACK reason of " + topic);
      }
      assertTrue(a.connected(), "a refusal does not cost the connection");
      assertEquals(0, a.publish("fwi/v1/dev/dev-a/telemetry", "own", false));
      // Same connection, so in order: had any refused message been delivered, it would be here first.
      watcher.await(m -> m.topic().equals("fwi/v1/dev/dev-a/telemetry"), WAIT);
      assertEquals(List.of("fwi/v1/dev/dev-a/telemetry"), live(watcher), "retained messages of other tests aside");
    }
  }

  @Test
  void cloudMayNotPublishAsADevice() throws Exception {
    try (BrokerClient c = cloud("cloud-spoof")) {
      assertEquals(NOT_AUTHORIZED, c.publish("fwi/v1/dev/dev-a/telemetry", "spoof", false));
      assertEquals(NOT_AUTHORIZED, c.publish("fwi/v1/dev/dev-a/birth", "spoof", true));
    }
  }

  @Test
  void deviceReceivesOnlyItsOwnManifestAndBlocksAndTheProfileManifests() throws Exception {
    try (BrokerClient ota = cloud("fwi-ota-test-0"); BrokerClient a = device("dev-a")) {
      // Mosquitto 2.0.11 grants every subscription and filters at delivery.
      assertArrayEquals(new int[] {GRANTED_QOS_1}, a.subscribe("fwi/v1/dev/dev-b/manifest"));
      assertArrayEquals(new int[] {GRANTED_QOS_1, GRANTED_QOS_1}, a.subscribe("#", "$share/x/fwi/v1/dev/+/telemetry"));
      // Accepted (dev-a's subscriptions match), then withheld from dev-a at delivery.
      assertEquals(0, ota.publish("fwi/v1/dev/dev-b/manifest", "for b", true));
      assertEquals(0, ota.publish("fwi/v1/dev/dev-b/ota/block", "block for b", false));
      try (BrokerClient b = device("dev-b")) {
        assertEquals(0, b.publish("fwi/v1/dev/dev-b/telemetry", "b's telemetry", false));
      }
      assertEquals(0, ota.publish("fwi/v1/dev/dev-a/ota/block", "block for a", false));
      assertEquals(0, ota.publish("fwi/v1/profile/pi-4b/manifest", "for pi-4b", true));
      assertEquals(0, ota.publish("fwi/v1/dev/dev-a/manifest", "for a", true));
      a.await(m -> m.topic().equals("fwi/v1/dev/dev-a/manifest"), WAIT);
      assertEquals(List.of("fwi/v1/dev/dev-a/ota/block", "fwi/v1/profile/pi-4b/manifest", "fwi/v1/dev/dev-a/manifest"),
          a.topics());
    }
    // Retained messages are filtered the same way: subscribing to b's manifest first, to a's second.
    try (BrokerClient a = device("dev-a")) {
      a.subscribe("fwi/v1/dev/dev-b/manifest");
      a.subscribe("fwi/v1/dev/dev-a/manifest");
      BrokerClient.Received own = a.await(m -> m.topic().equals("fwi/v1/dev/dev-a/manifest"), WAIT);
      assertTrue(own.retained());
      assertEquals(List.of("fwi/v1/dev/dev-a/manifest"), a.topics());
    }
  }

  @Test
  void wrongPasswordUnknownUserAndAnonymousLoginsAreRefusedAsNotAuthorized() {
    MqttException wrong = assertThrows(MqttException.class,
        () -> BrokerClient.connect(deviceUrl, "dev-a", "dev-a", "not-" + passwords.get("dev-a"), deviceSockets));
    assertEquals(NOT_AUTHORIZED, wrong.getReasonCode());
    MqttException unknown = assertThrows(MqttException.class,
        () -> BrokerClient.connect(deviceUrl, "dev-z", "dev-z", passwords.get("dev-a"), deviceSockets));
    assertEquals(NOT_AUTHORIZED, unknown.getReasonCode());
    MqttException anonymous = assertThrows(MqttException.class,
        () -> BrokerClient.connect(broker.url(), "anon", null, null, NoDelaySockets.plain()));
    assertEquals(NOT_AUTHORIZED, anonymous.getReasonCode());
  }

  @Test
  void deviceCannotTakeOverAnotherDevicesSessionByItsClientId() throws Exception {
    try (BrokerClient a = device("dev-a");
        BrokerClient impostor = BrokerClient.connect(deviceUrl, "dev-a", "dev-b", passwords.get("dev-b"),
            deviceSockets)) {
      // The device listener replaced the impostor's client id by its user name, so dev-a's session stays.
      assertEquals(NO_MATCHING_SUBSCRIBERS, a.publish("fwi/v1/dev/dev-a/telemetry", "still here", false),
          "accepted (nobody subscribed)");
      assertTrue(a.connected() && impostor.connected(), "both connections stay");
      assertEquals(NOT_AUTHORIZED, impostor.publish("fwi/v1/dev/dev-a/telemetry", "spoof", false));
    }
  }

  private static List<String> live(BrokerClient c) {
    return c.received().stream().filter(m -> !m.retained()).map(BrokerClient.Received::topic).toList();
  }

  @Test
  void fleetSimulatorPublishesUnderTheProductionAclWithOneLoginPerDevice() throws Exception {
    Path credentials = dir.resolve("sim.cred");
    Files.writeString(credentials, "dev-a:" + passwords.get("dev-a") + "\ndev-b:" + passwords.get("dev-b") + "\n");
    try (BrokerClient bridge = cloud("fwi-bridge-sim-0")) {
      bridge.subscribe("$share/fwi-bridge/fwi/v1/dev/+/birth", "$share/fwi-bridge/fwi/v1/dev/+/telemetry",
          "$share/fwi-bridge/fwi/v1/dev/+/result", "$share/fwi-bridge/fwi/v1/dev/+/death");
      CommandLine cl = PrunerMain.commandLine();
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      cl.setOut(new PrintWriter(out));
      cl.setErr(new PrintWriter(err));
      int exit = cl.execute("fleet-sim", "--broker", deviceUrl, "--tls-ca-file", dir.resolve("tls/ca.crt").toString(),
          "--credentials", credentials.toString(), "--devices", "2", "--rate-hz", "5", "--telemetry-interval-ms",
          "500", "--duration-s", "1", "--json");
      assertEquals(0, exit, "stdout: " + out + "\nstderr: " + err);
      for (String id : List.of("dev-a", "dev-b")) {
        bridge.await(m -> m.topic().equals("fwi/v1/dev/" + id + "/death") && !m.retained(), WAIT);
      }
      assertTrue(bridge.topics().contains("fwi/v1/dev/dev-b/result"), "received " + bridge.topics());
    }
  }

  private static EdgeAgentProcess.Builder agent(String id, Path caFile) throws Exception {
    Path model = dir.resolve("agent-model.onnx");
    if (!Files.exists(model)) {
      OnnxModels.write(InversionNet.build(InversionNetConfig.defaults().withWidth(0.125)), model);
    }
    byte[] x509 = KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPublic().getEncoded();
    return EdgeAgentProcess.builder(id, deviceUrl).profile("pi-4b")
        .trustedKey("fleet", Base64.getEncoder().encodeToString(Arrays.copyOfRange(x509, x509.length - 32, x509.length)))
        .stateDir(dir.resolve("agents").resolve(id + "-" + UUID.randomUUID())).bootstrapModel(model, "inv-base", 1)
        .property("fwi.mqtt.tls-ca-file", caFile.toAbsolutePath().toString())
        .property("fwi.mqtt.username", id).property("fwi.mqtt.password", passwords.get(id))
        .property("fwi.inference.ort-threads", "1")
        .property("quarkus.log.category.\"fwi\".level", "DEBUG")
        .property("quarkus.log.category.\"org.eclipse.paho\".level", "DEBUG");
  }

  /**
   * The real agent, as installed on a Pi, against the production broker: it logs in with its
   * add-device.sh password over the TLS device listener trusting the fleet CA, and its Birth reaches
   * the cloud. Its log (DEBUG for its own code and Paho), through start and a refused admin request,
   * holds neither the MQTT password nor the admin token.
   */
  @Test
  void realAgentLogsInOverTlsAndNeverLogsItsPasswordOrAdminToken() throws Exception {
    String adminToken = "admin-" + UUID.randomUUID();
    try (BrokerClient cloud = cloud("fwi-bridge-agent-0");
        EdgeAgentProcess a = agent("dev-b", dir.resolve("tls/ca.crt")).adminToken(adminToken).build()) {
      cloud.subscribe("fwi/v1/dev/dev-b/birth");
      a.start(); // ready: model loaded and broker connected
      cloud.await(m -> m.topic().equals("fwi/v1/dev/dev-b/birth"), WAIT);
      HttpClient http = HttpClient.newHttpClient();
      for (String auth : List.of("Bearer wrong", "Bearer " + adminToken + "x", adminToken)) {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(a.baseUri().resolve("/ota/rollback"))
            .header("Authorization", auth).POST(HttpRequest.BodyPublishers.noBody()).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(401, r.statusCode(), r.body());
      }
      a.stop();
      String log = a.log();
      assertTrue(log.contains("dev-b"), "the log must show the agent's start: " + a.logTail());
      for (String secret : List.of(passwords.get("dev-b"), adminToken)) {
        assertFalse(log.contains(secret), "the agent's log holds a secret; last lines:\n" + a.logTail());
      }
    }
  }

  /** The real agent does not connect to a broker whose certificate its CA file does not vouch for. */
  @Test
  void realAgentRefusesABrokerItsCaFileDoesNotVouchFor() throws Exception {
    TestCertificates other = TestCertificates.create(Files.createDirectories(dir.resolve("other-ca")));
    try (EdgeAgentProcess a = agent("dev-a", other.certPem()).readyTimeout(Duration.ofSeconds(15)).build()) {
      IllegalStateException e = assertThrows(IllegalStateException.class, a::start);
      assertTrue(e.getMessage().contains("was not ready"), e.getMessage());
      assertTrue(a.log().contains("PKIX") || a.log().contains("certificate"), a.logTail());
    }
  }

  /** Runs a command, returns its standard output; fails with its output if it exits non-zero. */
  private static String run(String... command) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(command));
    if (command[0].endsWith(".sh")) {
      cmd.add(0, "bash");
    }
    Path err = Files.createTempFile(dir, "stderr", ".txt");
    Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new AssertionError(cmd + " failed: " + out + Files.readString(err));
    }
    return out;
  }
}
