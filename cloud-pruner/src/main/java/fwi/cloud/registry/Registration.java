package fwi.cloud.registry;

import fwi.proto.v1.ModelRef;
import fwi.proto.v1.PrunePlanSummary;
import fwi.proto.v1.QualityMetrics;
import java.util.Optional;

/**
 * What the caller knows about a model beyond its bytes, recorded with it and signed into its
 * manifests.
 *
 * @param quality accuracy on the evaluation set; empty if not evaluated
 * @param plan pruning summary from the job (job id, predicted latency, fine-tune epochs,
 *     retrained, ...); its set fields take precedence over what the registry derives from the
 *     file's {@code fwi.prune.*} metadata, and its layers replace the derived ones if it has any
 * @param baseModel the model the pruning started from; empty to derive it from
 *     {@code fwi.prune.base_sha256} (looked up among registered models)
 */
public record Registration(Optional<QualityMetrics> quality, Optional<PrunePlanSummary> plan,
    Optional<ModelRef> baseModel) {
  public Registration {
    if (quality == null || plan == null || baseModel == null) {
      throw new IllegalArgumentException("quality, plan and base model must be Optionals, but one was null");
    }
    quality.ifPresent(Registration::checkQuality);
    plan.ifPresent(p -> {
      if (!(p.getChannelRatio() >= 0 && p.getChannelRatio() < 1)) {
        throw new IllegalArgumentException("plan channel_ratio must be in [0, 1), but was " + p.getChannelRatio());
      }
    });
    baseModel.ifPresent(b -> {
      if (b.getSha256().size() != Sha256.BYTES) {
        throw new IllegalArgumentException("base model sha256 must be " + Sha256.BYTES + " bytes, but was "
            + b.getSha256().size());
      }
    });
  }

  /** Nothing beyond the bytes. */
  public static Registration none() {
    return new Registration(Optional.empty(), Optional.empty(), Optional.empty());
  }

  public Registration withQuality(QualityMetrics q) {
    return new Registration(Optional.of(q), plan, baseModel);
  }

  public Registration withPlan(PrunePlanSummary p) {
    return new Registration(quality, Optional.of(p), baseModel);
  }

  public Registration withBaseModel(ModelRef b) {
    return new Registration(quality, plan, Optional.of(b));
  }

  private static void checkQuality(QualityMetrics q) {
    if (!(q.getMaeMPerS() >= 0) || Double.isInfinite(q.getMaeMPerS())) {
      throw new IllegalArgumentException("quality mae_m_per_s must be finite and at least 0, but was " + q.getMaeMPerS());
    }
    if (!(q.getRmseMPerS() >= 0) || Double.isInfinite(q.getRmseMPerS())) {
      throw new IllegalArgumentException("quality rmse_m_per_s must be finite and at least 0, but was "
          + q.getRmseMPerS());
    }
    if (!(q.getSsim() >= -1 && q.getSsim() <= 1)) {
      throw new IllegalArgumentException("quality ssim must be in [-1, 1], but was " + q.getSsim());
    }
  }
}
