package fwi.cloud.cli;

import fwi.runtime.npy.Npy;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.nio.file.Path;
import java.util.SplittableRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pruner random-input}: gathers-shaped noise for smoke tests and benchmarks. It is not
 * seismic data: physically modelled gathers come from the data generator.
 */
@Command(name = "random-input", mixinStandardHelpOptions = true,
    description = "Writes N gathers-shaped arrays [N,5,1000,70] of Gaussian noise (sigma 1, clipped to the FlatVel-A "
        + "amplitude range) as .npy: an input for smoke tests and benchmarks, not seismic data.")
final class RandomInputCommand extends CliCommand {
  @Option(names = "--count", defaultValue = "4", description = "Number of samples (default: ${DEFAULT-VALUE}).")
  int count;

  @Option(names = "--seed", defaultValue = "0", description = "Random seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--out", required = true, description = "Where to write the .npy file.")
  Path out;

  @Override
  public Integer call() throws Exception {
    if (count < 1 || count > 1000) {
      throw new IllegalArgumentException("--count must be in [1, 1000], but was " + count);
    }
    Shape shape = Shape.of(count, 5, 1000, 70);
    float[] v = new float[shape.elementCount()];
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) Math.max(-26.95, Math.min(52.77, gaussian(r)));
    }
    Npy.write(out, new FloatTensor(shape, v));
    out().printf("wrote %s: %s float32 noise%n", out, shape);
    return 0;
  }

  private static double gaussian(SplittableRandom r) {
    double u = 1 - r.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.nextDouble());
  }
}
