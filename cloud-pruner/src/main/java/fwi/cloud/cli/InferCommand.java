package fwi.cloud.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fwi.runtime.npy.Npy;
import fwi.runtime.ort.ModelRunner;
import fwi.runtime.ort.RunnerOptions;
import fwi.runtime.stats.LatencySummary;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pruner infer}: runs a model on shot gathers from an {@code .npy} file and writes velocity maps. */
@Command(name = "infer", mixinStandardHelpOptions = true,
    description = "Runs an ONNX model on shot gathers (.npy, shaped [N,5,1000,70] or [5,1000,70]) with ONNX Runtime, "
        + "writes the velocity maps (.npy, [N,1,70,70], m/s) and reports latency.")
final class InferCommand extends CliCommand {
  @Option(names = "--model", required = true, description = "The .onnx file.")
  Path model;

  @Option(names = "--input", required = true, description = "Shot gathers, .npy float32 or float64.")
  Path input;

  @Option(names = "--out", description = "Where to write the velocity maps (default: <input>.velocity.npy).")
  Path out;

  @Option(names = "--threads", description = "ONNX Runtime intra-op threads (default: all cores).")
  Integer threads;

  @Option(names = "--batch", defaultValue = "1", description = "Samples per run (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--json", description = "Print a JSON summary instead of text.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    if (batch < 1) {
      throw new IllegalArgumentException("--batch must be at least 1, but was " + batch);
    }
    RunnerOptions options = threads == null ? RunnerOptions.defaults() : new RunnerOptions(threads);
    // [N,5,1000,70] files are memory-mapped and read a batch at a time (an OpenFWI file is 700 MB);
    // a single [5,1000,70] gather is small and read whole
    try (fwi.runtime.npy.NpyFile file = fwi.runtime.npy.NpyFile.open(input)) {
      Shape fileShape = file.shape();
      FloatTensor single = null;
      if (fileShape.rank() == 3) {
        int[] d = fileShape.dims();
        single = new FloatTensor(Shape.of(1, d[0], d[1], d[2]), file.samples(0, d[0]).data());
        fileShape = single.shape();
      }
      run(file, single, fileShape, options);
    }
    return 0;
  }

  private void run(fwi.runtime.npy.NpyFile file, FloatTensor single, Shape gathersShape, RunnerOptions options) throws Exception {
    Path target = out != null ? out : Path.of(input.toString().replaceFirst("\\.npy$", "") + ".velocity.npy");
    try (ModelRunner runner = ModelRunner.open(model, options)) {
      if (!runner.input().accepts(gathersShape)) {
        throw new IllegalArgumentException(input + ": input '" + runner.input().name() + "' must have shape "
            + runner.input().describeDims() + ", but was " + gathersShape);
      }
      int n = gathersShape.dim(0);
      float[] result = null;
      Shape outShape = null;
      long[] nanos = new long[(n + batch - 1) / batch];
      for (int start = 0, k = 0; start < n; start += batch, k++) {
        int b = Math.min(batch, n - start);
        FloatTensor chunk = single != null ? single : file.samples(start, b);
        int bad = chunk.firstNonFinite();
        if (bad >= 0) {
          int per = chunk.shape().elementCount() / b;
          throw new IllegalArgumentException(input + ": sample " + (start + bad / per) + " holds " + chunk.data()[bad]
              + " at flat index " + bad % per + "; inputs must be finite");
        }
        long t0 = System.nanoTime();
        FloatTensor y = runner.run(chunk);
        nanos[k] = System.nanoTime() - t0;
        if (result == null) {
          outShape = y.shape().withBatch(n);
          result = new float[outShape.elementCount()];
        }
        System.arraycopy(y.data(), 0, result, start * (y.data().length / b), y.data().length);
      }
      FloatTensor velocity = new FloatTensor(outShape, result);
      Npy.write(target, velocity);
      LatencySummary lat = LatencySummary.ofNanos(nanos);
      double min = Double.MAX_VALUE;
      double max = -Double.MAX_VALUE;
      double sum = 0;
      for (float v : result) {
        min = Math.min(min, v);
        max = Math.max(max, v);
        sum += v;
      }
      if (json) {
        ObjectMapper mapper = json();
        ObjectNode o = mapper.createObjectNode();
        o.put("samples", n);
        o.put("batch", batch);
        o.put("threads", options.intraOpThreads());
        o.put("output", target.toString());
        o.putPOJO("outputShape", outShape.dims());
        o.put("velocityMinMps", min);
        o.put("velocityMaxMps", max);
        o.put("velocityMeanMps", sum / result.length);
        o.putPOJO("latencyPerRun", lat);
        out().println(mapper.writeValueAsString(o));
      } else {
        out().printf(Locale.ROOT, "wrote %s: velocity %s, %.0f..%.0f m/s (mean %.0f)%n", target, outShape, min, max,
            sum / result.length);
        out().printf(Locale.ROOT, "latency per run of %d sample(s), %d thread(s), %d run(s): p50 %.1f ms, p95 %.1f ms,"
            + " max %.1f ms (first run includes warm-up)%n", batch, options.intraOpThreads(), lat.count(),
            lat.p50Us() / 1e3, lat.p95Us() / 1e3, lat.maxUs() / 1e3);
      }
    }
  }
}
