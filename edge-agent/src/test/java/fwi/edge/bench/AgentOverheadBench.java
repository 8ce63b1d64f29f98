package fwi.edge.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import fwi.edge.inference.Inference;
import fwi.edge.inference.ModelInfo;
import fwi.edge.telemetry.Reports;
import fwi.proto.v1.VelocityEncoding;
import fwi.runtime.ort.ModelRunner;
import fwi.runtime.ort.RunnerOptions;
import fwi.runtime.stats.LatencySummary;
import fwi.runtime.tensor.FloatTensor;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Benchmark, not a test: the agent's time per inference against a bare ONNX Runtime session run on the
 * same model, interleaved run by run so machine noise hits both alike. Runs only when
 * {@code -Dfwi.bench.model=<model.onnx>} is given (deploy/bin/bench-agent does); prints its figures.
 *
 * <ul>
 *   <li>bare run: {@code OrtSession.run} on a tensor created once (the session alone);
 *   <li>bare call: create the input tensor from a Java array, run, copy the output out (the least any
 *       Java caller does);
 *   <li>agent: {@link Inference#infer} (shape and finite checks, run, output check, latency
 *       bookkeeping, listeners) plus the result message with a float16 map serialized, which is what
 *       the publisher appends to its outbox.
 * </ul>
 */
@EnabledIfSystemProperty(named = "fwi.bench.model", matches = ".+")
class AgentOverheadBench {
  @Test
  void agentAgainstBareSessionRun() throws Exception {
    Path model = Path.of(System.getProperty("fwi.bench.model"));
    int threads = Integer.getInteger("fwi.bench.threads", Runtime.getRuntime().availableProcessors());
    int runs = Integer.getInteger("fwi.bench.runs", 30);
    // Two sessions share the cores here: a spinning pool of one would steal cycles from the other.
    boolean spinning = Boolean.getBoolean("fwi.bench.spinning");
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.setIntraOpNumThreads(threads);
      so.setInterOpNumThreads(1);
      so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      if (!spinning) {
        so.addConfigEntry("session.intra_op.allow_spinning", "0");
      }
      try (OrtSession bare = env.createSession(model.toString(), so);
          Inference agent = new Inference(1, 1L << 30, 1024)) {
        ModelRunner runner = ModelRunner.open(model, new RunnerOptions(threads, spinning));
        FloatTensor x = FloatTensor.zeros(Inference.concrete(runner.input()));
        SplittableRandom r = new SplittableRandom(7);
        float[] d = x.data();
        for (int i = 0; i < d.length; i++) {
          d[i] = (float) (r.nextGaussian() * 3);
        }
        agent.install(runner, new ModelInfo("bench", 1, "0".repeat(64)));
        String inName = bare.getInputNames().iterator().next();
        long[] shape = x.shape().toLongArray();
        try (OnnxTensor fixed = OnnxTensor.createTensor(env, FloatBuffer.wrap(d), shape)) {
          for (int w = 0; w < 3; w++) {
            bare.run(Map.of(inName, fixed)).close();
            agent.infer("warm", x, System.nanoTime(), 0);
          }
          long[] tRun = new long[runs];
          long[] tCall = new long[runs];
          long[] tAgent = new long[runs];
          long[] tAgentRun = new long[runs];
          int bytes = 0;
          for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            bare.run(Map.of(inName, fixed)).close();
            tRun[i] = System.nanoTime() - t0;

            t0 = System.nanoTime();
            try (OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(d), shape);
                OrtSession.Result out = bare.run(Map.of(inName, in))) {
              FloatBuffer fb = ((OnnxTensor) out.get(0)).getFloatBuffer();
              float[] v = new float[fb.remaining()];
              fb.get(v);
            }
            tCall[i] = System.nanoTime() - t0;

            t0 = System.nanoTime();
            Inference.Outcome o = agent.infer("bench-" + i, x, t0, System.currentTimeMillis());
            bytes = Reports.result(o, VelocityEncoding.VELOCITY_ENCODING_FLOAT16).build().toByteArray().length;
            tAgent[i] = System.nanoTime() - t0;
            tAgentRun[i] = o.inferenceNanos();
          }
          LatencySummary run = LatencySummary.ofNanos(tRun);
          LatencySummary call = LatencySummary.ofNanos(tCall);
          LatencySummary ag = LatencySummary.ofNanos(tAgent);
          LatencySummary agRun = LatencySummary.ofNanos(tAgentRun);
          System.out.printf("agent overhead bench: model %s, %d threads (spinning %s), %d interleaved runs, result message %d bytes%n",
              model.getFileName(), threads, spinning, runs, bytes);
          System.out.printf("  %-34s p50 %9.2f ms  mean %9.2f ms%n", "bare OrtSession.run", run.p50Us() / 1e3,
              run.meanUs() / 1e3);
          System.out.printf("  %-34s p50 %9.2f ms  mean %9.2f ms%n", "bare call (tensor in, copy out)",
              call.p50Us() / 1e3, call.meanUs() / 1e3);
          System.out.printf("  %-34s p50 %9.2f ms  mean %9.2f ms%n", "agent session run (as it reports)",
              agRun.p50Us() / 1e3, agRun.meanUs() / 1e3);
          System.out.printf("  %-34s p50 %9.2f ms  mean %9.2f ms%n", "agent end to end (+ result message)",
              ag.p50Us() / 1e3, ag.meanUs() / 1e3);
          System.out.printf("  agent / bare run: p50 %+.2f %%, mean %+.2f %%%n", 100.0 * (ag.p50Us() - run.p50Us()) / run.p50Us(),
              100.0 * (ag.meanUs() - run.meanUs()) / run.meanUs());
          System.out.printf("  agent / bare call: p50 %+.2f %%, mean %+.2f %%%n",
              100.0 * (ag.p50Us() - call.p50Us()) / call.p50Us(), 100.0 * (ag.meanUs() - call.meanUs()) / call.meanUs());
        }
      }
    }
  }
}
