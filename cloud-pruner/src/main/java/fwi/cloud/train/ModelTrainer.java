package fwi.cloud.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import ai.onnx.proto.OnnxMl.ModelProto;
import fwi.cloud.model.InvalidModelException;
import fwi.cloud.model.OnnxModels;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Trains the weights of an ONNX InversionNet (or any single-input graph the executor runs) on
 * a dataset folder, in Java, on libtorch: mini-batch AdamW on L1 + MSE against the normalized
 * velocity, validation after every epoch (loss, MAE, RMSE, SSIM), the best epoch kept, and a
 * resumable checkpoint after every epoch (and every {@link TrainingConfig#checkpointEverySteps()}
 * steps). The loss is taken at the model's normalized output (metadata {@code fwi.core.output},
 * else the graph output), the target normalized with the model's own velocity scale and offset.
 *
 * <p>Deterministic on CPU for a given seed and thread count: epoch orders come from the seed,
 * weights from the model. Not thread-safe; one run at a time.
 */
public final class ModelTrainer {
  /** Receives progress; called on the training thread, so keep it quick. */
  public interface Listener {
    default void progress(Progress p) {
    }

    default void epoch(EpochReport r) {
    }

    default void warning(String message) {
    }
  }

  /**
   * Progress after a batch.
   *
   * @param loss mean training loss of the epoch so far
   * @param samplesPerSecond training throughput of this run so far (steps only)
   */
  public record Progress(int epoch, int epochs, int batch, int batches, long samplesDone, long samplesTotal, double loss,
      double samplesPerSecond, long elapsedNanos) {
  }

  /**
   * What a run produced.
   *
   * @param best weights of the epoch with the lowest validation loss
   * @param last weights after the last epoch
   * @param resumed whether the run continued a checkpoint
   */
  public record Result(ModelProto best, ModelProto last, List<EpochReport> epochs, int bestEpoch,
      double bestValidationLoss, double trainSeconds, double samplesPerSecond, long steps, long skippedSamples,
      boolean resumed, long parameters) {
  }

  private final TrainingConfig config;
  private final Listener listener;

  public ModelTrainer(TrainingConfig config, Listener listener) {
    this.config = config;
    this.listener = listener;
  }

  /**
   * Trains {@code start}, or continues the job saved in {@code checkpoint}.
   *
   * @throws IllegalArgumentException if the sets are empty, the data does not fit the model's
   *     input, or a checkpoint belongs to another job (the message names what differs)
   * @throws IllegalStateException if the loss becomes NaN or infinite (naming epoch and step; the
   *     checkpoint keeps the last good state)
   * @throws InvalidModelException if the executor cannot run the model
   */
  public Result train(ModelProto start, SampleSet train, List<Integer> trainFiles, SampleSet validation,
      List<Integer> validationFiles, Optional<Checkpoint> checkpoint) throws IOException, InvalidModelException {
    if (train.count() == 0 || validation.count() == 0) {
      throw new IllegalArgumentException("training needs samples to train and to validate on, but has "
          + train.count() + " training and " + validation.count() + " validation samples");
    }
    String sha = OnnxModels.sha256(start.toByteArray());
    TrainingState state = new TrainingState(Checkpoint.FORMAT, sha, config, trainFiles, validationFiles, 0, 0, 0, 0, 0,
        0, Double.MAX_VALUE, 0, List.of(), 0, 0, "", "");
    ModelProto model = start;
    Optional<ModelProto> best = Optional.empty();
    boolean resumed = false;
    if (checkpoint.isPresent()) {
      Optional<TrainingState> saved = checkpoint.get().state();
      if (saved.isPresent()) {
        checkCompatible(saved.get(), sha, trainFiles, validationFiles);
        state = saved.get();
        model = checkpoint.get().model(state);
        best = checkpoint.get().best();
        resumed = true;
      }
    }
    Targets targets = Targets.of(model);
    long runStart = System.nanoTime();
    try (NDManager root = Torch.manager(config.threads());
        Torch.NoGrad noGrad = Torch.noGrad();
        TorchGraph g = TorchGraph.load(model, root);
        AdamW opt = new AdamW(root, config.learningRate(), config.beta1(), config.beta2(), config.weightDecay())) {
      if (resumed && state.step() > 0) {
        opt.restore(state.step(), checkpoint.get().moments(state), g.parameters());
      }
      Engine engine = Torch.engine(config.threads());
      int batches = (train.count() + config.batchSize() - 1) / config.batchSize();
      long samplesTotal = (long) train.count() * config.epochs();
      long runSamples = 0;
      long runTrainNanos = 0;
      for (int epoch = state.epochsDone() + 1; epoch <= config.epochs(); epoch++) {
        int[] order = train.order(config.seed(), epoch);
        double lossSum = state.epochLossSum();
        long epochSamples = state.epochSamples();
        long epochNanos = state.epochTrainNanos();
        long skipped = state.skippedSamples();
        for (int b = state.batchesDone(); b < batches; b++) {
          SampleSet.Batch batch = train.read(order, b * config.batchSize(),
              Math.min(train.count(), (b + 1) * config.batchSize()));
          for (String s : batch.skipped()) {
            listener.warning("skipped " + s + ": it holds NaN or infinite values");
          }
          skipped += batch.skipped().size();
          long t0 = System.nanoTime();
          if (batch.size() > 0) {
            double loss = step(g, opt, engine, root, batch, targets, epoch, b, (long) batches * config.epochs());
            lossSum += loss * batch.size();
            epochSamples += batch.size();
          }
          long dt = System.nanoTime() - t0;
          epochNanos += dt;
          runTrainNanos += dt;
          runSamples += batch.size();
          long done = (long) (epoch - 1) * train.count() + Math.min(train.count(), (long) (b + 1) * config.batchSize());
          listener.progress(new Progress(epoch, config.epochs(), b + 1, batches, done, samplesTotal,
              lossSum / Math.max(1, epochSamples), runSamples / Math.max(1e-9, runTrainNanos / 1e9),
              System.nanoTime() - runStart));
          state = new TrainingState(Checkpoint.FORMAT, sha, config, trainFiles, validationFiles, epoch - 1, b + 1,
              opt.step(), lossSum, epochSamples, epochNanos, state.bestValidationLoss(), state.bestEpoch(),
              state.history(), state.trainNanos() + dt, skipped, state.modelFile(), state.optimizerFile());
          if (checkpoint.isPresent() && config.checkpointEverySteps() > 0 && b + 1 < batches
              && opt.step() % config.checkpointEverySteps() == 0) {
            state = checkpoint.get().save(state, g.export(), opt.state(), Optional.empty());
          }
        }
        long v0 = System.nanoTime();
        Validation.Outcome val = Validation.run(g, root, validation, targets, config.batchSize(), config.l1Weight(),
            config.mseWeight());
        double valSeconds = (System.nanoTime() - v0) / 1e9;
        boolean isBest = val.loss() < state.bestValidationLoss();
        EpochReport report = new EpochReport(epoch, lossSum / Math.max(1, epochSamples), val.loss(), val.metrics().maeNorm(),
            val.metrics().rmseNorm(), val.metrics().ssim(), epochSamples, epochNanos / 1e9, valSeconds,
            epochSamples / Math.max(1e-9, epochNanos / 1e9), isBest);
        List<EpochReport> history = new ArrayList<>(state.history());
        history.add(report);
        ModelProto current = g.export();
        if (isBest) {
          best = Optional.of(current);
        }
        state = new TrainingState(Checkpoint.FORMAT, sha, config, trainFiles, validationFiles, epoch, 0, opt.step(), 0, 0,
            0, isBest ? val.loss() : state.bestValidationLoss(), isBest ? epoch : state.bestEpoch(), history,
            state.trainNanos(), skipped, state.modelFile(), state.optimizerFile());
        if (checkpoint.isPresent()) {
          state = checkpoint.get().save(state, current, opt.state(), isBest ? best : Optional.empty());
        }
        listener.epoch(report);
      }
      ModelProto last = g.export();
      double trainSeconds = state.trainNanos() / 1e9;
      long allSamples = state.history().stream().mapToLong(EpochReport::samples).sum();
      return new Result(best.orElse(last), last, state.history(), state.bestEpoch(), state.bestValidationLoss(),
          trainSeconds, allSamples / Math.max(1e-9, trainSeconds), opt.step(), state.skippedSamples(), resumed,
          g.parameterCount());
    }
  }

  /** One optimizer step; returns the batch's loss. */
  private double step(TorchGraph g, AdamW opt, Engine engine, NDManager root, SampleSet.Batch batch, Targets targets,
      int epoch, int b, long totalSteps) {
    try (NDManager step = root.newSubManager()) {
      NDArray x = Torch.array(step, batch.gatherTensor());
      NDArray y = Torch.array(step, targets.normalize(batch.velocityTensor()));
      double value;
      try (GradientCollector gc = engine.newGradientCollector()) {
        NDArray pred = g.run(x, targets.output(), true, step);
        NDArray loss = Validation.loss(pred, y, config.l1Weight(), config.mseWeight());
        value = loss.getFloat();
        if (!Double.isFinite(value)) {
          throw new IllegalStateException("training loss became " + value + " at epoch " + epoch + ", batch " + (b + 1)
              + " (step " + (opt.step() + 1) + "); try a lower learning rate than " + config.learningRate());
        }
        gc.backward(loss);
      }
      opt.update(g.parameters(), config.lrFactor(opt.step(), totalSteps));
      return value;
    }
  }

  private void checkCompatible(TrainingState s, String sha, List<Integer> trainFiles, List<Integer> validationFiles) {
    List<String> diffs = new ArrayList<>();
    if (!s.baseSha256().equals(sha)) {
      diffs.add("start model sha256 " + s.baseSha256() + " vs " + sha);
    }
    TrainingConfig c = s.config();
    TrainingConfig mine = config.withEpochs(c.epochs()).withThreads(c.threads())
        .withCheckpointEverySteps(c.checkpointEverySteps());
    if (!c.equals(mine)) {
      diffs.add("settings " + c + " vs " + config);
    } else if (c.schedule() == TrainingConfig.Schedule.COSINE && c.epochs() != config.epochs()) {
      diffs.add("epochs " + c.epochs() + " vs " + config.epochs() + " under a cosine schedule, which spans the whole run");
    }
    if (!s.trainFiles().equals(trainFiles)) {
      diffs.add("training files " + s.trainFiles() + " vs " + trainFiles);
    }
    if (!s.validationFiles().equals(validationFiles)) {
      diffs.add("validation files " + s.validationFiles() + " vs " + validationFiles);
    }
    if (!diffs.isEmpty()) {
      throw new IllegalArgumentException("the checkpoint belongs to another training job: " + String.join("; ", diffs)
          + " (use another checkpoint folder, or delete this one to start over)");
    }
  }
}
