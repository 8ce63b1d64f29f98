package fwi.runtime.npy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyFileTest {
  @TempDir
  Path dir;

  private Path written(int n) throws Exception {
    float[] v = new float[n * 3 * 4];
    for (int i = 0; i < v.length; i++) {
      v[i] = i * 0.25f;
    }
    Path f = dir.resolve("data1.npy");
    Npy.write(f, new FloatTensor(Shape.of(n, 3, 4), v));
    return f;
  }

  @Test
  void readsAnySampleRangeWithoutLoadingTheFile() throws Exception {
    Path f = written(10);
    FloatTensor all = Npy.read(f);
    try (NpyFile file = NpyFile.open(f)) {
      assertEquals(10, file.count());
      FloatTensor mid = file.samples(4, 3);
      assertEquals(Shape.of(3, 3, 4), mid.shape());
      for (int i = 0; i < 3; i++) {
        assertArrayEquals(all.slice(4 + i).data(), mid.slice(i).data());
      }
    }
  }

  @Test
  void readsAcrossSeveralMappings() throws Exception {
    Path f = written(10);
    FloatTensor all = Npy.read(f);
    try (NpyFile file = NpyFile.open(f, 3 * 3 * 4 * 4)) { // three samples per mapping
      FloatTensor span = file.samples(1, 8);
      for (int i = 0; i < 8; i++) {
        assertArrayEquals(all.slice(1 + i).data(), span.slice(i).data());
      }
    }
  }

  @Test
  void refusesAFileShorterThanItsHeaderSays() throws Exception {
    Path f = written(2);
    byte[] b = Files.readAllBytes(f);
    Files.write(f, java.util.Arrays.copyOf(b, b.length - 4));
    NpyFormatException e = assertThrows(NpyFormatException.class, () -> NpyFile.open(f));
    assertEquals(f + ": file has " + (b.length - 4) + " bytes, but its header (shape [2, 3, 4], <f4) needs " + b.length,
        e.getMessage());
  }

  @Test
  void refusesARangeBeyondTheLastSample() throws Exception {
    try (NpyFile file = NpyFile.open(written(5))) {
      IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> file.samples(4, 2));
      assertEquals(file.path() + ": samples [4, 6) requested, but the file holds 5", e.getMessage());
    }
  }
}
