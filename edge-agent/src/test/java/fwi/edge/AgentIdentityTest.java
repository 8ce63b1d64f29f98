package fwi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class AgentIdentityTest {
  @Test
  void rejectsDeviceIdThatWouldBreakTopicNames() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> AgentIdentity.check("fwi.agent.device-id", "pi/+", AgentIdentity.DEVICE_ID));
    assertEquals("fwi.agent.device-id must match [A-Za-z0-9_-]{1,64}, but was 'pi/+'", e.getMessage());
  }

  @Test
  void acceptsOrdinaryDeviceId() {
    assertEquals("pi-4b_07", AgentIdentity.check("fwi.agent.device-id", "pi-4b_07", AgentIdentity.DEVICE_ID));
  }
}
