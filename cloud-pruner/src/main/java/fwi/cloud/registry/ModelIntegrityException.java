package fwi.cloud.registry;

import java.io.IOException;

/**
 * A stored model file does not match its content address: the bytes on disk changed (disk fault,
 * manual edit). Fatal for that file: nothing is signed or served from it until it is stored again.
 * The message names the file, the expected and the actual SHA-256.
 */
public final class ModelIntegrityException extends IOException {
  private final String expectedSha256;
  private final String actualSha256;

  public ModelIntegrityException(String file, String expectedSha256, String actualSha256) {
    super(file + ": sha256 must be " + expectedSha256 + ", but was " + actualSha256);
    this.expectedSha256 = expectedSha256;
    this.actualSha256 = actualSha256;
  }

  /** The content address, 64 lower-case hex digits. */
  public String expectedSha256() {
    return expectedSha256;
  }

  /** The digest of the bytes found, 64 lower-case hex digits. */
  public String actualSha256() {
    return actualSha256;
  }
}
