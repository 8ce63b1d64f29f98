package fwi.cloud.train;

/**
 * Settings of one training run. Defaults ({@link #reference()}) are the OpenFWI InversionNet recipe:
 * L1 + MSE each weighted 1, AdamW with learning rate 1e-4, betas (0.9, 0.999), weight decay 1e-4,
 * constant rate, batch 256, 120 epochs.
 *
 * @param epochs passes over the training files, at least 1
 * @param batchSize samples per gradient step, at least 1
 * @param learningRate AdamW step size, positive
 * @param beta1 first-moment decay, in [0, 1)
 * @param beta2 second-moment decay, in [0, 1)
 * @param weightDecay decoupled weight decay per unit learning rate, at least 0
 * @param l1Weight weight of the mean absolute error in the loss, at least 0
 * @param mseWeight weight of the mean squared error in the loss, at least 0 (not both 0)
 * @param seed orders the samples of each epoch (the same seed gives the same run on CPU)
 * @param threads libtorch intra-op threads, at least 1
 * @param checkpointEverySteps also save a resumable checkpoint every this many steps inside an
 *     epoch (0: only at epoch ends)
 * @param schedule learning rate over the run: constant (the reference) or cosine decay to 0 at the
 *     last step, which ends a short run on settled weights instead of wherever the last noisy
 *     step left them; absent in older checkpoints, read as constant
 */
public record TrainingConfig(int epochs, int batchSize, double learningRate, double beta1, double beta2,
    double weightDecay, double l1Weight, double mseWeight, long seed, int threads, int checkpointEverySteps,
    Schedule schedule) {
  /** Learning-rate schedule. */
  public enum Schedule {
    CONSTANT,
    COSINE
  }

  public TrainingConfig {
    if (schedule == null) {
      schedule = Schedule.CONSTANT;
    }
    positive("epochs", epochs);
    positive("batch size", batchSize);
    positive("threads", threads);
    if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
      throw new IllegalArgumentException("learning rate must be positive and finite, but was " + learningRate);
    }
    unitInterval("beta1", beta1);
    unitInterval("beta2", beta2);
    nonNegative("weight decay", weightDecay);
    nonNegative("L1 loss weight", l1Weight);
    nonNegative("MSE loss weight", mseWeight);
    if (l1Weight == 0 && mseWeight == 0) {
      throw new IllegalArgumentException("L1 and MSE loss weights cannot both be 0");
    }
    if (checkpointEverySteps < 0) {
      throw new IllegalArgumentException("checkpoint interval must be at least 0 steps, but was " + checkpointEverySteps);
    }
  }

  /** The reference recipe on 2 threads. */
  public static TrainingConfig reference() {
    return new TrainingConfig(120, 256, 1e-4, 0.9, 0.999, 1e-4, 1.0, 1.0, 0, 2, 0, Schedule.CONSTANT);
  }

  public TrainingConfig withEpochs(int e) {
    return new TrainingConfig(e, batchSize, learningRate, beta1, beta2, weightDecay, l1Weight, mseWeight, seed, threads,
        checkpointEverySteps, schedule);
  }

  public TrainingConfig withBatchSize(int b) {
    return new TrainingConfig(epochs, b, learningRate, beta1, beta2, weightDecay, l1Weight, mseWeight, seed, threads,
        checkpointEverySteps, schedule);
  }

  public TrainingConfig withLearningRate(double lr) {
    return new TrainingConfig(epochs, batchSize, lr, beta1, beta2, weightDecay, l1Weight, mseWeight, seed, threads,
        checkpointEverySteps, schedule);
  }

  public TrainingConfig withLossWeights(double l1, double mse) {
    return new TrainingConfig(epochs, batchSize, learningRate, beta1, beta2, weightDecay, l1, mse, seed, threads,
        checkpointEverySteps, schedule);
  }

  public TrainingConfig withWeightDecay(double wd) {
    return new TrainingConfig(epochs, batchSize, learningRate, beta1, beta2, wd, l1Weight, mseWeight, seed, threads,
        checkpointEverySteps, schedule);
  }

  public TrainingConfig withSeed(long s) {
    return new TrainingConfig(epochs, batchSize, learningRate, beta1, beta2, weightDecay, l1Weight, mseWeight, s, threads,
        checkpointEverySteps, schedule);
  }

  public TrainingConfig withThreads(int t) {
    return new TrainingConfig(epochs, batchSize, learningRate, beta1, beta2, weightDecay, l1Weight, mseWeight, seed, t,
        checkpointEverySteps, schedule);
  }

  public TrainingConfig withCheckpointEverySteps(int steps) {
    return new TrainingConfig(epochs, batchSize, learningRate, beta1, beta2, weightDecay, l1Weight, mseWeight, seed,
        threads, steps, schedule);
  }

  public TrainingConfig withSchedule(Schedule sc) {
    return new TrainingConfig(epochs, batchSize, learningRate, beta1, beta2, weightDecay, l1Weight, mseWeight, seed,
        threads, checkpointEverySteps, sc);
  }

  /** Factor on the learning rate for step {@code step} (0-based) of {@code total}. */
  public double lrFactor(long step, long total) {
    return schedule == Schedule.COSINE ? 0.5 * (1 + Math.cos(Math.PI * Math.min(step, total) / Math.max(1, total))) : 1;
  }

  private static void positive(String name, int v) {
    if (v < 1) {
      throw new IllegalArgumentException(name + " must be at least 1, but was " + v);
    }
  }

  private static void nonNegative(String name, double v) {
    if (!(v >= 0) || Double.isInfinite(v)) {
      throw new IllegalArgumentException(name + " must be finite and at least 0, but was " + v);
    }
  }

  private static void unitInterval(String name, double v) {
    if (!(v >= 0 && v < 1)) {
      throw new IllegalArgumentException(name + " must be in [0, 1), but was " + v);
    }
  }
}
