package fwi.cloud.train;

import fwi.runtime.npy.Npy;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * A learnable stand-in for seismic data, fast to make: two-layer velocity maps whose interface
 * depth and velocities are encoded in the gathers as an "arrival" whose time and amplitude follow
 * them. Not physics (that is the generator's job); enough for a network to fit in a few epochs.
 */
public final class ToyData {
  private ToyData() {}

  public static Path write(Path dir, int files, int perFile, long seed) throws IOException {
    Files.createDirectories(dir);
    SplittableRandom r = new SplittableRandom(seed);
    for (int f = 1; f <= files; f++) {
      float[] g = new float[perFile * 5 * 1000 * 70];
      float[] v = new float[perFile * 70 * 70];
      for (int i = 0; i < perFile; i++) {
        int depth = 15 + r.nextInt(40);
        float v1 = (float) (1500 + 1500 * r.nextDouble());
        float v2 = (float) (3000 + 1500 * r.nextDouble());
        for (int z = 0; z < 70; z++) {
          for (int x = 0; x < 70; x++) {
            v[i * 4900 + z * 70 + x] = z < depth ? v1 : v2;
          }
        }
        int arrival = (int) (2000.0 * depth * 10 / v1) % 1000;
        for (int s = 0; s < 5; s++) {
          for (int t = 0; t < 1000; t++) {
            float value = Math.abs(t - arrival) < 20 ? (v2 - v1) / 100f : 0f;
            for (int x = 0; x < 70; x++) {
              g[((i * 5 + s) * 1000 + t) * 70 + x] = value + (float) (0.05 * r.nextGaussian());
            }
          }
        }
      }
      Npy.write(dir.resolve("data" + f + ".npy"), new FloatTensor(Shape.of(perFile, 5, 1000, 70), g));
      Npy.write(dir.resolve("model" + f + ".npy"), new FloatTensor(Shape.of(perFile, 1, 70, 70), v));
    }
    return dir;
  }

  /** Puts a NaN into sample {@code i} of a gathers file. */
  public static void poison(Path dataFile, int i) throws IOException {
    FloatTensor t = Npy.read(dataFile);
    t.data()[i * 5 * 1000 * 70 + 1234] = Float.NaN;
    Npy.write(dataFile, t);
  }
}
