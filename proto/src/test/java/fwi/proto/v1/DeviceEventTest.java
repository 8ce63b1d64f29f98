package fwi.proto.v1;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DeviceEventTest {

  private static Stream<Arguments> eventsByCase() {
    return Stream.of(
        Arguments.of(DeviceEvent.EventCase.BIRTH, Fixtures.deviceEventWithBirth()),
        Arguments.of(DeviceEvent.EventCase.DEATH, Fixtures.deviceEventWithDeath()),
        Arguments.of(DeviceEvent.EventCase.OTA_STATUS, Fixtures.deviceEventWithOtaStatus()));
  }

  @ParameterizedTest
  @MethodSource("eventsByCase")
  void roundTripsDeviceEventWithAllFieldsSetForEachEvent(DeviceEvent.EventCase event, DeviceEvent sent)
      throws Exception {
    DeviceEvent received = DeviceEvent.parseFrom(sent.toByteArray());

    assertEquals(sent, received);
    assertEquals(event, received.getEventCase());
  }

  @Test
  void acceptsTheDevicePayloadEmbeddedVerbatimSoTheBridgeNeedNotReencodeIt() throws Exception {
    DeviceEvent expected = Fixtures.deviceEventWithBirth();
    byte[] mqttPayload = Fixtures.birth().toByteArray();
    ByteArrayOutputStream value = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(value);
    out.writeUInt32(DeviceEvent.SCHEMA_VERSION_FIELD_NUMBER, expected.getSchemaVersion());
    out.writeString(DeviceEvent.DEVICE_ID_FIELD_NUMBER, expected.getDeviceId());
    out.writeInt64(DeviceEvent.RECEIVED_UNIX_MS_FIELD_NUMBER, expected.getReceivedUnixMs());
    out.writeByteArray(DeviceEvent.BIRTH_FIELD_NUMBER, mqttPayload);
    out.flush();

    DeviceEvent parsed = DeviceEvent.parseFrom(value.toByteArray());

    assertEquals(expected, parsed);
  }
}
