package fwi.cloud.registry;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** SHA-256 digests and their lower-case hex form, the registry's content addresses. */
final class Sha256 {
  /** 64 lower-case hex digits. */
  static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");
  static final int BYTES = 32;

  private Sha256() {
  }

  static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  static byte[] of(byte[] bytes, int offset, int length) {
    MessageDigest d = digest();
    d.update(bytes, offset, length);
    return d.digest();
  }

  static String hex(byte[] digest) {
    return HexFormat.of().formatHex(digest);
  }

  static byte[] unhex(String hex) {
    return HexFormat.of().parseHex(checkHex("sha256", hex));
  }

  /**
   * @return {@code hex}, if it is 64 lower-case hex digits
   * @throws IllegalArgumentException naming {@code what} and the value otherwise
   */
  static String checkHex(String what, String hex) {
    if (hex == null || !HEX.matcher(hex).matches()) {
      throw new IllegalArgumentException(what + " must be 64 lower-case hex digits, but was '" + hex + "'");
    }
    return hex;
  }
}
