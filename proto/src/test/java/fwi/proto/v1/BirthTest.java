package fwi.proto.v1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

class BirthTest {

  @Test
  void roundTripsBirthWithAllFieldsSet() throws Exception {
    Birth sent = Fixtures.birth();

    Birth received = Birth.parseFrom(sent.toByteArray());

    assertEquals(sent, received);
  }

  @Test
  void tellsADeviceWithoutAModelApartFromOneRunningVersionZero() throws Exception {
    Birth sent = Fixtures.birth().toBuilder().clearRunningModel().build();

    Birth received = Birth.parseFrom(sent.toByteArray());

    assertFalse(received.hasRunningModel());
    assertEquals(sent, received);
  }
}
