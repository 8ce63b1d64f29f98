package fwi.cloud.synth;

/**
 * The finite-difference settings would blow up (Courant number above the scheme's limit) for the
 * velocities asked for. The message names the Courant number, the limit and the largest stable
 * time step.
 */
public final class UnstableSettingsException extends IllegalArgumentException {
  public UnstableSettingsException(String message) {
    super(message);
  }
}
