package fwi.cloud.registry;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.EdECKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ed25519 key formats: PKCS#8 PEM ({@code openssl genpkey -algorithm ed25519}), base64 PKCS#8
 * DER, and the base64 of the raw 32-byte public key that devices configure. Messages name where a
 * key came from, never its bytes.
 */
final class Ed25519Keys {
  /** DER header of an X.509 SubjectPublicKeyInfo for Ed25519 (OID 1.3.101.112), before the 32 raw bytes. */
  static final byte[] X509_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
  static final int RAW_KEY_BYTES = 32;
  private static final Pattern PEM = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*)-----END \\1-----");

  private Ed25519Keys() {
  }

  /**
   * Parses PEM text holding one unencrypted PKCS#8 {@code PRIVATE KEY}.
   *
   * @param source names the key in errors, e.g. the file
   */
  static PrivateKey fromPem(String pem, String source) {
    Matcher m = PEM.matcher(pem);
    if (!m.find()) {
      throw new IllegalArgumentException(source + " must hold a PEM block '-----BEGIN PRIVATE KEY-----', but holds none");
    }
    String label = m.group(1);
    if (label.equals("ENCRYPTED PRIVATE KEY")) {
      throw new IllegalArgumentException(source + " holds an encrypted private key; store it unencrypted "
          + "(openssl pkey -in encrypted.pem -out key.pem) and protect the file by its permissions");
    }
    if (!label.equals("PRIVATE KEY")) {
      throw new IllegalArgumentException(source + " must hold a PKCS#8 'PRIVATE KEY' PEM block "
          + "(openssl genpkey -algorithm ed25519), but holds '" + label + "'");
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(m.group(2).getBytes(StandardCharsets.US_ASCII));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ": the PEM body is not base64", e);
    }
    try {
      return fromPkcs8(der, source);
    } finally {
      Arrays.fill(der, (byte) 0);
    }
  }

  /** Parses base64 (standard alphabet, whitespace ignored) of a PKCS#8 DER private key. */
  static PrivateKey fromPkcs8Base64(String base64, String source) {
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(base64 == null ? "" : base64.strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + " must be base64 of a PKCS#8 Ed25519 private key, but is not base64");
    }
    try {
      return fromPkcs8(der, source);
    } finally {
      Arrays.fill(der, (byte) 0);
    }
  }

  private static PrivateKey fromPkcs8(byte[] der, String source) {
    if (der.length == 0) {
      throw new IllegalArgumentException(source + " must hold a PKCS#8 Ed25519 private key, but is empty");
    }
    try {
      return checkPrivate(KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der)), source);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(source + " must hold a PKCS#8 Ed25519 private key, but does not ("
          + e.getClass().getSimpleName() + ")");
    }
  }

  /** {@code key}, if it is an Ed25519 private key with its seed available. */
  static PrivateKey checkPrivate(PrivateKey key, String source) {
    if (!(key instanceof java.security.interfaces.EdECPrivateKey ed)
        || !NamedParameterSpec.ED25519.getName().equalsIgnoreCase(((EdECKey) key).getParams().getName())) {
      throw new IllegalArgumentException(source + " must be an Ed25519 private key, but was " + describe(key));
    }
    if (ed.getBytes().isEmpty()) {
      throw new IllegalArgumentException(source + " must expose its Ed25519 seed (a software key), but does not");
    }
    return key;
  }

  /**
   * The public half of an Ed25519 private key. RFC 8032 derives the key pair from the 32-byte seed
   * alone; the JDK (17) exposes that derivation only through key generation, so the generator is
   * handed the seed as its "random" bytes.
   */
  static PublicKey publicOf(PrivateKey key) {
    byte[] seed = ((java.security.interfaces.EdECPrivateKey) key).getBytes().orElseThrow();
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
      g.initialize(NamedParameterSpec.ED25519, new SeedRandom(seed));
      KeyPair pair = g.generateKeyPair();
      if (!Arrays.equals(((java.security.interfaces.EdECPrivateKey) pair.getPrivate()).getBytes().orElseThrow(), seed)) {
        throw new IllegalStateException("deriving the Ed25519 public key from its seed failed");
      }
      return pair.getPublic();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every JVM from 15 on has Ed25519", e);
    } finally {
      Arrays.fill(seed, (byte) 0);
    }
  }

  /** The base64 of the raw 32-byte public key, as devices configure it ({@code fwi.ota.trusted-keys.<id>}). */
  static String rawBase64(PublicKey key) {
    byte[] der = key.getEncoded();
    return Base64.getEncoder().encodeToString(Arrays.copyOfRange(der, der.length - RAW_KEY_BYTES, der.length));
  }

  /** Parses the base64 of a raw 32-byte Ed25519 public key, as a device does. */
  static PublicKey fromRawBase64(String base64, String source) {
    byte[] raw;
    try {
      raw = Base64.getDecoder().decode(base64 == null ? "" : base64.strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + " must be base64 of a raw 32-byte Ed25519 public key, but is not "
          + "base64: " + e.getMessage(), e);
    }
    if (raw.length != RAW_KEY_BYTES) {
      throw new IllegalArgumentException(source + " must be base64 of a raw 32-byte Ed25519 public key, but decodes to "
          + raw.length + " bytes");
    }
    byte[] der = Arrays.copyOf(X509_PREFIX, X509_PREFIX.length + RAW_KEY_BYTES);
    System.arraycopy(raw, 0, der, X509_PREFIX.length, RAW_KEY_BYTES);
    try {
      return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(source + " is not a valid Ed25519 public key: " + e.getMessage(), e);
    }
  }

  private static String describe(PrivateKey key) {
    if (key == null) {
      return "null";
    }
    if (key instanceof EdECKey ed) {
      return key.getAlgorithm() + " (" + ed.getParams().getName() + ")";
    }
    return key.getAlgorithm();
  }

  /** Hands out the seed, then refuses: key generation must draw exactly 32 bytes. */
  private static final class SeedRandom extends SecureRandom {
    private static final long serialVersionUID = 1L;
    private final byte[] seed;
    private boolean used;

    SeedRandom(byte[] seed) {
      this.seed = seed.clone();
    }

    @Override
    public synchronized void nextBytes(byte[] bytes) {
      if (used || bytes.length != seed.length) {
        throw new IllegalStateException("Ed25519 key generation drew " + bytes.length + " bytes"
            + (used ? " a second time" : "") + "; expected one draw of " + seed.length);
      }
      used = true;
      System.arraycopy(seed, 0, bytes, 0, seed.length);
      Arrays.fill(seed, (byte) 0);
    }
  }
}
