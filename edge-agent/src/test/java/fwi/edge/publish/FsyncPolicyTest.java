package fwi.edge.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class FsyncPolicyTest {
  @Test
  void configuredMillisecondsMapToThePolicies() {
    assertEquals(FsyncPolicy.never(), FsyncPolicy.ofIntervalMs(-1));
    assertEquals(FsyncPolicy.everyAppend(), FsyncPolicy.ofIntervalMs(0));
    assertEquals(FsyncPolicy.interval(Duration.ofMillis(250)), FsyncPolicy.ofIntervalMs(250));
  }

  @Test
  void intervalBelowMinusOneIsRefusedNamingIt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FsyncPolicy.ofIntervalMs(-2));
    assertEquals("fsync interval must be -1 (never), 0 (every append) or positive ms, but was -2", e.getMessage());
  }

  @Test
  void zeroIntervalIsNotAnIntervalPolicy() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FsyncPolicy.interval(Duration.ZERO));
    assertEquals("fsync interval must be positive, but was 0 ms", e.getMessage());
  }
}
