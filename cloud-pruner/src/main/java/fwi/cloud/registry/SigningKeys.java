package fwi.cloud.registry;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The manifest-signing keys of the cloud: Ed25519 key pairs by key id ({@code SignedManifest.key_id}),
 * one of them active (it signs), plus public-only keys whose private half lives elsewhere or was
 * destroyed. Every key's public half is published ({@link #publicKeysBase64()}) in the form devices
 * configure ({@code fwi.ota.trusted-keys.<keyId>=<base64 of the raw 32-byte key>}).
 *
 * <p>Rotation: (1) add the next key pair, not active; publish its public half; configure devices to
 * trust it. (2) Once the fleet trusts it, make it active ({@link #withActive}, or the active key id
 * in the configuration). (3) Keep the old key listed (its private half may go, as a public-only key)
 * until no device relies on manifests signed by it.
 *
 * <p>Private keys load from unencrypted PKCS#8: PEM files as {@code openssl genpkey -algorithm
 * ed25519} writes them, base64 DER, or {@link PrivateKey} objects. Private key material never
 * appears in messages or {@link #toString()}. Immutable and thread-safe.
 */
public final class SigningKeys {
  /** Key ids: what devices accept ({@code fwi.edge.ota.TrustedKeys}). */
  public static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  private final String activeKeyId;
  private final Map<String, PrivateKey> privateKeys;
  private final Map<String, PublicKey> publicKeys;

  private SigningKeys(String activeKeyId, Map<String, PrivateKey> privateKeys, Map<String, PublicKey> publicKeys) {
    this.activeKeyId = activeKeyId;
    this.privateKeys = Collections.unmodifiableMap(new TreeMap<>(privateKeys));
    this.publicKeys = Collections.unmodifiableMap(new TreeMap<>(publicKeys));
  }

  /** Starts a key set. */
  public static Builder builder() {
    return new Builder();
  }

  /** Id of the key that signs. */
  public String activeKeyId() {
    return activeKeyId;
  }

  /** Every key id, sorted: those with a private half and the public-only ones. */
  public Set<String> keyIds() {
    return publicKeys.keySet();
  }

  /** Ids of the keys this process can sign with, sorted. */
  public Set<String> signingKeyIds() {
    return privateKeys.keySet();
  }

  /**
   * Key id -> base64 of the raw 32-byte Ed25519 public key, sorted by id, for every key: what an
   * operator copies into {@code fwi.ota.trusted-keys.<keyId>} on devices.
   */
  public Map<String, String> publicKeysBase64() {
    Map<String, String> m = new LinkedHashMap<>();
    publicKeys.forEach((id, k) -> m.put(id, Ed25519Keys.rawBase64(k)));
    return Collections.unmodifiableMap(m);
  }

  /** The public key with this id, if listed. */
  public Optional<PublicKey> publicKey(String keyId) {
    return Optional.ofNullable(publicKeys.get(keyId));
  }

  /**
   * The same keys with {@code keyId} active.
   *
   * @throws IllegalArgumentException if there is no private key with that id
   */
  public SigningKeys withActive(String keyId) {
    checkActive(keyId, privateKeys, publicKeys);
    return new SigningKeys(keyId, privateKeys, publicKeys);
  }

  /** The active private key; never leaves the package. */
  PrivateKey activePrivateKey() {
    return privateKeys.get(activeKeyId);
  }

  private static void checkActive(String keyId, Map<String, PrivateKey> priv, Map<String, PublicKey> pub) {
    if (keyId == null || !priv.containsKey(keyId)) {
      String why = pub.containsKey(keyId) ? "it is public-only here" : "it is not configured";
      throw new IllegalArgumentException("active signing key id must name a key with its private half "
          + priv.keySet() + ", but was '" + keyId + "' (" + why + ")");
    }
  }

  /** Names the keys and which is active; never key material. */
  @Override
  public String toString() {
    return "SigningKeys[active=" + activeKeyId + ", signing=" + privateKeys.keySet() + ", publicOnly="
        + publicKeys.keySet().stream().filter(id -> !privateKeys.containsKey(id)).toList() + "]";
  }

  /**
   * Collects keys; {@link #build()} checks them. Every method throws
   * {@link IllegalArgumentException} naming the key id and the source (file or kind), never the
   * key bytes, when a key id is invalid or repeated or a key cannot be read.
   */
  public static final class Builder {
    private final Map<String, PrivateKey> privateKeys = new LinkedHashMap<>();
    private final Map<String, PublicKey> publicKeys = new LinkedHashMap<>();
    private String active;

    private Builder() {
    }

    /** Adds the key pair whose private half is the PKCS#8 PEM file {@code file}. */
    public Builder pemFile(String keyId, Path file) {
      String source = "signing key '" + keyId + "' file " + file;
      String text;
      try {
        text = Files.readString(file, StandardCharsets.US_ASCII);
      } catch (IOException | RuntimeException e) {
        // I/O messages name the path or a position, never the file's content.
        throw new IllegalArgumentException(source + " cannot be read: " + e.getClass().getSimpleName() + ": "
            + e.getMessage(), e);
      }
      return add(keyId, Ed25519Keys.fromPem(text, source), source);
    }

    /** Adds the key pair whose private half is given as PEM text (e.g. from a secret store). */
    public Builder pem(String keyId, String pemText) {
      String source = "signing key '" + keyId + "' (PEM)";
      return add(keyId, Ed25519Keys.fromPem(pemText == null ? "" : pemText, source), source);
    }

    /** Adds the key pair whose private half is base64 of PKCS#8 DER. */
    public Builder pkcs8Base64(String keyId, String base64) {
      String source = "signing key '" + keyId + "' (base64 PKCS#8)";
      return add(keyId, Ed25519Keys.fromPkcs8Base64(base64, source), source);
    }

    /** Adds a key pair from an Ed25519 private key object. */
    public Builder privateKey(String keyId, PrivateKey key) {
      String source = "signing key '" + keyId + "'";
      return add(keyId, Ed25519Keys.checkPrivate(key, source), source);
    }

    /**
     * Adds a public-only key (base64 of the raw 32-byte key): published so devices keep or start
     * trusting it, never used to sign here.
     */
    public Builder publicOnly(String keyId, String rawBase64) {
      String source = "public key '" + keyId + "'";
      checkId(keyId);
      PublicKey k = Ed25519Keys.fromRawBase64(rawBase64, source);
      putPublic(keyId, k, source);
      return this;
    }

    /** Names the key that signs; it must be one with a private half. */
    public Builder active(String keyId) {
      this.active = keyId;
      return this;
    }

    /**
     * @throws IllegalArgumentException if no key is active or the active key has no private half,
     *     if two ids hold the same key, or if a key pair fails a sign-and-verify self-test
     */
    public SigningKeys build() {
      checkActive(active, privateKeys, publicKeys);
      Map<String, String> seen = new TreeMap<>();
      publicKeys.forEach((id, k) -> {
        String other = seen.put(Ed25519Keys.rawBase64(k), id);
        if (other != null) {
          throw new IllegalArgumentException("key ids '" + other + "' and '" + id + "' must name different keys, but "
              + "both hold the same key");
        }
      });
      privateKeys.forEach((id, k) -> selfTest(id, k, publicKeys.get(id)));
      return new SigningKeys(active, privateKeys, publicKeys);
    }

    private Builder add(String keyId, PrivateKey key, String source) {
      checkId(keyId);
      if (privateKeys.containsKey(keyId) || publicKeys.containsKey(keyId)) {
        throw new IllegalArgumentException(source + ": key id '" + keyId + "' must be configured once, but is repeated");
      }
      privateKeys.put(keyId, key);
      putPublic(keyId, Ed25519Keys.publicOf(key), source);
      return this;
    }

    private void putPublic(String keyId, PublicKey key, String source) {
      if (publicKeys.putIfAbsent(keyId, key) != null) {
        throw new IllegalArgumentException(source + ": key id '" + keyId + "' must be configured once, but is repeated");
      }
    }

    private static void checkId(String keyId) {
      if (keyId == null || !KEY_ID.matcher(keyId).matches()) {
        throw new IllegalArgumentException("signing key id must match " + KEY_ID.pattern() + ", but was '" + keyId + "'");
      }
    }

    private static void selfTest(String id, PrivateKey priv, PublicKey pub) {
      byte[] probe = ("fwi signing key self-test " + id).getBytes(StandardCharsets.UTF_8);
      try {
        Signature s = Signature.getInstance("Ed25519");
        s.initSign(priv);
        s.update(probe);
        byte[] sig = s.sign();
        Signature v = Signature.getInstance("Ed25519");
        v.initVerify(pub);
        v.update(probe);
        if (!v.verify(sig)) {
          throw new IllegalArgumentException("signing key '" + id + "' must verify under its derived public key, "
              + "but its self-test signature did not");
        }
      } catch (GeneralSecurityException e) {
        throw new IllegalArgumentException("signing key '" + id + "' cannot sign: " + e.getMessage(), e);
      }
    }
  }
}
