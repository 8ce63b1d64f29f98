package fwi.cloud.ota;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class OtaTopicsTest {
  @Test
  void takesTheDeviceIdFromARequestTopic() {
    assertEquals(Optional.of("pi-0042"), OtaTopics.deviceOfRequest("fwi/v1/dev/pi-0042/ota/get"));
  }

  @Test
  void refusesTopicsWithoutAValidDeviceId() {
    assertEquals(Optional.empty(), OtaTopics.deviceOfRequest("fwi/v1/dev//ota/get"));
    assertEquals(Optional.empty(), OtaTopics.deviceOfRequest("fwi/v1/dev/a/b/ota/get"));
    assertEquals(Optional.empty(), OtaTopics.deviceOfRequest("fwi/v1/dev/pi.1/ota/get"));
    assertEquals(Optional.empty(), OtaTopics.deviceOfRequest("fwi/v1/dev/pi-1/ota/block"));
    assertEquals(Optional.empty(), OtaTopics.deviceOfRequest("fwi/v2/dev/pi-1/ota/get"));
  }

  @Test
  void namesTheResponseAndManifestTopics() {
    assertEquals("fwi/v1/dev/pi-1/ota/block", OtaTopics.block("pi-1"));
    assertEquals("fwi/v1/dev/pi-1/manifest", OtaTopics.deviceManifest("pi-1"));
    assertEquals("fwi/v1/profile/pi-4b/manifest", OtaTopics.profileManifest("pi-4b"));
  }
}
