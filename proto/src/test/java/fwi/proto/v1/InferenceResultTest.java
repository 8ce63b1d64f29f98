package fwi.proto.v1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class InferenceResultTest {

  @Test
  void roundTripsInferenceResultWithAllFieldsSet() throws Exception {
    InferenceResult sent = Fixtures.inferenceResult();

    InferenceResult received = InferenceResult.parseFrom(sent.toByteArray());

    assertEquals(sent, received);
    assertTrue(received.hasVelocityMap());
  }

  @Test
  void carriesTwoBytesPerValueForAQuantizedMap() throws Exception {
    VelocityMap map = InferenceResult.parseFrom(Fixtures.inferenceResult().toByteArray())
        .getVelocityMap();

    long values = map.getShapeList().stream().mapToLong(Integer::longValue).reduce(1, (a, b) -> a * b);

    assertEquals(VelocityEncoding.VELOCITY_ENCODING_UINT16_SCALED, map.getEncoding());
    assertEquals(values * 2, map.getData().size());
    int deepest = Short.toUnsignedInt(
        map.getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN)
            .getShort((int) (values - 1) * 2));
    assertEquals(4_500f, map.getOffsetMPerS() + map.getScaleMPerS() * deepest, 3_000f / 65_535f);
  }

  @Test
  void tellsASummaryOnlyResultApartFromOneWithAMap() throws Exception {
    InferenceResult sent = Fixtures.inferenceResult().toBuilder().clearVelocityMap().build();

    InferenceResult received = InferenceResult.parseFrom(sent.toByteArray());

    assertFalse(received.hasVelocityMap());
    assertTrue(received.hasStats());
    assertEquals(sent, received);
  }
}
