package fwi.cloud.synth;

/** How the modelling grid absorbs waves leaving the model on its four sides. */
public enum Absorber {
  /**
   * OpenFWI's: a damping term {@code 2 d u_t} growing quadratically into a wide layer (OpenFWI used
   * 120 cells). Simple and exactly reciprocal, but it needs a wide layer: low frequencies see the
   * damping ramp as an interface and reflect.
   */
  DAMPING,
  /**
   * A convolutional perfectly matched layer for the second-order wave equation (complex
   * coordinate stretching {@code 1 + d / (alpha + i omega)} with memory variables): absorbs
   * better in far fewer cells, at the cost of four memory-variable updates per layer cell.
   */
  CPML
}
