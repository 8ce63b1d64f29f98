package fwi.cloud.synth;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD versions of the solver's row updates, on the JDK's Vector API (incubating in JDK 17, so the
 * JVM must run with {@code --add-modules jdk.incubator.vector}; {@code deploy/bin/pruner} does).
 * JDK 17's auto-vectorizer leaves the scalar stencil scalar (it cannot prove the read and written
 * arrays distinct), which costs ~6x. Every lane evaluates exactly the scalar expression in the
 * same order, with no fused multiply-add, so results are bit-identical to the scalar code: the
 * dataset bytes do not depend on which kernel ran. Only referenced when the module is present.
 */
final class VectorStencil {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

  private VectorStencil() {
  }

  private static FloatVector at(float[] a, int i) {
    return FloatVector.fromArray(S, a, i);
  }

  /** The lanes of {@code AcousticSolver.laplacian}, same operations in the same order. */
  private static FloatVector laplacian(float[] p, int i, int w) {
    return at(p, i).mul(AcousticSolver.CENTRE)
        .add(at(p, i - 1).add(at(p, i + 1)).add(at(p, i - w)).add(at(p, i + w)).mul(AcousticSolver.L1))
        .add(at(p, i - 2).add(at(p, i + 2)).add(at(p, i - 2 * w)).add(at(p, i + 2 * w)).mul(AcousticSolver.L2))
        .add(at(p, i - 3).add(at(p, i + 3)).add(at(p, i - 3 * w)).add(at(p, i + 3 * w)).mul(AcousticSolver.L3))
        .add(at(p, i - 4).add(at(p, i + 4)).add(at(p, i - 4 * w)).add(at(p, i + 4 * w)).mul(AcousticSolver.L4));
  }

  /**
   * {@code q = 2p - q + k L p} over the whole vectors in {@code [from, to)}.
   *
   * @return the first index not done (the caller finishes the tail in scalar code)
   */
  static int plainRow(float[] p, float[] q, float[] k, int from, int to, int w) {
    int n = S.length();
    int i = from;
    for (; i + n <= to; i += n) {
      FloatVector lap = laplacian(p, i, w);
      at(p, i).mul(2f).sub(at(q, i)).add(at(k, i).mul(lap)).intoArray(q, i);
    }
    return i;
  }

  /** {@code q = g (2p + k L p) + h q}; returns the first index not done. */
  static int dampedRow(float[] p, float[] q, float[] k, float[] g, float[] h, int from, int to, int w) {
    int n = S.length();
    int i = from;
    for (; i + n <= to; i += n) {
      FloatVector lap = laplacian(p, i, w);
      at(g, i).mul(at(p, i).mul(2f).add(at(k, i).mul(lap))).add(at(h, i).mul(at(q, i))).intoArray(q, i);
    }
    return i;
  }
}
