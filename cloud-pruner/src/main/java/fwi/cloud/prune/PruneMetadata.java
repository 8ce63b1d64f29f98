package fwi.cloud.prune;

/** The {@code metadata_props} keys a pruned model carries, beside {@link fwi.cloud.model.ModelMetadata}'s. */
public final class PruneMetadata {
  private PruneMetadata() {}

  /** sha256 of the unpruned model the pruning chain started from (kept across repeated pruning). */
  public static final String BASE_SHA256 = "fwi.prune.base_sha256";
  /** The plan as JSON: kind, settings, and channels before and after per group. */
  public static final String PLAN = "fwi.prune.plan";
  /** Ranking criterion: l1, l2, bn or random. */
  public static final String CRITERION = "fwi.prune.criterion";
  public static final String PARAMS_BEFORE = "fwi.prune.params_before";
  public static final String PARAMS_AFTER = "fwi.prune.params_after";
  public static final String MACS_BEFORE = "fwi.prune.macs_before";
  public static final String MACS_AFTER = "fwi.prune.macs_after";
}
