package fwi.cloud.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.cloud.data.OpenFwiDataset;
import fwi.cloud.model.OnnxModels;
import fwi.cloud.prune.Criterion;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompressorTest {
  private static final TrainingConfig TRAIN = TrainingConfig.reference().withBatchSize(4).withLearningRate(1e-3)
      .withSeed(9).withThreads(2);

  @TempDir
  Path tmp;

  @Test
  void progressivePruningFineTunesAfterEveryStepAndSkipsRetrainingUnderTheThreshold() throws Exception {
    Compressor.Report r = compress(settings(Compressor.Retrain.AUTO, 1e6, true));
    assertEquals("finetune", r.method());
    assertFalse(r.retrained());
    assertEquals(r.before().validationLoss() * (1 + 1e6), r.thresholdLoss(), 1e-6 * r.thresholdLoss());
    assertEquals(List.of("evaluate base", "prune (2 steps)", "finetune step 1/2", "finetune step 2/2",
        "evaluate finetuned"), r.phases().stream().map(Compressor.Phase::name).toList());
    assertTrue(r.after().params() < 0.3 * r.before().params(), r.after() + " vs " + r.before());
    assertTrue(r.after().macs() < 0.3 * r.before().macs());
    assertTrue(r.after().latencyMsP50() > 0 && r.before().latencyMsP50() > 0);
    assertEquals("finetune", OnnxModels.metadata(r.model(), "fwi.train.method").orElseThrow());
    assertEquals(70 * 70, TrainFixtures.ort(r.model(), TrainFixtures.gathers(1, 1)).length);
  }

  @Test
  void aLossAboveTheAbsoluteThresholdRetrainsFromScratchAndKeepsTheBetter() throws Exception {
    Compressor.Report r = compress(settings(Compressor.Retrain.AUTO, 0, false));
    assertTrue(r.retrained());
    assertTrue(r.phases().stream().anyMatch(p -> p.name().equals("retrain")));
    double ft = r.phases().stream().filter(p -> p.name().equals("evaluate finetuned")).findFirst().orElseThrow()
        .validationLoss().orElseThrow();
    double rt = r.phases().stream().filter(p -> p.name().equals("evaluate retrained")).findFirst().orElseThrow()
        .validationLoss().orElseThrow();
    assertEquals(Math.min(ft, rt), r.after().validationLoss(), 1e-9);
    assertEquals(rt < ft ? "retrain" : "finetune", r.method());
  }

  @Test
  void pruningAtInitializationMeetsTheUniformPlansMacsAndTrainsOnce() throws Exception {
    Path data = ToyData.write(tmp.resolve("d"), 3, 4, 12);
    try (OpenFwiDataset ds = OpenFwiDataset.open(data)) {
      Compressor c = new Compressor(settings(Compressor.Retrain.NEVER, 0, false), new ModelTrainer.Listener() {},
          tmp.resolve("work"));
      Compressor.Report r = c.pruneAtInit(ModelTrainerTest.start(), data(ds), TrainFixtures.gathers(2, 4));
      assertEquals("prune-at-init", r.method());
      assertTrue(r.architectureSeconds() > 0 && r.architectureSeconds() < 60, "" + r.architectureSeconds());
      Compressor.Report uniform = compress(settings(Compressor.Retrain.NEVER, 0, false));
      assertTrue(r.after().macs() <= uniform.after().macs() * 1.02, r.after().macs() + " vs " + uniform.after().macs());
      assertEquals(List.of("evaluate base", "prune at init (sensitivities, plan, prune)", "train pruned-at-init",
          "evaluate"), r.phases().stream().map(Compressor.Phase::name).toList());
    }
  }

  private Compressor.Report compress(Compressor.Settings s) throws Exception {
    Path data = ToyData.write(tmp.resolve("d" + System.nanoTime()), 3, 4, 11);
    try (OpenFwiDataset ds = OpenFwiDataset.open(data)) {
      return new Compressor(s, new ModelTrainer.Listener() {}, tmp.resolve("w" + System.nanoTime()))
          .compress(ModelTrainerTest.start(), data(ds));
    }
  }

  private static Compressor.Data data(OpenFwiDataset ds) {
    return new Compressor.Data(new SampleSet(ds, List.of(1, 2)), List.of(1, 2), new SampleSet(ds, List.of(3)), List.of(3));
  }

  private static Compressor.Settings settings(Compressor.Retrain retrain, double threshold, boolean relative) {
    return new Compressor.Settings(0.5, 2, Criterion.L1, 1, 1, retrain, threshold, relative, 1, TRAIN, 3, 1e-3, 0);
  }
}
