package fwi.cloud.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class BridgeSettingsTest {
  private static BridgeSettings.Builder valid() {
    return BridgeSettings.builder("tcp://broker:1883", "kafka-0:9092,kafka-1:9092");
  }

  private static void assertRefused(String message, UnaryOperator<BridgeSettings.Builder> change) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> change.apply(valid()).build());
    assertEquals(message, e.getMessage());
  }

  @Test
  void hasDocumentedDefaults() {
    BridgeSettings s = valid().build();
    assertEquals("fwi-bridge", s.clientId());
    assertEquals("fwi-bridge", s.sharedGroup());
    assertEquals(1, s.mqttClients());
    assertEquals(1000, s.receiveMaximum());
    assertEquals(Duration.ofDays(1), s.sessionExpiry());
    assertEquals(Duration.ofMillis(5), s.linger());
    assertEquals(65536, s.batchSizeBytes());
    assertEquals("lz4", s.compression());
    assertEquals("fwi.telemetry", s.telemetryTopic());
    assertEquals("fwi.results", s.resultsTopic());
    assertEquals("fwi.device-events", s.deviceEventsTopic());
    assertEquals("fwi.dead-letter", s.deadLetterTopic());
    assertEquals("fwi-bridge-0", s.mqttClientId(0));
    assertFalse(s.tls());
  }

  @Test
  void refusesBadSettingsNamingFieldAndValue() {
    assertRefused("mqttUrl must start with tcp:// or ssl://, but was 'mqtt://broker'",
        b -> BridgeSettings.builder("mqtt://broker", "k:9092"));
    assertRefused("kafkaBootstrapServers must be host:port[,host:port...], but was 'kafka'",
        b -> BridgeSettings.builder("tcp://broker:1883", "kafka"));
    assertRefused("clientId must match [A-Za-z0-9_.-]{1,60}, but was 'my bridge'", b -> b.clientId("my bridge"));
    assertRefused("sharedGroup must match [A-Za-z0-9_.-]{1,64}, but was 'a/b'", b -> b.sharedGroup("a/b"));
    assertRefused("mqttClients must be in [1, 64], but was 0", b -> b.mqttClients(0));
    assertRefused("receiveMaximum must be in [1, 65535], but was 65536", b -> b.receiveMaximum(65536));
    assertRefused("sessionExpiry must be whole seconds in [1, 4294967295] s, but was 1500 ms",
        b -> b.sessionExpiry(Duration.ofMillis(1500)));
    assertRefused("keepAlive must be whole seconds in [1, 65535] s, but was 0 ms", b -> b.keepAlive(Duration.ZERO));
    assertRefused("reconnectMaxDelay must be at least reconnectMinDelay (2000 ms), but was 1000 ms",
        b -> b.reconnectDelay(Duration.ofSeconds(2), Duration.ofSeconds(1)));
    assertRefused("linger must be in [0, 10 s], but was -1 ms", b -> b.linger(Duration.ofMillis(-1)));
    assertRefused("batchSizeBytes must be in [0, 16777216], but was -5", b -> b.batchSizeBytes(-5));
    assertRefused("compression must be one of [gzip, lz4, none, snappy, zstd], but was 'brotli'",
        b -> b.compression("brotli"));
    assertRefused("producerOverrides must not set 'acks' (the bridge sets it), but set it to '1'",
        b -> b.producerOverrides(Map.of("acks", "1")));
    assertRefused("deadLetterTopic must be a Kafka topic name ([A-Za-z0-9._-]{1,249}, not . or ..), but was 'dead letters'",
        b -> b.topics("fwi.telemetry", "fwi.results", "fwi.device-events", "dead letters"));
    assertRefused("telemetryTopic, resultsTopic, deviceEventsTopic and deadLetterTopic must differ, but were 'a', 'b', "
        + "'a', 'c'", b -> b.topics("a", "b", "a", "c"));
    assertRefused("mqttPassword is set, but mqttUsername is not", b -> b.mqttCredentials(null, "secret"));
    assertRefused("closeTimeout must be in [0, 5 min], but was 600000 ms", b -> b.closeTimeout(Duration.ofMinutes(10)));
  }

  @Test
  void masksPasswordsWhenPrinted() {
    BridgeSettings s = valid().mqttCredentials("bridge", "hunter2")
        .producerOverrides(Map.of("sasl.jaas.config", "user=x password=hunter2", "security.protocol", "SASL_SSL"))
        .build();
    assertFalse(s.toString().contains("hunter2"), s.toString());
    assertTrue(s.toString().contains("security.protocol=SASL_SSL"), s.toString());
  }

  @Test
  void producerKeepsTheBridgesGuaranteesAndTakesOverrides() {
    BridgeSettings s = valid().producerOverrides(Map.of("security.protocol", "SSL")).build();
    Map<String, Object> c = MqttKafkaBridge.producerConfig(s);
    assertEquals("all", c.get("acks"));
    assertEquals(true, c.get("enable.idempotence"));
    assertEquals(Integer.MAX_VALUE, c.get("delivery.timeout.ms"));
    assertEquals(5, c.get("max.in.flight.requests.per.connection"));
    assertEquals("SSL", c.get("security.protocol"));
    assertEquals("kafka-0:9092,kafka-1:9092", c.get("bootstrap.servers"));
  }
}
