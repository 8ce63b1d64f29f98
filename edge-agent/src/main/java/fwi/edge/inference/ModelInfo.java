package fwi.edge.inference;

import java.util.regex.Pattern;

/**
 * Which model a session serves: the registry id, the version within its profile's lineage and the
 * SHA-256 of the ONNX file. Mirrors the wire type {@code fwi.v1.ModelRef}.
 *
 * @param modelId registry id, for example {@code inversionnet-pi-4b-v7}; 1 to 128 printable chars
 * @param version version in the profile's lineage, at least 1
 * @param sha256Hex SHA-256 of the file, 64 lower-case hex digits
 */
public record ModelInfo(String modelId, long version, String sha256Hex) {
  private static final Pattern SHA = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern ID = Pattern.compile("[\\x21-\\x7e]{1,128}");

  public ModelInfo {
    if (modelId == null || !ID.matcher(modelId).matches()) {
      throw new IllegalArgumentException("model id must be 1 to 128 printable ASCII characters without spaces, but was '"
          + modelId + "'");
    }
    if (version < 1) {
      throw new IllegalArgumentException("model version must be at least 1, but was " + version);
    }
    if (sha256Hex == null || !SHA.matcher(sha256Hex).matches()) {
      throw new IllegalArgumentException("model sha256 must be 64 lower-case hex digits, but was '" + sha256Hex + "'");
    }
  }

  /** {@code id@version}, for logs and the local page. */
  public String label() {
    return modelId + "@" + version;
  }
}
