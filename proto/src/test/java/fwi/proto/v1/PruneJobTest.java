package fwi.proto.v1;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PruneJobTest {

  private static Stream<Arguments> jobsByTarget() {
    return Stream.of(
        Arguments.of(PruneJob.TargetCase.TARGET_CHANNEL_RATIO, Fixtures.pruneJobTargetingChannelRatio()),
        Arguments.of(PruneJob.TargetCase.TARGET_MACS, Fixtures.pruneJobTargetingMacs()),
        Arguments.of(PruneJob.TargetCase.TARGET_LATENCY_P95_US, Fixtures.pruneJobTargetingLatency()));
  }

  @ParameterizedTest
  @MethodSource("jobsByTarget")
  void roundTripsPruneJobWithAllFieldsSetForEachTarget(PruneJob.TargetCase target, PruneJob sent)
      throws Exception {
    PruneJob received = PruneJob.parseFrom(sent.toByteArray());

    assertEquals(sent, received);
    assertEquals(target, received.getTargetCase());
  }
}
