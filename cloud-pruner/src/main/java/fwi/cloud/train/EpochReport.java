package fwi.cloud.train;

/**
 * One finished epoch.
 *
 * @param epoch 1-based
 * @param trainLoss mean training loss (L1 and MSE as weighted) over the epoch's samples
 * @param validationLoss the same loss on the validation files, eval mode
 * @param mae validation MAE on normalized velocity
 * @param rmse validation RMSE on normalized velocity
 * @param ssim validation SSIM (11x11 Gaussian window, values mapped to [0, 1])
 * @param samples training samples seen in the epoch
 * @param trainSeconds wall time of the training steps alone
 * @param validationSeconds wall time of the validation pass
 * @param samplesPerSecond training samples per second of {@code trainSeconds}
 * @param best whether this epoch set a new best validation loss
 */
public record EpochReport(int epoch, double trainLoss, double validationLoss, double mae, double rmse, double ssim,
    long samples, double trainSeconds, double validationSeconds, double samplesPerSecond, boolean best) {
}
