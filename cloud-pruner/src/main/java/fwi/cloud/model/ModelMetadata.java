package fwi.cloud.model;

/**
 * The {@code metadata_props} keys this project writes into every model. Devices and the pruner
 * read them; renaming one is a wire change.
 */
public final class ModelMetadata {
  private ModelMetadata() {}

  /** Architecture name, for example {@code InversionNet}. */
  public static final String NAME = "fwi.model.name";
  /** Monotonic model version (also ModelProto.model_version). */
  public static final String VERSION = "fwi.model.version";
  /** Width multiplier the model was built with; 1.0 is the published network. */
  public static final String WIDTH = "fwi.model.width";
  /** Seed of the initial weights. */
  public static final String SEED = "fwi.model.seed";
  /** sha256 of the model this one was derived from (pruned or trained from), or {@code none}. */
  public static final String PARENT_SHA256 = "fwi.model.parent_sha256";
  /** Name of the tensor where the prunable core begins (after input normalization). */
  public static final String CORE_INPUT = "fwi.core.input";
  /** Name of the tensor where the prunable core ends (before velocity de-normalization). */
  public static final String CORE_OUTPUT = "fwi.core.output";
  /** Seismic amplitude limits before the log transform (see {@link Normalization}). */
  public static final String SEISMIC_RAW_MIN = "fwi.norm.seismic_raw_min";
  public static final String SEISMIC_RAW_MAX = "fwi.norm.seismic_raw_max";
  /** Velocity de-normalization: {@code v = scale·v_n + offset}, m/s. */
  public static final String VELOCITY_SCALE_MPS = "fwi.norm.velocity_scale_mps";
  public static final String VELOCITY_OFFSET_MPS = "fwi.norm.velocity_offset_mps";
  /** Human-readable description of input and output layout and units. */
  public static final String IO = "fwi.io";
  /** {@code true} when BatchNormalization was folded into the convolutions before it (absent otherwise). */
  public static final String BN_FOLDED = "fwi.model.bn_folded";

  /** Value of {@link #PARENT_SHA256} for a model built from scratch. */
  public static final String NO_PARENT = "none";
}
