package fwi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import fwi.edge.ota.OtaConfig;
import fwi.edge.publish.MqttConfig;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Bad settings stop the agent at start with a message naming the key and the value. */
class ConfigCheckTest {
  private static <T> T mapping(Class<T> type, Map<String, String> values) {
    Map<String, String> all = new HashMap<>(Map.of("fwi.mqtt.broker-url", "tcp://127.0.0.1:1883",
        "fwi.ota.model-dir", "state/fwi-config-test", "fwi.ota.trusted-keys.k", "6AxO0BVHQtGUf9NSqaEY7TEa+vZnLSReXKja8GFEMYQ="));
    all.putAll(values);
    SmallRyeConfig c = new SmallRyeConfigBuilder().withMapping(type)
        .withSources(new PropertiesConfigSource(all, "test", 100)).build();
    return c.getConfigMapping(type);
  }

  @Test
  void aBadOtaValueNamesItsKey() {
    OtaConfig c = mapping(OtaConfig.class, Map.of("fwi.ota.keep-previous", "-1"));
    assertEquals("fwi.ota.keep-previous must be in [0, 100], but was -1",
        assertThrows(IllegalArgumentException.class, c::settings).getMessage());
  }

  @Test
  void anUnknownFaultInjectionStateNamesItsKeyAndValue() {
    OtaConfig c = mapping(OtaConfig.class, Map.of("fwi.ota.fault-injection.hold-in", "SMOKE_TESTING"));
    assertEquals("fwi.ota.fault-injection.hold-in must be NONE, VERIFYING or INSTALLING, but was 'SMOKE_TESTING'",
        assertThrows(IllegalArgumentException.class, c::settings).getMessage());
  }

  @Test
  void faultInjectionIsOffByDefault() {
    assertEquals(java.util.Optional.empty(), mapping(OtaConfig.class, Map.of()).settings().faultHoldIn());
  }

  @Test
  void aBadTrustedKeyNamesItsKey() {
    OtaConfig c = mapping(OtaConfig.class, Map.of("fwi.ota.trusted-keys.k", "not base64!"));
    String m = assertThrows(IllegalArgumentException.class, c::keys).getMessage();
    assertEquals(true, m.startsWith("fwi.ota.trusted-keys.k must be base64 of a raw 32-byte Ed25519 public key"), m);
  }

  @Test
  void aBadBrokerUrlNamesItsKeyAndValue() {
    MqttConfig c = mapping(MqttConfig.class, Map.of("fwi.mqtt.broker-url", "http://broker:1883"));
    assertEquals("fwi.mqtt: broker URL must start with tcp:// or ssl://, but was 'http://broker:1883'",
        assertThrows(IllegalArgumentException.class, () -> c.settings("dev-1", Path.of("state/outbox"))).getMessage());
  }

  @Test
  void aBadResultEncodingNamesItsKeyAndValue() {
    assertEquals("fwi.report.result-encoding must be float16, uint16, float32 or none, but was 'jpeg'",
        assertThrows(IllegalArgumentException.class, () -> EdgeAgent.encoding("jpeg")).getMessage());
  }
}
