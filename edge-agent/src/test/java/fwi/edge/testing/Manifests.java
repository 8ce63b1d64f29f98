package fwi.edge.testing;

import fwi.edge.ota.TrustedKeys;

import com.google.protobuf.ByteString;
import fwi.proto.v1.ManifestBody;
import fwi.proto.v1.SignedManifest;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.util.Arrays;
import java.util.Map;

/** The cloud's side of manifests in tests: an Ed25519 signing key and well-formed manifest bodies. */
public final class Manifests {
  public static final String KEY_ID = "manifest-test";
  public static final String DEVICE = "pi-0042";
  public static final String PROFILE = "pi-4b";
  public static final int BLOCK = 16;

  public final KeyPair keys;

  public Manifests() {
    try {
      keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public TrustedKeys trusted() {
    return TrustedKeys.fromBase64(Map.of(KEY_ID, TrustedKeys.toBase64(keys.getPublic())));
  }

  /** A body describing {@code file} for this device's profile: blocks of {@link #BLOCK} bytes with per-block digests, [N, 4] in and out. */
  public static ManifestBody.Builder body(byte[] file, String modelId, long version) {
    return body(file, modelId, version, BLOCK);
  }

  /** As {@link #body(byte[], String, long)} with blocks of {@code block} bytes. */
  public static ManifestBody.Builder body(byte[] file, String modelId, long version, int block) {
    ManifestBody.Builder b = ManifestBody.newBuilder()
        .setSchemaVersion(1)
        .setModelId(modelId)
        .setVersion(version)
        .setProfileName(PROFILE)
        .setSha256(ByteString.copyFrom(sha256(file)))
        .setSizeBytes(file.length)
        .setBlockSizeBytes(block)
        .setBlockCount((file.length + block - 1) / block)
        .setOnnxOpset(17)
        .setOnnxIrVersion(8);
    for (int off = 0; off < file.length; off += block) {
      b.addBlockSha256(ByteString.copyFrom(sha256(Arrays.copyOfRange(file, off, Math.min(file.length, off + block)))));
    }
    b.addInputsBuilder().setName("x").setElementType("FLOAT").addDims(-1).addDims(4);
    b.addOutputsBuilder().setName("y").setElementType("FLOAT").addDims(-1).addDims(4);
    return b;
  }

  /** {@code body} signed with the test key over its exact bytes. */
  public byte[] signed(ManifestBody.Builder body) {
    return signed(body.build().toByteString(), KEY_ID);
  }

  public byte[] signed(ByteString body, String keyId) {
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initSign(keys.getPrivate());
      s.update(body.toByteArray());
      return SignedManifest.newBuilder()
          .setBody(body)
          .setSignature(ByteString.copyFrom(s.sign()))
          .setKeyId(keyId)
          .build()
          .toByteArray();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** SHA-256 of {@code bytes}. */
  public static byte[] sha256(byte[] bytes) {
    try {
      return java.security.MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
