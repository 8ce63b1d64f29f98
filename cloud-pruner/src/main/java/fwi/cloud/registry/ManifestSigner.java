package fwi.cloud.registry;

import com.google.protobuf.ByteString;
import fwi.proto.v1.ManifestBody;
import fwi.proto.v1.SignedManifest;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Optional;

/**
 * Signs manifest bodies with the active key of a {@link SigningKeys}, the way devices check them
 * ({@code model_manifest.proto}): the body is serialized once, the Ed25519 signature (RFC 8032, pure,
 * 64 bytes) covers exactly those bytes, and they travel unchanged as {@code SignedManifest.body}.
 * The envelope's header is left unset: it is transport metadata the publisher fills. Ed25519 is
 * deterministic, so the same body signed with the same key gives the same manifest bytes.
 *
 * <p>Immutable and thread-safe.
 */
public final class ManifestSigner {
  static final int SIGNATURE_BYTES = 64;

  private final SigningKeys keys;

  public ManifestSigner(SigningKeys keys) {
    if (keys == null) {
      throw new IllegalArgumentException("signing keys must be given, but were null");
    }
    this.keys = keys;
  }

  /** The keys this signer signs with (the active one) and publishes. */
  public SigningKeys keys() {
    return keys;
  }

  /**
   * Signs {@code body} with the active key.
   *
   * @return a manifest whose {@code body} holds the exact bytes signed, {@code signature} 64
   *     bytes, {@code key_id} the active key id, and no header
   * @throws IllegalArgumentException if the body's schema version is not at least 1
   */
  public SignedManifest sign(ManifestBody body) {
    if (body.getSchemaVersion() < 1) {
      throw new IllegalArgumentException("manifest body schema_version must be at least 1, but was "
          + Integer.toUnsignedString(body.getSchemaVersion()));
    }
    ByteString bytes = body.toByteString();
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initSign(keys.activePrivateKey());
      s.update(bytes.asReadOnlyByteBuffer());
      return SignedManifest.newBuilder()
          .setBody(bytes)
          .setSignature(ByteString.copyFrom(s.sign()))
          .setKeyId(keys.activeKeyId())
          .build();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 signing with key '" + keys.activeKeyId() + "' failed: " + e.getMessage(),
          e);
    }
  }

  /**
   * Checks a manifest as a device would (key by {@code key_id} among this signer's keys, then the
   * signature over the body bytes as they are) and parses the body only if that holds.
   *
   * @return the verified body; empty if the key is unknown, the signature is not 64 bytes or does
   *     not verify, or the verified bytes are not a ManifestBody
   */
  public Optional<ManifestBody> verify(SignedManifest manifest) {
    Optional<PublicKey> key = keys.publicKey(manifest.getKeyId());
    if (key.isEmpty() || !verify(manifest, key.get())) {
      return Optional.empty();
    }
    try {
      return Optional.of(ManifestBody.parseFrom(manifest.getBody()));
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      return Optional.empty();
    }
  }

  /** Whether {@code manifest.signature} is a valid Ed25519 signature by {@code key} over {@code manifest.body}. */
  public static boolean verify(SignedManifest manifest, PublicKey key) {
    if (manifest.getSignature().size() != SIGNATURE_BYTES) {
      return false;
    }
    try {
      Signature v = Signature.getInstance("Ed25519");
      v.initVerify(key);
      v.update(manifest.getBody().asReadOnlyByteBuffer());
      return v.verify(manifest.getSignature().toByteArray());
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  @Override
  public String toString() {
    return "ManifestSigner[" + keys + "]";
  }
}
