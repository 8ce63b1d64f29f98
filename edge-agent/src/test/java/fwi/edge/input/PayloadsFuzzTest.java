package fwi.edge.input;

import static org.junit.jupiter.api.Assertions.assertEquals;

import fwi.edge.inference.InputRejectedException;
import fwi.runtime.npy.Npy;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import fwi.testing.Fuzz;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Hostile {@code POST /infer} bodies and {@code X-Shape} headers: a tensor whose shape matches its
 * values, or {@link InputRejectedException} (400/413) with a message; never another exception and
 * never an allocation beyond what the body pays for. {@code -Dfwi.fuzz.tries=100000} for a long run.
 */
class PayloadsFuzzTest {
  private static final int TRIES = 400;
  private static final long MAX_BYTES = 1 << 20;

  private static byte[] npy(Shape s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      Npy.write(out, FloatTensor.zeros(s));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static void consistent(FloatTensor t) {
    assertEquals(t.shape().elementCount(), t.data().length);
  }

  @Test
  void refusesHostileNpyBodiesByName() {
    Fuzz.campaign("infer-npy-body", input -> consistent(Payloads.npy(new ByteArrayInputStream(input), "body", MAX_BYTES)))
        .documented(InputRejectedException.class)
        .seeds(List.of(npy(Shape.of(1, 5, 10, 7)), npy(Shape.of(2, 3))))
        .run(TRIES);
  }

  private static Fuzz.Campaign shapeHeader() {
    byte[] body = new byte[4 * 5 * 10 * 7];
    return Fuzz.campaign("infer-raw-shape", input -> consistent(Payloads.raw(new ByteArrayInputStream(body),
            new String(input, StandardCharsets.UTF_8), "body", MAX_BYTES)))
        .documented(InputRejectedException.class);
  }

  @Test
  void refusesHostileShapeHeadersByName() {
    shapeHeader().seeds(List.of("1,5,10,7".getBytes(StandardCharsets.UTF_8),
        "[5 x 10 x 7]".getBytes(StandardCharsets.UTF_8))).run(TRIES);
  }

  /** Found by fuzzing: {@code X-Shape: ,} (no dimension at all) escaped as IllegalArgumentException, a 500. */
  @Test
  void refusesAShapeHeaderWithoutDimensions() {
    shapeHeader().check(",".getBytes(StandardCharsets.UTF_8));
    shapeHeader().check(" , ,".getBytes(StandardCharsets.UTF_8));
  }
}
