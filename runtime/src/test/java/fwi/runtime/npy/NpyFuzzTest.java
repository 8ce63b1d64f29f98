package fwi.runtime.npy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import fwi.testing.Fuzz;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile {@code .npy} input (an HTTP body of the agent's {@code /infer}, a file in its watched
 * directory, a dataset file): every reader either returns a tensor that matches its header or
 * throws {@link NpyFormatException} with a message; nothing else, no hang, and no allocation that
 * the input's own size does not pay for. {@code -Dfwi.fuzz.tries=100000} for a long run.
 */
class NpyFuzzTest {
  private static final int TRIES = 400;

  @TempDir
  Path dir;

  static List<byte[]> seeds() {
    return List.of(
        written(Shape.of(2, 3, 4)),
        written(Shape.of(1, 5, 2, 7)),
        written(Shape.of(6)),
        NpyTest.handMade(2, ">f8", "3, 2", new double[] {1, -2, 3.5, 4, 1e30, -0.0}, false),
        NpyTest.handMade(3, "<f4", "4,", new double[] {1, 2, 3, 4}, false),
        NpyTest.handMade(1, "<f8", "2L, 1L", new double[] {7, 8}, false));
  }

  private static byte[] written(Shape shape) {
    float[] v = new float[shape.elementCount()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) Math.sin(i) * 1000;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      Npy.write(out, new FloatTensor(shape, v));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** What every successful read must satisfy: as many values as the shape says. */
  private static void consistent(FloatTensor t) {
    assertEquals(t.shape().elementCount(), t.data().length, "values for " + t.shape());
  }

  private Path file(byte[] input) throws IOException {
    Path f = dir.resolve("case.npy");
    Files.write(f, input);
    return f;
  }

  private Fuzz.Campaign streamReader() {
    return Fuzz.campaign("npy-stream", input -> consistent(Npy.read(new ByteArrayInputStream(input), "body.npy")))
        .documented(NpyFormatException.class);
  }

  @Test
  void streamReaderRefusesHostileBodiesByName() {
    streamReader().seeds(seeds()).run(TRIES);
  }

  /** Found by fuzzing: a 128-byte body whose header claims shape (99999999,) made the reader allocate 400 MB first. */
  private static final String HUGE_SHAPE_SHORT_BODY = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwg"
      + "J3NoYXBlJzogKDk5OTk5OTk5KSAgICAgICAiICAgICAgICAgICAgICAgICAgICAgICAgICAgCgAAAAAkXlJECVNjRLgeDUNcMz3E//8=";

  @Test
  void streamReaderRefusesAShortBodyClaimingAHugeShapeBeforeAllocatingIt() {
    streamReader().check(HUGE_SHAPE_SHORT_BODY);
  }

  private Fuzz.Campaign fileReader() {
    return Fuzz.campaign("npy-file", input -> consistent(Npy.read(file(input)))).documented(NpyFormatException.class);
  }

  @Test
  void wholeFileReaderRefusesHostileFilesByName() {
    fileReader().seeds(seeds()).run(TRIES);
  }

  /** The same input as a file: the whole-file reader compares the header with the file's size before allocating. */
  @Test
  void wholeFileReaderRefusesAShortFileClaimingAHugeShapeBeforeAllocatingIt() {
    fileReader().check(HUGE_SHAPE_SHORT_BODY);
  }

  @Test
  void mappedReaderRefusesHostileFilesByName() {
    Fuzz.campaign("npy-mapped", input -> {
      try (NpyFile f = NpyFile.open(file(input), 64)) {
        consistent(f.samples(0, f.count()));
        consistent(f.samples(f.count() - 1, 1));
      }
    }).documented(NpyFormatException.class).seeds(seeds()).run(TRIES);
  }
}
