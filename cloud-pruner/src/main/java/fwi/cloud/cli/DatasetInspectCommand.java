package fwi.cloud.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fwi.cloud.data.DatasetSplit;
import fwi.cloud.data.OpenFwiDataset;
import fwi.cloud.synth.DatasetGenerator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code pruner dataset inspect}: what a dataset folder holds, checked. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
    description = {"Checks a folder of dataN.npy / modelN.npy pairs (shapes, pairing, sample counts) and prints its files, "
        + "the train/test split, velocity statistics over every model and amplitude statistics over the gathers.",
        "Gathers are sampled evenly (--data-samples) unless --full reads them all; files are memory-mapped, never loaded whole."})
final class DatasetInspectCommand extends CliCommand {
  @Parameters(index = "0", paramLabel = "DIR", description = "Dataset folder.")
  Path dir;

  @Option(names = "--json", description = "Print JSON instead of text.")
  boolean asJson;

  @Option(names = "--data-samples", defaultValue = "50",
      description = "Gathers to read for amplitude statistics, spread evenly (default: ${DEFAULT-VALUE}).")
  int dataSamples;

  @Option(names = "--full", description = "Read every gather for the amplitude statistics.")
  boolean full;

  @Override
  public Integer call() throws Exception {
    if (dataSamples < 1) {
      throw new IllegalArgumentException("--data-samples must be at least 1, but was " + dataSamples);
    }
    ObjectNode report = json().createObjectNode();
    report.put("folder", dir.toString());
    try (OpenFwiDataset ds = OpenFwiDataset.open(dir)) {
      List<Integer> numbers = ds.fileNumbers();
      long total = ds.sampleCount(numbers);
      long bytes = 0;
      ArrayNode files = report.putArray("files");
      for (int n : numbers) {
        OpenFwiDataset.Pair p = ds.pair(n).orElseThrow();
        bytes += Files.size(p.data().path()) + Files.size(p.model().path());
        ObjectNode f = files.addObject();
        f.put("number", n);
        f.put("samples", p.count());
        f.put("data_shape", p.data().shape().toString());
        f.put("model_shape", p.model().shape().toString());
      }
      report.put("samples", total);
      report.put("bytes", bytes);
      DatasetSplit split = numbers.get(numbers.size() - 1) > 48 ? DatasetSplit.openFwi(numbers)
          : DatasetSplit.fractions(numbers, 0.8, 0.1);
      ObjectNode sp = report.putObject("split");
      sp.put("rule", numbers.get(numbers.size() - 1) > 48 ? "openfwi: files 1-48 train, 49+ test" : "fractions 0.8 / 0.1 / 0.1 by file");
      sp.putPOJO("train", split.train());
      sp.putPOJO("validation", split.validation());
      sp.putPOJO("test", split.test());

      Stats vel = new Stats();
      for (int n : numbers) {
        OpenFwiDataset.Pair p = ds.pair(n).orElseThrow();
        for (int i = 0; i < p.count(); i++) {
          vel.add(p.model().samples(i, 1).data());
        }
      }
      vel.put(report.putObject("velocity_ms"));

      Stats amp = new Stats();
      long want = full ? total : Math.min(total, dataSamples);
      for (long k = 0; k < want; k++) {
        long global = want == total ? k : k * total / want;
        for (int n : numbers) {
          OpenFwiDataset.Pair p = ds.pair(n).orElseThrow();
          if (global < p.count()) {
            amp.add(p.data().samples((int) global, 1).data());
            break;
          }
          global -= p.count();
        }
      }
      ObjectNode a = report.putObject("amplitude");
      a.put("gathers_read", want);
      amp.put(a);
    }
    Path manifest = dir.resolve(DatasetGenerator.MANIFEST);
    if (Files.isRegularFile(manifest)) {
      report.set("generated", json().readTree(manifest.toFile()));
    }
    if (asJson) {
      out().println(json().writeValueAsString(report));
    } else {
      printText(report);
    }
    return 0;
  }

  private void printText(ObjectNode r) {
    var o = out();
    o.printf(Locale.ROOT, "dataset %s: %d samples in %d file pair(s), %.1f MB%n", r.get("folder").asText(),
        r.get("samples").asLong(), r.get("files").size(), r.get("bytes").asLong() / 1e6);
    JsonNode g = r.get("generated");
    if (g != null) {
      o.printf(Locale.ROOT, "generated: family %s, seed %d, %s absorber %d cells%n", g.path("family").asText(),
          g.path("seed").asLong(), g.path("absorber").asText(), g.path("absorber_cells").asInt());
    }
    o.printf("%-8s %8s  %-22s %-18s%n", "file", "samples", "data shape", "model shape");
    for (JsonNode f : r.get("files")) {
      o.printf("%-8s %8d  %-22s %-18s%n", "#" + f.get("number").asInt(), f.get("samples").asInt(),
          f.get("data_shape").asText(), f.get("model_shape").asText());
    }
    JsonNode sp = r.get("split");
    o.printf("split (%s): train %s, validation %s, test %s%n", sp.get("rule").asText(), sp.get("train"),
        sp.get("validation"), sp.get("test"));
    JsonNode v = r.get("velocity_ms");
    o.printf(Locale.ROOT, "velocity (m/s): min %.1f  max %.1f  mean %.1f  std %.1f  non-finite %d%n", v.get("min").asDouble(),
        v.get("max").asDouble(), v.get("mean").asDouble(), v.get("std").asDouble(), v.get("non_finite").asLong());
    JsonNode a = r.get("amplitude");
    o.printf(Locale.ROOT, "amplitude (%d gathers): min %.4f  max %.4f  mean %.5f  std %.4f  non-finite %d%n",
        a.get("gathers_read").asLong(), a.get("min").asDouble(), a.get("max").asDouble(), a.get("mean").asDouble(),
        a.get("std").asDouble(), a.get("non_finite").asLong());
  }

  /** Running min / max / mean / standard deviation of finite values, and a count of the others. */
  private static final class Stats {
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    double sum;
    double sumSq;
    long count;
    long nonFinite;

    void add(float[] values) {
      for (float f : values) {
        if (!Float.isFinite(f)) {
          nonFinite++;
          continue;
        }
        min = Math.min(min, f);
        max = Math.max(max, f);
        sum += f;
        sumSq += (double) f * f;
        count++;
      }
    }

    void put(ObjectNode o) {
      double mean = count == 0 ? 0 : sum / count;
      o.put("min", count == 0 ? 0 : min);
      o.put("max", count == 0 ? 0 : max);
      o.put("mean", mean);
      o.put("std", count == 0 ? 0 : Math.sqrt(Math.max(0, sumSq / count - mean * mean)));
      o.put("values", count);
      o.put("non_finite", nonFinite);
    }
  }
}
