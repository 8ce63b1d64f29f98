package fwi.edge.ota;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class OtaSettingsTest {
  @Test
  void defaultsSuitAPiOnASlowLink() {
    OtaSettings s = OtaSettings.defaults();
    assertEquals(2, s.keepPrevious());
    assertEquals(1 << 20, s.maxBlockSizeBytes());
    assertEquals(17, s.maxOpset());
    assertEquals(8, s.maxIrVersion());
    assertEquals(100, s.minVelocityMPerS());
    assertEquals(10_000, s.maxVelocityMPerS());
  }

  @Test
  void namesTheFieldAndTheValueOutOfRange() {
    assertEquals("max-in-flight must be in [1, 256], but was 0", assertThrows(IllegalArgumentException.class,
        () -> OtaSettings.builder().maxInFlight(0).build()).getMessage());
    assertEquals("keep-previous must be in [0, 100], but was -1", assertThrows(IllegalArgumentException.class,
        () -> OtaSettings.builder().keepPrevious(-1).build()).getMessage());
    assertEquals("health-max-error-ratio must be in [0, 1), but was 1.0", assertThrows(IllegalArgumentException.class,
        () -> OtaSettings.builder().healthMaxErrorRatio(1).build()).getMessage());
    assertEquals("health-latency-factor must be finite and at least 1, but was 0.5",
        assertThrows(IllegalArgumentException.class, () -> OtaSettings.builder().healthLatencyFactor(0.5).build())
            .getMessage());
  }

  @Test
  void requiresTheVelocityRangeToBeFiniteAndOrdered() {
    assertEquals("max-velocity-m-per-s must be above min-velocity-m-per-s (100.0), but was 50.0",
        assertThrows(IllegalArgumentException.class, () -> OtaSettings.builder().velocityRangeMPerS(100, 50).build())
            .getMessage());
    assertEquals("min-velocity-m-per-s must be finite, but was NaN", assertThrows(IllegalArgumentException.class,
        () -> OtaSettings.builder().velocityRangeMPerS(Double.NaN, 50).build()).getMessage());
  }
}
