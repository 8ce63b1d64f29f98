package fwi.cloud.cli;

import fwi.cloud.synth.AbsorberCheck;
import fwi.cloud.synth.DatasetGenerator;
import fwi.cloud.synth.FdSettings;
import fwi.cloud.synth.VelocityFamily;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pruner dataset bench}: generator throughput and absorber quality, side by side. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = {"Measures the data generator end to end (modelling and writing .npy files to a temporary folder) for "
        + "each absorber and thread count, in million cell-updates per second and samples per second; then measures each "
        + "absorber's worst boundary residual against a reflection-free reference at 1500, 3000 and 4500 m/s."})
final class DatasetBenchCommand extends CliCommand {
  @Option(names = "--threads", split = ",", defaultValue = "1,2", description = "Thread counts (default: ${DEFAULT-VALUE}).")
  List<Integer> threads;

  @Option(names = "--samples", defaultValue = "4", description = "Samples per measurement (default: ${DEFAULT-VALUE}).")
  int samples;

  @Option(names = "--absorbers", split = ",", defaultValue = "cpml:20,damping:120",
      description = "Absorbers as kind:cells (default: ${DEFAULT-VALUE}).")
  List<String> absorbers;

  @Option(names = "--check-widths", split = ",", defaultValue = "cpml:10,cpml:15,cpml:20,cpml:30,damping:40,damping:80,damping:120",
      description = "Absorbers whose reflections to measure (default: ${DEFAULT-VALUE}); empty to skip.")
  List<String> checkWidths;

  @Override
  public Integer call() throws Exception {
    if (samples < 1) {
      throw new IllegalArgumentException("--samples must be at least 1, but was " + samples);
    }
    var o = out();
    o.println("generator throughput (FLATVEL, OpenFWI geometry: 70x70 model, 5 shots x 1000 steps per sample)");
    o.printf("%-12s %7s %8s %12s %10s %14s%n", "absorber", "threads", "samples", "cells/step", "samples/s", "M cell-upd/s");
    // warm-up so the first row is not measured in the interpreter
    run(parse(absorbers.get(0)), 1, 1);
    for (String a : absorbers) {
      FdSettings s = parse(a);
      for (int t : threads) {
        double secs = run(s, t, samples);
        DatasetGenerator.Request r = request(s, samples);
        o.printf(Locale.ROOT, "%-12s %7d %8d %12d %10.3f %14.1f%n", a, t, samples, r.cellsPerStep(), samples / secs,
            r.cellUpdatesPerSample() * samples / secs / 1e6);
        o.flush();
      }
    }
    if (!checkWidths.isEmpty() && !checkWidths.get(0).isBlank()) {
      o.println();
      o.println("absorber: worst residual over 70 receivers, % of the direct wave (reference: reflection-free large domain)");
      o.printf("%-12s %10s %10s %10s%n", "absorber", "1500 m/s", "3000 m/s", "4500 m/s");
      for (String a : checkWidths) {
        FdSettings s = parse(a);
        o.printf(Locale.ROOT, "%-12s %9.3f%% %9.3f%% %9.3f%%%n", a, 100 * AbsorberCheck.worstResidual(s, 70, 1500),
            100 * AbsorberCheck.worstResidual(s, 70, 3000), 100 * AbsorberCheck.worstResidual(s, 70, 4500));
        o.flush();
      }
    }
    return 0;
  }

  private static FdSettings parse(String spec) {
    String[] p = spec.split(":");
    if (p.length != 2) {
      throw new IllegalArgumentException("absorber must be written kind:cells (e.g. cpml:20), but was '" + spec + "'");
    }
    try {
      return DatasetGenerateCommand.settings(p[0], Integer.parseInt(p[1]));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("absorber cells must be an integer, but was '" + p[1] + "' in '" + spec + "'");
    }
  }

  private static DatasetGenerator.Request request(FdSettings s, int n) {
    return DatasetGenerator.Request.openFwi(VelocityFamily.FLATVEL, n, n, 1).withSettings(s);
  }

  /** Seconds to generate n samples into a fresh temporary folder (deleted afterwards). */
  private static double run(FdSettings s, int threads, int n) throws Exception {
    Path dir = Files.createTempDirectory("fwi-bench");
    try {
      return new DatasetGenerator(threads).generate(request(s, n), dir, (a, b, c, d) -> { }).seconds();
    } finally {
      List<Path> all = new ArrayList<>();
      try (Stream<Path> w = Files.walk(dir)) {
        w.sorted(Comparator.reverseOrder()).forEach(all::add);
      }
      for (Path p : all) {
        Files.deleteIfExists(p);
      }
    }
  }
}
