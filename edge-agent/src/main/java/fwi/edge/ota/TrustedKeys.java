package fwi.edge.ota;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The Ed25519 public keys a device accepts manifest signatures from, by key id
 * ({@code SignedManifest.key_id}). Configured as {@code fwi.ota.trusted-keys.<keyId>=<base64>},
 * the base64 of the raw 32-byte public key (RFC 8032); several ids allow key rotation.
 * Immutable and thread-safe.
 */
public final class TrustedKeys {
  /** Configuration prefix of the keys; messages name the full key. */
  public static final String CONFIG_PREFIX = "fwi.ota.trusted-keys.";
  private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  /** DER header of an X.509 SubjectPublicKeyInfo for Ed25519 (OID 1.3.101.112), before the 32 raw bytes. */
  private static final byte[] X509_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
  private static final int RAW_KEY_BYTES = 32;

  private final Map<String, PublicKey> keys;

  private TrustedKeys(Map<String, PublicKey> keys) {
    if (keys.isEmpty()) {
      throw new IllegalArgumentException(CONFIG_PREFIX + "* must list at least one key, but was empty");
    }
    for (String id : keys.keySet()) {
      checkId(id);
    }
    this.keys = Collections.unmodifiableMap(new TreeMap<>(keys));
  }

  /**
   * Parses configured keys.
   *
   * @param base64ByKeyId key id -> base64 of the raw 32-byte Ed25519 public key
   * @throws IllegalArgumentException naming the config key and what is wrong, if a key id or key
   *     text is invalid, or if there is no key
   */
  public static TrustedKeys fromBase64(Map<String, String> base64ByKeyId) {
    Map<String, PublicKey> parsed = new TreeMap<>();
    for (Map.Entry<String, String> e : base64ByKeyId.entrySet()) {
      parsed.put(checkId(e.getKey()), parse(e.getKey(), e.getValue()));
    }
    return new TrustedKeys(parsed);
  }

  /**
   * Keys already decoded (tests, or keys from another source).
   *
   * @throws IllegalArgumentException if a key id is invalid, a key is not Ed25519, or there is no key
   */
  public static TrustedKeys of(Map<String, PublicKey> keys) {
    for (Map.Entry<String, PublicKey> e : keys.entrySet()) {
      if (!"Ed25519".equals(e.getValue().getAlgorithm()) && !"EdDSA".equals(e.getValue().getAlgorithm())) {
        throw new IllegalArgumentException(CONFIG_PREFIX + e.getKey() + " must be an Ed25519 key, but was "
            + e.getValue().getAlgorithm());
      }
    }
    return new TrustedKeys(keys);
  }

  /** The base64 of the raw 32-byte public key, as {@link #fromBase64} reads it. */
  public static String toBase64(PublicKey key) {
    byte[] der = key.getEncoded();
    return Base64.getEncoder().encodeToString(Arrays.copyOfRange(der, der.length - RAW_KEY_BYTES, der.length));
  }

  /** The key for {@code keyId}, if trusted. */
  public Optional<PublicKey> key(String keyId) {
    return Optional.ofNullable(keys.get(keyId));
  }

  /** Trusted key ids, sorted (reported in the birth message's capabilities). */
  public Set<String> keyIds() {
    return keys.keySet();
  }

  private static String checkId(String id) {
    if (id == null || !KEY_ID.matcher(id).matches()) {
      throw new IllegalArgumentException("trusted key id must match " + KEY_ID.pattern() + ", but was '" + id + "'");
    }
    return id;
  }

  private static PublicKey parse(String id, String text) {
    String key = CONFIG_PREFIX + id;
    byte[] raw;
    try {
      raw = Base64.getDecoder().decode(text == null ? "" : text.strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(key + " must be base64 of a raw 32-byte Ed25519 public key, but is not base64: "
          + e.getMessage(), e);
    }
    if (raw.length != RAW_KEY_BYTES) {
      throw new IllegalArgumentException(key + " must be base64 of a raw 32-byte Ed25519 public key, but decodes to "
          + raw.length + " bytes");
    }
    byte[] der = Arrays.copyOf(X509_PREFIX, X509_PREFIX.length + RAW_KEY_BYTES);
    System.arraycopy(raw, 0, der, X509_PREFIX.length, RAW_KEY_BYTES);
    try {
      return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(key + " is not a valid Ed25519 public key: " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return "TrustedKeys" + keys.keySet();
  }
}
