package fwi.cloud.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import ai.onnx.proto.OnnxMl.ModelProto;
import fwi.cloud.graph.ModelCounter;
import fwi.cloud.latency.Timing;
import fwi.cloud.model.ModelMetadata;
import fwi.cloud.model.OnnxModels;
import fwi.cloud.train.AdamW;
import fwi.cloud.train.DirectInversionNet;
import fwi.cloud.train.Torch;
import fwi.cloud.train.TorchGraph;
import fwi.runtime.tensor.Shape;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pruner train-bench}: training throughput of the ONNX executor against direct DJL calls. */
@Command(name = "train-bench", mixinStandardHelpOptions = true,
    description = {"Times training steps (forward, backward, AdamW) of an InversionNet two ways, interleaved step by "
        + "step so machine noise hits both alike: through the ONNX executor (TorchGraph), and as the same libtorch "
        + "calls written out directly (DirectInversionNet). The ratio is the executor's overhead. Also reports the "
        + "training arithmetic rate, counting a step as 3x the forward MACs."})
final class TrainBenchCommand extends CliCommand {
  @Option(names = "--model", required = true, description = "InversionNet .onnx (from 'pruner build', pruned or not).")
  Path model;

  @Option(names = "--batch-size", defaultValue = "16", description = "Samples per step (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--steps", defaultValue = "10", description = "Timed steps of each kind (default: ${DEFAULT-VALUE}).")
  int steps;

  @Option(names = "--warmup", defaultValue = "2", description = "Untimed steps of each kind first (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--threads", defaultValue = "2", description = "libtorch threads (default: ${DEFAULT-VALUE}).")
  int threads;

  @Option(names = "--json", description = "Print JSON.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    if (batchSize < 1 || steps < 1 || warmup < 0) {
      throw new IllegalArgumentException("--batch-size and --steps must be at least 1 and --warmup at least 0, but were "
          + batchSize + ", " + steps + ", " + warmup);
    }
    ModelProto m = OnnxModels.read(model);
    String core = OnnxModels.metadata(m, ModelMetadata.CORE_OUTPUT).orElse(m.getGraph().getOutput(0).getName());
    long macs = ModelCounter.count(m).macs();
    long[] executor = new long[steps];
    long[] direct = new long[steps];
    try (NDManager root = Torch.manager(threads); Torch.NoGrad noGrad = Torch.noGrad();
        TorchGraph g = TorchGraph.load(m, root);
        AdamW opt = new AdamW(root, 1e-4, 0.9, 0.999, 1e-4)) {
      DirectInversionNet d = new DirectInversionNet(m, g, core);
      Engine engine = Torch.engine(threads);
      NDArray x = Torch.array(root, Timing.noise(Shape.of(batchSize, 5, 1000, 70), 1)).mul(30f);
      NDArray y = Torch.array(root, Timing.noise(Shape.of(batchSize, 1, 70, 70), 2));
      Function<NDManager, NDArray> viaGraph = s -> g.run(x, core, true, s);
      Function<NDManager, NDArray> viaDirect = s -> d.forward(x, s);
      for (int i = 0; i < warmup + steps; i++) {
        long a = step(viaGraph, y, g, opt, engine, root);
        long b = step(viaDirect, y, g, opt, engine, root);
        if (i >= warmup) {
          executor[i - warmup] = a;
          direct[i - warmup] = b;
        }
      }
    }
    double ex = median(executor) / 1e9;
    double di = median(direct) / 1e9;
    Map<String, Object> j = new LinkedHashMap<>();
    j.put("model", model.toString());
    j.put("batch_size", batchSize);
    j.put("threads", threads);
    j.put("forward_macs_per_sample", macs);
    j.put("executor_step_seconds_p50", ex);
    j.put("direct_step_seconds_p50", di);
    j.put("executor_samples_per_second", batchSize / ex);
    j.put("direct_samples_per_second", batchSize / di);
    j.put("executor_overhead", ex / di - 1);
    j.put("executor_training_gmacs_per_second", 3.0 * macs * batchSize / ex / 1e9);
    if (json) {
      json().writeValue(out(), j);
      out().println();
    } else {
      out().printf(Locale.ROOT, "%s, batch %d, %d thread(s), %d timed steps each (median):%n", model.getFileName(),
          batchSize, threads, steps);
      out().printf(Locale.ROOT, "  executor (ONNX graph): %8.1f ms/step  %7.2f samples/s%n", ex * 1e3, batchSize / ex);
      out().printf(Locale.ROOT, "  direct DJL calls:      %8.1f ms/step  %7.2f samples/s%n", di * 1e3, batchSize / di);
      out().printf(Locale.ROOT, "  executor overhead %+.1f %%; training rate %.1f G MAC/s (3 x %d forward MACs per sample)%n",
          100 * (ex / di - 1), 3.0 * macs * batchSize / ex / 1e9, macs);
    }
    return 0;
  }

  private static long step(Function<NDManager, NDArray> forward, NDArray y, TorchGraph g, AdamW opt, Engine engine,
      NDManager root) {
    long t0 = System.nanoTime();
    try (NDManager s = root.newSubManager()) {
      try (GradientCollector gc = engine.newGradientCollector()) {
        NDArray pred = forward.apply(s);
        NDArray diff = pred.sub(y);
        NDArray loss = diff.abs().mean().add(diff.square().mean());
        loss.attach(s);
        gc.backward(loss);
      }
      opt.update(g.parameters());
    }
    return System.nanoTime() - t0;
  }

  private static double median(long[] v) {
    long[] c = v.clone();
    Arrays.sort(c);
    return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2.0;
  }
}
