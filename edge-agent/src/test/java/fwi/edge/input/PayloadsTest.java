package fwi.edge.input;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import fwi.edge.inference.InputRejectedException;
import fwi.runtime.npy.Npy;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class PayloadsTest {
  private static byte[] npy(FloatTensor t) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Npy.write(out, t);
    return out.toByteArray();
  }

  @Test
  void readsAnNpyBody() throws Exception {
    FloatTensor t = new FloatTensor(Shape.of(2, 3), new float[] {1, 2, 3, 4, 5, 6});
    FloatTensor back = Payloads.npy(new ByteArrayInputStream(npy(t)), "req", 1 << 20);
    assertEquals(t.shape(), back.shape());
    assertArrayEquals(t.data(), back.data());
  }

  @Test
  void refusesAnOversizedNpyFromItsHeaderAlone() throws Exception {
    byte[] head = npy(new FloatTensor(Shape.of(1000, 1000), new float[1_000_000]));
    InputRejectedException e = assertThrows(InputRejectedException.class,
        () -> Payloads.npy(new ByteArrayInputStream(head, 0, 200), "big.npy", 1 << 20));
    assertEquals(InputRejectedException.Kind.TOO_LARGE, e.kind());
    assertEquals("big.npy: shape [1000, 1000] is 4000000 bytes of float32 data, more than "
        + "fwi.inference.max-input-bytes = 1048576", e.getMessage());
  }

  @Test
  void refusesATruncatedNpyNamingTheByteCounts() throws Exception {
    byte[] all = npy(new FloatTensor(Shape.of(4), new float[] {1, 2, 3, 4}));
    InputRejectedException e = assertThrows(InputRejectedException.class,
        () -> Payloads.npy(new ByteArrayInputStream(all, 0, all.length - 3), "t.npy", 1 << 20));
    assertEquals(InputRejectedException.Kind.MALFORMED, e.kind());
    assertEquals("t.npy: data ends after 13 of 16 bytes expected for shape [4] <f4", e.getMessage());
  }

  @Test
  void readsRawLittleEndianFloatsWithAShapeHeader() throws Exception {
    ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    b.putFloat(1).putFloat(-2).putFloat(3.5f).putFloat(0);
    FloatTensor t = Payloads.raw(new ByteArrayInputStream(b.array()), "1, 4", "raw", 1 << 20);
    assertEquals(Shape.of(1, 4), t.shape());
    assertArrayEquals(new float[] {1, -2, 3.5f, 0}, t.data());
  }

  @Test
  void refusesRawBodiesWhoseLengthDisagreesWithTheShape() {
    InputRejectedException e = assertThrows(InputRejectedException.class,
        () -> Payloads.raw(new ByteArrayInputStream(new byte[12]), "1,4", "raw", 1 << 20));
    assertEquals("raw: X-Shape [1, 4] needs 16 bytes of float32, but the body has 12", e.getMessage());
  }

  @Test
  void refusesRawBodiesWithoutOrWithABadShapeHeader() {
    assertEquals("raw: raw float32 needs the X-Shape header, e.g. 'X-Shape: 1,5,1000,70'",
        assertThrows(InputRejectedException.class,
            () -> Payloads.raw(new ByteArrayInputStream(new byte[4]), null, "raw", 1 << 20)).getMessage());
    assertEquals("raw: X-Shape must be positive integers separated by commas, e.g. '1,5,1000,70', but was '1,-4'",
        assertThrows(InputRejectedException.class,
            () -> Payloads.raw(new ByteArrayInputStream(new byte[4]), "1,-4", "raw", 1 << 20)).getMessage());
  }
}
