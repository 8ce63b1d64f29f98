package fwi.cloud.train;

import java.util.List;

/**
 * Everything a killed training job needs to continue where it stopped, saved as
 * {@code state.json} in the checkpoint folder next to the model and optimizer files it names.
 *
 * @param format file format version ({@link Checkpoint#FORMAT})
 * @param baseSha256 sha256 of the model training started from: a checkpoint resumes only the same job
 * @param config the run's settings
 * @param trainFiles dataset file numbers trained on
 * @param validationFiles dataset file numbers validated on
 * @param epochsDone finished epochs
 * @param batchesDone finished batches of the epoch in progress
 * @param step optimizer steps so far
 * @param epochLossSum loss summed over the samples of the epoch in progress
 * @param epochSamples samples of the epoch in progress
 * @param epochTrainNanos training time of the epoch in progress
 * @param bestValidationLoss lowest validation loss so far ({@code Double.MAX_VALUE} before the first epoch)
 * @param bestEpoch the epoch that reached it (0 before the first epoch)
 * @param history finished epochs
 * @param trainNanos training time over all finished and partial epochs
 * @param skippedSamples samples left out because they held NaN or infinite values
 * @param modelFile file in the folder holding the current weights
 * @param optimizerFile file in the folder holding AdamW's moments
 */
public record TrainingState(int format, String baseSha256, TrainingConfig config, List<Integer> trainFiles,
    List<Integer> validationFiles, int epochsDone, int batchesDone, long step, double epochLossSum, long epochSamples,
    long epochTrainNanos, double bestValidationLoss, int bestEpoch, List<EpochReport> history, long trainNanos,
    long skippedSamples, String modelFile, String optimizerFile) {
  public TrainingState {
    trainFiles = List.copyOf(trainFiles);
    validationFiles = List.copyOf(validationFiles);
    history = List.copyOf(history);
  }
}
