package fwi.runtime.segy;

import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Test data and byte-level patching of written files, shared by the SEG-Y tests. */
final class SegyTestFiles {
  static final int HEADERS = 3600;

  private SegyTestFiles() {}

  /** [shots, samples, receivers] with a distinct, sign-changing value everywhere. */
  static FloatTensor gathers(int shots, int samples, int receivers) {
    float[] data = new float[shots * samples * receivers];
    for (int s = 0; s < shots; s++) {
      for (int k = 0; k < samples; k++) {
        for (int r = 0; r < receivers; r++) {
          data[(s * samples + k) * receivers + r] = (float) ((s + 1) * 10 * Math.sin(0.05 * k + 0.3 * r) + 0.01 * r);
        }
      }
    }
    return new FloatTensor(Shape.of(shots, samples, receivers), data);
  }

  static List<Double> metres(double... values) {
    List<Double> list = new ArrayList<>();
    for (double v : values) {
      list.add(v);
    }
    return list;
  }

  static List<Double> evenlySpaced(int count, double step) {
    List<Double> list = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      list.add(i * step);
    }
    return list;
  }

  /** Byte offset of the header of trace {@code index} in a file without extended headers. */
  static int traceOffset(int index, int samples) {
    return HEADERS + index * (240 + 4 * samples);
  }

  interface Patch {
    void apply(ByteBuffer bytes);
  }

  static void patch(Path file, Patch patch) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file));
    patch.apply(b);
    Files.write(file, b.array());
  }
}
