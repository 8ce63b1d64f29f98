package fwi.proto.v1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

class PruneJobReportTest {

  @Test
  void roundTripsPruneJobReportWithAllFieldsSet() throws Exception {
    PruneJobReport sent = Fixtures.pruneJobReport();

    PruneJobReport received = PruneJobReport.parseFrom(sent.toByteArray());

    assertEquals(sent, received);
    assertEquals(2, received.getPhaseTimingsCount());
  }

  @Test
  void tellsAReportBeforeEvaluationApartFromAPerfectScore() throws Exception {
    PruneJobReport running = Fixtures.pruneJobReport().toBuilder()
        .setState(PruneJobState.PRUNE_JOB_STATE_RUNNING)
        .setPhase(PrunePhase.PRUNE_PHASE_FINE_TUNING)
        .clearQualityAfter()
        .clearResultingModel()
        .build();

    PruneJobReport received = PruneJobReport.parseFrom(running.toByteArray());

    assertFalse(received.hasQualityAfter());
    assertFalse(received.hasResultingModel());
    assertEquals(running, received);
  }
}
