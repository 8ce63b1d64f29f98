package fwi.edge.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class PublisherSettingsTest {
  private static final Path DIR = Path.of("/var/lib/fwi-agent/outbox");

  private static PublisherSettings.Builder builder(String url) {
    return PublisherSettings.builder(url, "pi-7", DIR);
  }

  private static String failure(PublisherSettings.Builder b) {
    return assertThrows(IllegalArgumentException.class, b::build).getMessage();
  }

  @Test
  void defaultsAreValid() {
    PublisherSettings s = builder("tcp://broker:1883").build();
    assertEquals(Duration.ofSeconds(30), s.keepAlive());
    assertEquals(64L * 1024 * 1024, s.outboxMaxBytes());
    assertFalse(s.tls());
  }

  @Test
  void brokerUrlOfAnotherSchemeIsRefusedNamingIt() {
    assertEquals("broker URL must start with tcp:// or ssl://, but was 'http://x'", failure(builder("http://x")));
  }

  @Test
  void brokerUrlWithoutHostIsRefused() {
    assertEquals("broker URL must name a host, like tcp://broker:1883, but was 'tcp://'", failure(builder("tcp://")));
  }

  @Test
  void deviceIdWithTopicSeparatorIsRefused() {
    assertEquals("device id must match [A-Za-z0-9_-]{1,64}, but was 'pi/7'",
        failure(PublisherSettings.builder("tcp://broker", "pi/7", DIR)));
  }

  @Test
  void tlsTrustOnPlainTcpIsRefused() {
    assertEquals("TLS CA file is set to '/etc/ca.pem', but broker URL 'tcp://broker' is not ssl://",
        failure(builder("tcp://broker").tlsCaFile(Path.of("/etc/ca.pem"))));
  }

  @Test
  void caFileAndTrustStoreTogetherAreRefused() {
    assertEquals("set either TLS CA file ('/etc/ca.pem') or TLS trust store ('/etc/trust.p12'), not both",
        failure(builder("ssl://broker").tlsCaFile(Path.of("/etc/ca.pem")).tlsTrustStore(Path.of("/etc/trust.p12"), "x")));
  }

  @Test
  void passwordWithoutUsernameIsRefused() {
    assertEquals("password is set, but username is not", failure(builder("tcp://broker").credentials(null, "secret")));
  }

  @Test
  void keepAliveOfZeroIsRefusedWithItsValue() {
    assertEquals("keep-alive must be whole seconds in [1, 65535] s, but was 0 ms",
        failure(builder("tcp://broker").keepAlive(Duration.ZERO)));
  }

  @Test
  void inFlightOfZeroIsRefused() {
    assertEquals("max in-flight must be in [1, 65535], but was 0", failure(builder("tcp://broker").maxInFlight(0)));
  }

  @Test
  void reconnectMaxBelowMinIsRefused() {
    assertEquals("reconnect max delay must be at least the min delay (1000 ms), but was 500 ms",
        failure(builder("tcp://broker").reconnectDelay(Duration.ofSeconds(1), Duration.ofMillis(500))));
  }

  @Test
  void toStringHidesThePassword() {
    String s = builder("tcp://broker").credentials("pi-7", "hunter2").build().toString();
    assertFalse(s.contains("hunter2"), s);
  }
}
