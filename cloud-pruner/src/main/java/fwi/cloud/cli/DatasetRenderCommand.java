package fwi.cloud.cli;

import fwi.runtime.image.SeismicPictures;
import fwi.runtime.image.ShotGatherStyle;
import fwi.runtime.image.VelocityMapStyle;
import fwi.runtime.npy.NpyFile;
import fwi.runtime.segy.SegyReadOptions;
import fwi.runtime.segy.SegyReader;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pruner dataset render}: one sample of a file as a PNG. */
@Command(name = "render", mixinStandardHelpOptions = true,
    description = {"Renders sample I of a file as PNG: a velocity map [N,1,H,W] (model files, inference output; colour bar "
        + "in m/s) or a shot gather [N,S,T,R] (data files; seismic colours, clipped at a percentile of |amplitude|).",
        "A SEG-Y file (.sgy/.segy) is read as one (5,1000,70) gather, as the edge agent reads it."})
final class DatasetRenderCommand extends CliCommand {
  @Option(names = "--input", required = true, description = ".npy file (dataN, modelN, velocity output) or SEG-Y file.")
  Path input;

  @Option(names = "--index", defaultValue = "0", description = "Sample index along the first axis (default: ${DEFAULT-VALUE}).")
  int index;

  @Option(names = "--out", required = true, description = "PNG file to write.")
  Path out;

  @Option(names = "--shot", description = "Only this shot (0-based) of a gather (default: all shots side by side).")
  Integer shot;

  @Option(names = "--clip", defaultValue = "99", description = "Gather clip percentile of |amplitude| (default: ${DEFAULT-VALUE}).")
  double clip;

  @Option(names = "--vmin", defaultValue = "1500", description = "Velocity at the bottom of the colour bar, m/s (default: ${DEFAULT-VALUE}).")
  double vmin;

  @Option(names = "--vmax", defaultValue = "4500", description = "Velocity at the top of the colour bar, m/s (default: ${DEFAULT-VALUE}).")
  double vmax;

  @Override
  public Integer call() throws Exception {
    FloatTensor sample = load();
    Shape s = sample.shape();  // [1, C, H, W]
    byte[] png;
    String what;
    if (s.dim(1) == 1) {
      if (shot != null) {
        throw new IllegalArgumentException("--shot applies to gathers, but " + input + " holds velocity maps of shape " + s);
      }
      png = SeismicPictures.velocityMap(sample, new VelocityMapStyle(vmin, vmax, SeismicPictures.DEFAULT_CELL_METRES));
      what = "velocity map";
    } else {
      FloatTensor g = sample;
      if (shot != null) {
        if (shot < 0 || shot >= s.dim(1)) {
          throw new IllegalArgumentException("--shot must be in [0, " + s.dim(1) + "), but was " + shot);
        }
        int per = s.dim(2) * s.dim(3);
        float[] one = new float[per];
        System.arraycopy(sample.data(), shot * per, one, 0, per);
        g = new FloatTensor(Shape.of(s.dim(2), s.dim(3)), one);
      }
      png = SeismicPictures.shotGather(g, new ShotGatherStyle(clip, SeismicPictures.DEFAULT_SAMPLE_INTERVAL_MS));
      what = shot == null ? s.dim(1) + " shot gathers" : "shot " + shot;
    }
    SeismicPictures.write(out, png);
    out().printf(Locale.ROOT, "wrote %s: %s of sample %d of %s (%d bytes)%n", out, what, index, input, png.length);
    return 0;
  }

  /** Sample {@link #index} as a rank-4 tensor {@code [1, C, H, W]}. */
  private FloatTensor load() throws java.io.IOException {
    String name = input.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".sgy") || name.endsWith(".segy")) {
      if (index != 0) {
        throw new IllegalArgumentException("--index must be 0 for a SEG-Y file (it holds one gather), but was " + index);
      }
      FloatTensor t = new SegyReader(SegyReadOptions.inversionNet()).read(input).tensor();
      return new FloatTensor(Shape.of(1, t.shape().dim(0), t.shape().dim(1), t.shape().dim(2)), t.data());
    }
    try (NpyFile f = NpyFile.open(input)) {
      Shape s = f.shape();
      if (s.rank() == 3) {  // [N, H, W] velocity maps without the channel axis
        FloatTensor t = f.samples(checkIndex(f), 1);
        return new FloatTensor(Shape.of(1, 1, s.dim(1), s.dim(2)), t.data());
      }
      if (s.rank() != 4) {
        throw new IllegalArgumentException(input + ": expected [N, 1, H, W] velocity maps or [N, S, T, R] gathers, but the shape was " + s);
      }
      return f.samples(checkIndex(f), 1);
    }
  }

  private int checkIndex(NpyFile f) {
    if (index < 0 || index >= f.count()) {
      throw new IllegalArgumentException("--index must be in [0, " + f.count() + ") for " + input + ", but was " + index);
    }
    return index;
  }
}
