package fwi.proto.v1;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class OtaStatusTest {

  @Test
  void roundTripsOtaStatusWithAllFieldsSet() throws Exception {
    OtaStatus sent = Fixtures.otaStatus();

    OtaStatus received = OtaStatus.parseFrom(sent.toByteArray());

    assertEquals(sent, received);
  }

  @Test
  void keepsAStateAddedLaterWhenRelayedByAnOlderReader() throws Exception {
    int stateFromTheFuture = 99;
    OtaStatus sent = Fixtures.otaStatus().toBuilder().setStateValue(stateFromTheFuture).build();

    OtaStatus read = OtaStatus.parseFrom(sent.toByteArray());
    OtaStatus relayed = OtaStatus.parseFrom(read.toByteArray());

    assertEquals(OtaState.UNRECOGNIZED, read.getState());
    assertEquals(stateFromTheFuture, relayed.getStateValue());
    assertEquals(sent, relayed);
  }
}
