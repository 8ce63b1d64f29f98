package fwi.cloud.bridge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.runtime.net.NoDelaySockets;
import fwi.testing.Fuzz;
import fwi.testing.MosquittoBroker;
import fwi.testing.MqttTestClient;
import fwi.testing.Poll;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WireSubscriberTest {
  /** A PUBLISH body: topic, packet id (QoS > 0), properties, payload. */
  private static byte[] publishBody(String topic, int packetId, byte[] properties, byte[] payload) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    byte[] t = topic.getBytes(StandardCharsets.UTF_8);
    b.write(t.length >> 8);
    b.write(t.length);
    b.writeBytes(t);
    if (packetId >= 0) {
      b.write(packetId >> 8);
      b.write(packetId);
    }
    b.write(properties.length); // < 128 in these tests: one byte of variable length
    b.writeBytes(properties);
    b.writeBytes(payload);
    return b.toByteArray();
  }

  private static byte[] utf8Property(int id, String value) {
    byte[] v = value.getBytes(StandardCharsets.UTF_8);
    byte[] p = new byte[3 + v.length];
    p[0] = (byte) id;
    p[1] = (byte) (v.length >> 8);
    p[2] = (byte) v.length;
    System.arraycopy(v, 0, p, 3, v.length);
    return p;
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      b.writeBytes(p);
    }
    return b.toByteArray();
  }

  @Test
  void decodesAQos1PublishWithItsPropertiesAndPayload() throws IOException {
    byte[] payload = new byte[10_000];
    new Random(3).nextBytes(payload);
    byte[] props = concat(new byte[] {0x01, 0x00}, utf8Property(0x03, "application/x-protobuf"),
        new byte[] {0x0B, (byte) 0x81, 0x01}, // subscription identifier 129 (two-byte variable integer)
        utf8Property(0x26, "k"), new byte[] {0, 1, 'v'}); // user property k=v
    WireSubscriber.Publish p = WireSubscriber.decodePublish(0x30 | 0x08 | 0x02 | 0x01,
        publishBody("fwi/v1/dev/pi-1/result", 513, props, payload));
    assertEquals("fwi/v1/dev/pi-1/result", p.topic());
    assertEquals(513, p.packetId());
    assertEquals(1, p.qos());
    assertTrue(p.retain());
    assertTrue(p.duplicate());
    assertEquals(Optional.of("application/x-protobuf"), p.contentType());
    assertArrayEquals(payload, p.payload());

    WireSubscriber.Publish q0 = WireSubscriber.decodePublish(0x30, publishBody("a/b", -1, new byte[0], new byte[0]));
    assertEquals(0, q0.packetId());
    assertEquals(0, q0.payload().length);
    assertEquals(Optional.empty(), q0.contentType());
  }

  @Test
  void malformedPublishPacketsAreRefusedWithWhatWasWrong() {
    List<String> messages = new ArrayList<>();
    for (Object[] c : new Object[][] {
        {0x36, publishBody("t", 1, new byte[0], new byte[0]), "QoS 3"},
        {0x32, publishBody("t", 0, new byte[0], new byte[0]), "packet identifier 0"},
        {0x30, new byte[] {0, 9, 'a'}, "packet truncated"},
        {0x30, publishBody("t", -1, new byte[] {0x7F, 0}, new byte[0]), "unknown MQTT property 0x7f"},
        {0x30, publishBody("t", -1, new byte[] {0x23, 0, 1}, new byte[0]), "topic alias"},
        {0x30, publishBody("t", -1, new byte[] {0x03, 0, 9, 'x'}, new byte[0]), "packet truncated"},
        {0x30, new byte[] {0, 2, (byte) 0xC3, (byte) 0x28, 0}, "not UTF-8"},
        {0x34, publishBody("t", 5, new byte[0], new byte[0]), "QoS 2"}}) {
      IOException e = assertThrows(IOException.class, () -> WireSubscriber.decodePublish((int) c[0], (byte[]) c[1]));
      assertTrue(e.getMessage().contains((String) c[2]), c[2] + " in: " + e.getMessage());
      messages.add(e.getMessage());
    }
    assertEquals(8, messages.size());
  }

  @Test
  void hostilePublishBodiesGiveAnIoErrorAndNothingElse() {
    byte[] props = concat(utf8Property(0x03, "application/x-protobuf"), utf8Property(0x26, "k"), new byte[] {0, 1, 'v'});
    List<byte[]> seeds = List.of(
        concat(new byte[] {0x32}, publishBody("fwi/v1/dev/pi-1/result", 7, props, new byte[300])),
        concat(new byte[] {0x30}, publishBody("fwi/v1/dev/pi-1/telemetry", -1, new byte[0], new byte[40])));
    Fuzz.campaign("mqtt-publish", input -> {
      if (input.length == 0) {
        return;
      }
      byte[] body = new byte[input.length - 1];
      System.arraycopy(input, 1, body, 0, body.length);
      WireSubscriber.Publish p = WireSubscriber.decodePublish(0x30 | (input[0] & 0x0F), body);
      if (p.payload().length > body.length || p.qos() > 1 || (p.qos() == 1) == (p.packetId() == 0)) {
        throw new AssertionError("inconsistent decode: " + p);
      }
    }).seeds(seeds).documented(IOException.class).run(3_000);
  }

  private static WireSubscriber.Options options(MosquittoBroker broker, String id, int keepAliveS) {
    return new WireSubscriber.Options(broker.url(), id, Optional.empty(), Optional.empty(), false, 600, 100,
        keepAliveS, Duration.ofSeconds(5), WireSubscriber.MAX_REMAINING_LENGTH, NoDelaySockets.plain());
  }

  /** Collects what a connection hears. */
  private static final class Heard implements WireSubscriber.Listener {
    final List<WireSubscriber.Publish> messages = Collections.synchronizedList(new ArrayList<>());
    volatile String lost;

    @Override
    public void message(WireSubscriber.Publish p) {
      messages.add(p);
    }

    @Override
    public void lost(String why) {
      lost = why;
    }
  }

  @Test
  void unacknowledgedMessagesComeBackOnTheNextConnectionAndAcknowledgedOnesDoNot() throws Exception {
    try (MosquittoBroker broker = MosquittoBroker.launch();
        MqttTestClient device = MqttTestClient.connect(broker.url(), "dev-1")) {
      String filter = "$share/g/fwi/v1/dev/+/result";
      WireSubscriber.Connected first = WireSubscriber.connect(options(broker, "bridge-t", 30));
      assertFalse(first.sessionPresent(), "a new client id has no session");
      Heard h1 = new Heard();
      first.connection().start(h1);
      assertArrayEquals(new int[] {1}, first.connection().subscribe(List.of(filter)));
      byte[] big = new byte[200_000]; // over the 128 KB of a 3-byte remaining length; more than one TCP read
      new Random(5).nextBytes(big);
      for (int i = 0; i < 4; i++) {
        big[0] = (byte) i;
        device.publish("fwi/v1/dev/dev-1/result", big, false);
      }
      Poll.until(() -> h1.messages.size() == 4, Duration.ofSeconds(10), () -> h1.messages.size() + " of 4 messages");
      for (int i = 0; i < 4; i++) {
        assertEquals(i, h1.messages.get(i).payload()[0]);
        assertArrayEquals(java.util.Arrays.copyOfRange(big, 1, big.length),
            java.util.Arrays.copyOfRange(h1.messages.get(i).payload(), 1, big.length));
      }
      // Acknowledge the first two only, then leave (a normal DISCONNECT keeps the session).
      // The PUBACKs are written and flushed before the DISCONNECT on the same stream: no wait needed.
      first.connection().puback(new int[] {h1.messages.get(0).packetId(), h1.messages.get(1).packetId()}, 2);
      first.connection().close();
      assertFalse(first.connection().isOpen());
      assertEquals(null, h1.lost, "close() is not a loss");
      assertThrows(IOException.class, () -> first.connection().puback(new int[] {1}, 1));

      WireSubscriber.Connected second = WireSubscriber.connect(options(broker, "bridge-t", 30));
      assertTrue(second.sessionPresent(), "the session was kept");
      Heard h2 = new Heard();
      second.connection().start(h2);
      Poll.until(() -> h2.messages.size() >= 2, Duration.ofSeconds(10), () -> h2.messages.size() + " redelivered");
      Thread.sleep(300); // time for a wrongly redelivered third message to show up
      assertEquals(List.of(2, 3), h2.messages.stream().map(m -> (int) m.payload()[0]).toList());
      assertTrue(h2.messages.stream().allMatch(WireSubscriber.Publish::duplicate), "redeliveries carry DUP");
      second.connection().close();
    }
  }

  @Test
  void keepAliveHoldsAnIdleConnectionAndABrokerStopIsReportedAsALoss() throws Exception {
    try (MosquittoBroker broker = MosquittoBroker.launch()) {
      WireSubscriber.Connected c = WireSubscriber.connect(options(broker, "bridge-k", 1));
      Heard h = new Heard();
      c.connection().start(h);
      c.connection().subscribe(List.of("$share/g/fwi/v1/dev/+/telemetry"));
      Thread.sleep(3_500); // 3.5 keep-alive intervals without traffic: PINGREQs keep it open
      assertTrue(c.connection().isOpen(), "lost: " + h.lost);
      broker.stop();
      Poll.until(() -> h.lost != null, Duration.ofSeconds(5), () -> "the loss reported");
      assertFalse(c.connection().isOpen());
    }
  }

  @Test
  void anUnreachableBrokerIsAnIoErrorNamingIt() {
    WireSubscriber.Options o = new WireSubscriber.Options("tcp://127.0.0.1:1", "x", Optional.empty(),
        Optional.empty(), false, 60, 10, 30, Duration.ofSeconds(2), 1 << 20, NoDelaySockets.plain());
    assertThrows(IOException.class, () -> WireSubscriber.connect(o));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WireSubscriber.connect(
        new WireSubscriber.Options("ws://127.0.0.1:1", "x", Optional.empty(), Optional.empty(), false, 60, 10, 30,
            Duration.ofSeconds(2), 1 << 20, NoDelaySockets.plain())));
    assertTrue(e.getMessage().contains("ws://127.0.0.1:1"), e.getMessage());
  }
}
