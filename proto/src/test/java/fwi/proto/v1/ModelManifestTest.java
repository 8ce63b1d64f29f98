package fwi.proto.v1;

import static fwi.proto.v1.WireAssertions.assertFieldsUnknownToOlderAreUnset;
import static fwi.proto.v1.WireAssertions.assertSharedFieldsEqual;
import static fwi.proto.v1.WireAssertions.assertWireCompatible;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ModelManifestTest {

  private static final String KEY_ID = "manifest-2026a";
  private static KeyPair keys;

  @BeforeAll
  static void generateSigningKey() throws GeneralSecurityException {
    keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
  }

  private static ByteString sign(PrivateKey key, ByteString body) throws GeneralSecurityException {
    Signature ed25519 = Signature.getInstance("Ed25519");
    ed25519.initSign(key);
    ed25519.update(body.toByteArray());
    return ByteString.copyFrom(ed25519.sign());
  }

  private static boolean verify(PublicKey key, ByteString body, ByteString signature)
      throws GeneralSecurityException {
    Signature ed25519 = Signature.getInstance("Ed25519");
    ed25519.initVerify(key);
    ed25519.update(body.toByteArray());
    return ed25519.verify(signature.toByteArray());
  }

  /** What the cloud publishes: the current body, signed over its exact bytes. */
  private static SignedManifest signedByCloud(ManifestBody body) throws GeneralSecurityException {
    ByteString bodyBytes = body.toByteString();
    return SignedManifest.newBuilder()
        .setHeader(Fixtures.header(Fixtures.CLOUD_ID, 301))
        .setBody(bodyBytes)
        .setSignature(sign(keys.getPrivate(), bodyBytes))
        .setKeyId(KEY_ID)
        .build();
  }

  /** A manifest body as the first release's cloud wrote it: every field it knows is set. */
  private static fwi.proto.v1.legacy.ManifestBody firstReleaseBody() {
    return fwi.proto.v1.legacy.ManifestBody.newBuilder()
        .setSchemaVersion(1)
        .setModelId("inversionnet-pi-3b-v2")
        .setVersion(2)
        .setProfileName("pi-3b")
        .setCreatedUnixMs(Fixtures.NOW_UNIX_MS - 86_400_000L)
        .setParamCount(6_000_000L)
        .setMacs(7_000_000_000L)
        .setSha256(Fixtures.sha256("inversionnet-pi-3b-v2.onnx"))
        .setSizeBytes(24_000_000L)
        .setBlockSizeBytes(65_536)
        .setBlockCount(367)
        .setOnnxOpset(13)
        .build();
  }

  @Test
  void roundTripsManifestBodyWithAllFieldsSet() throws Exception {
    ManifestBody sent = Fixtures.manifestBody();

    ManifestBody received = ManifestBody.parseFrom(sent.toByteArray());

    assertEquals(sent, received);
    assertEquals(received.getBlockCount(), received.getBlockSha256Count());
  }

  @Test
  void roundTripsSignedManifestWithAllFieldsSet() throws Exception {
    SignedManifest sent = signedByCloud(Fixtures.manifestBody());

    SignedManifest received = SignedManifest.parseFrom(sent.toByteArray());

    assertEquals(sent, received);
    assertEquals(64, received.getSignature().size());
    assertEquals(Fixtures.manifestBody(), ManifestBody.parseFrom(received.getBody()));
  }

  @Test
  void verifiesTheSignatureOverTheBodyBytesAsReceived() throws Exception {
    SignedManifest received =
        SignedManifest.parseFrom(signedByCloud(Fixtures.manifestBody()).toByteArray());

    assertTrue(verify(keys.getPublic(), received.getBody(), received.getSignature()));
  }

  @Test
  void failsVerificationWhenTheSignedRollbackFlagIsFlipped() throws Exception {
    SignedManifest genuine = signedByCloud(Fixtures.manifestBody());
    ManifestBody tampered = ManifestBody.parseFrom(genuine.getBody()).toBuilder()
        .setRollback(false)
        .build();

    assertFalse(verify(keys.getPublic(), tampered.toByteString(), genuine.getSignature()));
  }

  @Test
  void keepsEveryFirstReleaseFieldAtItsNumberNameAndType() {
    assertWireCompatible(
        fwi.proto.v1.legacy.SignedManifest.getDescriptor(), SignedManifest.getDescriptor());
    assertWireCompatible(
        fwi.proto.v1.legacy.ManifestBody.getDescriptor(), ManifestBody.getDescriptor());
  }

  @Test
  void readsAFirstReleaseBodyWithNewFieldsAtDefaultsSoItIsNeverADowngrade() throws Exception {
    fwi.proto.v1.legacy.ManifestBody old = firstReleaseBody();

    ManifestBody read = ManifestBody.parseFrom(old.toByteArray());

    assertSharedFieldsEqual(old, read);
    assertFieldsUnknownToOlderAreUnset(fwi.proto.v1.legacy.ManifestBody.getDescriptor(), read);
    assertFalse(read.getRollback());
    assertEquals(0, read.getTargetDeviceIdsCount());
  }

  @Test
  void letsAFirstReleaseAgentVerifyAndReadAManifestFromTheCurrentCloud() throws Exception {
    ManifestBody body = Fixtures.manifestBody();
    byte[] wire = signedByCloud(body).toByteArray();

    fwi.proto.v1.legacy.SignedManifest old = fwi.proto.v1.legacy.SignedManifest.parseFrom(wire);
    fwi.proto.v1.legacy.ManifestBody oldBody =
        fwi.proto.v1.legacy.ManifestBody.parseFrom(old.getBody());

    assertEquals(KEY_ID, old.getKeyId());
    assertTrue(verify(keys.getPublic(), old.getBody(), old.getSignature()));
    assertSharedFieldsEqual(oldBody, body);
  }

  @Test
  void losesNothingWhenAFirstReleaseRelayParsesAndReserializesANewBody() throws Exception {
    ManifestBody sent = Fixtures.manifestBody();

    fwi.proto.v1.legacy.ManifestBody relayed =
        fwi.proto.v1.legacy.ManifestBody.parseFrom(sent.toByteArray());
    ManifestBody received = ManifestBody.parseFrom(relayed.toByteArray());

    assertTrue(relayed.getUnknownFields().hasField(ManifestBody.ROLLBACK_FIELD_NUMBER));
    assertEquals(sent, received);
  }

  /**
   * The reason the signature covers the transported body bytes rather than a re-serialization:
   * an older reader re-serializes unknown fields after known ones, so the bytes change although
   * no information is lost, and a signature over re-serialized bytes would no longer verify.
   */
  @Test
  void changesTheBytesWhenAFirstReleaseReaderReserializesSoOnlyTheReceivedBytesVerify()
      throws Exception {
    SignedManifest signed = signedByCloud(Fixtures.manifestBody());

    ByteString reserialized =
        fwi.proto.v1.legacy.ManifestBody.parseFrom(signed.getBody()).toByteString();

    assertNotEquals(signed.getBody(), reserialized);
    assertEquals(ManifestBody.parseFrom(signed.getBody()), ManifestBody.parseFrom(reserialized));
    assertFalse(verify(keys.getPublic(), reserialized, signed.getSignature()));
    assertTrue(verify(keys.getPublic(), signed.getBody(), signed.getSignature()));
  }
}
