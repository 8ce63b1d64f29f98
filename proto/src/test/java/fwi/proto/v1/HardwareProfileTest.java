package fwi.proto.v1;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class HardwareProfileTest {

  @Test
  void roundTripsHardwareProfileWithAllFieldsSet() throws Exception {
    HardwareProfile sent = Fixtures.hardwareProfile();

    HardwareProfile received = HardwareProfile.parseFrom(sent.toByteArray());

    assertEquals(sent, received);
    assertEquals(400_000, received.getLatencyP95SloUs());
  }
}
