package fwi.edge.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.proto.v1.Header;
import org.eclipse.paho.mqttv5.common.packet.MqttPublish;
import org.junit.jupiter.api.Test;

class WireTest {
  @Test
  void packetSizeBoundCoversPahosEncodingPlusATopicAlias() throws Exception {
    String topic = Stream.RESULT.topic("pi-7");
    for (int payload : new int[] {0, 100, 16_000, 3_000_000}) {
      var message = Wire.message(new byte[payload], false);
      MqttPublish p = new MqttPublish(topic, message, message.getProperties());
      p.setMessageId(1);
      int actual = p.getHeader().length + p.getPayload().length;

      long bound = Wire.publishPacketBytes(topic, payload);

      assertTrue(bound >= actual + 3, payload + " bytes: bound " + bound + " < " + actual + " + 3 (alias)");
      assertTrue(bound <= actual + 4, payload + " bytes: bound " + bound + " far above " + actual);
    }
  }

  @Test
  void headerNamesSenderAndSequenceWithSchemaVersionOne() {
    Header h = Wire.header("pi-7", 42);
    assertEquals(1, h.getSchemaVersion());
    assertEquals("pi-7", h.getSenderId());
    assertEquals(42, h.getSequence());
    assertTrue(Math.abs(System.currentTimeMillis() - h.getSentUnixMs()) < 60_000);
  }
}
