package fwi.cloud.prune;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** How channels are ranked for removal; the lowest-scoring channels of a group go first. */
public enum Criterion {
  /** ℓ1 norm of each channel's filters, summed over the group's producing layers (Li et al.; the paper's choice). */
  L1,
  /** ℓ2 norm of each channel's filters, taken over all the group's producing layers together. */
  L2,
  /** |γ| of the BatchNormalization scale, summed over the group's BatchNorms (network slimming). */
  BN,
  /** A seeded random score: the baseline every criterion must beat. */
  RANDOM;

  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@code l1}, {@code l2}, {@code bn} or {@code random}. */
  public static Criterion parse(String s) {
    for (Criterion c : values()) {
      if (c.cliName().equals(s)) {
        return c;
      }
    }
    throw new IllegalArgumentException("criterion must be one of "
        + Arrays.stream(values()).map(Criterion::cliName).collect(Collectors.joining(", ")) + ", but was '" + s + "'");
  }
}
