package fwi.proto.v1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.UUID;
import org.junit.jupiter.api.Test;

class DeathTest {

  /** Budget for the will payload, which the broker keeps for every connected session. */
  private static final int WILL_BUDGET_BYTES = 64;

  @Test
  void roundTripsDeathWithAllFieldsSet() throws Exception {
    Death sent = Fixtures.death();

    Death received = Death.parseFrom(sent.toByteArray());

    assertEquals(sent, received);
  }

  @Test
  void staysWithinTheWillBudgetEvenWithAUuidDeviceIdAndLargeCounters() {
    Death will = Death.newBuilder()
        .setHeader(Header.newBuilder()
            .setSchemaVersion(1)
            .setSenderId(UUID.randomUUID().toString())
            .setSequence(10_000_000L)
            .setSentUnixMs(Fixtures.NOW_UNIX_MS))
        .setSessionSeq(10_000_000L)
        .setReason(DeathReason.DEATH_REASON_CONNECTION_LOST)
        .build();

    int size = will.getSerializedSize();

    assertTrue(size <= WILL_BUDGET_BYTES,
        "death must fit in " + WILL_BUDGET_BYTES + " bytes, but was " + size);
  }
}
