package fwi.proto.v1;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class JobEventTest {

  private static Stream<Arguments> eventsByCase() {
    return Stream.of(
        Arguments.of(JobEvent.EventCase.JOB, Fixtures.jobEventWithJob()),
        Arguments.of(JobEvent.EventCase.REPORT, Fixtures.jobEventWithReport()));
  }

  @ParameterizedTest
  @MethodSource("eventsByCase")
  void roundTripsJobEventWithAllFieldsSetForEachEvent(JobEvent.EventCase event, JobEvent sent)
      throws Exception {
    JobEvent received = JobEvent.parseFrom(sent.toByteArray());

    assertEquals(sent, received);
    assertEquals(event, received.getEventCase());
  }
}
