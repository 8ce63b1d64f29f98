package fwi.proto.v1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

class OtaBlockTest {

  @Test
  void roundTripsBlockRequestWithAllFieldsSet() throws Exception {
    BlockRequest sent = Fixtures.blockRequest();

    BlockRequest received = BlockRequest.parseFrom(sent.toByteArray());

    assertEquals(sent, received);
  }

  @Test
  void roundTripsBlockResponseCarryingData() throws Exception {
    BlockResponse sent = Fixtures.blockResponseWithData();

    BlockResponse received = BlockResponse.parseFrom(sent.toByteArray());

    assertEquals(sent, received);
    assertEquals(BlockResponse.PayloadCase.DATA, received.getPayloadCase());
  }

  @Test
  void roundTripsBlockResponseCarryingAnError() throws Exception {
    BlockResponse sent = Fixtures.blockResponseWithError();

    BlockResponse received = BlockResponse.parseFrom(sent.toByteArray());

    assertEquals(sent, received);
    assertEquals(BlockResponse.PayloadCase.ERROR, received.getPayloadCase());
    assertEquals(BlockErrorCode.BLOCK_ERROR_CODE_RATE_LIMITED, received.getError().getCode());
  }

  @Test
  void carriesDataOrErrorButNeverBoth() throws Exception {
    BlockResponse both = Fixtures.blockResponseWithData().toBuilder()
        .setError(Fixtures.blockError())
        .build();

    BlockResponse received = BlockResponse.parseFrom(both.toByteArray());

    assertEquals(BlockResponse.PayloadCase.ERROR, received.getPayloadCase());
    assertFalse(received.hasData());
  }
}
