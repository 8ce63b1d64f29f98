package fwi.cloud.cli;

import fwi.cloud.synth.Absorber;
import fwi.cloud.synth.DatasetGenerator;
import fwi.cloud.synth.FdSettings;
import fwi.cloud.synth.VelocityFamily;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pruner dataset generate}: model an OpenFWI-style dataset folder. */
@Command(name = "generate", mixinStandardHelpOptions = true,
    description = {"Models N samples of a velocity family with 8th-order acoustic finite differences in OpenFWI's "
        + "geometry (70x70 cells of 10 m, 5 sources and 70 receivers 10 m deep, 15 Hz Ricker, 1000 steps of 1 ms) and "
        + "writes dataN.npy [K,5,1000,70] / modelN.npy [K,1,70,70] (m/s) plus dataset.json.",
        "Re-running the same command in the same folder keeps finished files and makes the rest."})
final class DatasetGenerateCommand extends CliCommand {
  @Option(names = "--family", required = true, description = "flatvel, curvevel or fault.")
  String family;

  @Option(names = "--samples", required = true, description = "Number of samples.")
  int samples;

  @Option(names = "--out", required = true, description = "Dataset folder (created if missing).")
  Path out;

  @Option(names = "--seed", defaultValue = "0", description = "Random seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--per-file", defaultValue = "500", description = "Samples per file, as OpenFWI (default: ${DEFAULT-VALUE}).")
  int perFile;

  @Option(names = "--threads", description = "Worker threads (default: all cores).")
  Integer threads;

  @Option(names = "--absorber", defaultValue = "cpml",
      description = "cpml (default, 20 cells) or damping (OpenFWI's, 120 cells).")
  String absorber;

  @Option(names = "--absorber-cells", description = "Absorber width in cells (default: 20 for cpml, 120 for damping).")
  Integer absorberCells;

  @Override
  public Integer call() throws Exception {
    VelocityFamily f = VelocityFamily.parse(family);
    FdSettings settings = settings(absorber, absorberCells);
    DatasetGenerator.Request r = DatasetGenerator.Request.openFwi(f, samples, perFile, seed).withSettings(settings);
    int n = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
    out().printf(Locale.ROOT, "generating %d %s samples (seed %d) into %s: %d file(s) of up to %d, %s absorber %d cells, "
        + "%d thread(s)%n", samples, f.cliName(), seed, out, r.files(), perFile, settings.absorber().name().toLowerCase(Locale.ROOT),
        settings.absorberCells(), n);
    out().flush();
    ProgressBar bar = new ProgressBar(spec.commandLine().getErr(), System.console() != null, "samples");
    DatasetGenerator.Summary s = new DatasetGenerator(n).generate(r, out, bar::update);
    double secs = s.seconds();
    out().printf(Locale.ROOT, "done: %d sample(s) made, %d kept from an earlier run, %.1f s, %.2f samples/s, %.0f M cell-updates/s%n",
        s.made(), s.kept(), secs, s.made() / secs, s.cellUpdates() / secs / 1e6);
    return 0;
  }

  /** Settings for the CLI's absorber options; shared with the benchmark command. */
  static FdSettings settings(String absorber, Integer cells) {
    Absorber kind;
    try {
      kind = Absorber.valueOf(absorber.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--absorber must be cpml or damping, but was '" + absorber + "'");
    }
    int width = cells != null ? cells
        : kind == Absorber.CPML ? FdSettings.DEFAULT_ABSORBER_CELLS : FdSettings.OPENFWI_ABSORBER_CELLS;
    if (width < 0) {
      throw new IllegalArgumentException("--absorber-cells must be >= 0, but was " + width);
    }
    return FdSettings.openFwi().withAbsorber(kind, width);
  }
}
